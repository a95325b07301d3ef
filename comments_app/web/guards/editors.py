"""Who may change a comment: a moderator at any time, or its author with its
Comment-Token inside COMMENTS_EDIT_WINDOW. Attached from outside to the change
routes, like auth.py: the handlers carry no auth code and read request.editor, whose
meaning (and the policy an edit follows) is the model's (model/editing.py).
"""

from __future__ import annotations

from flask import Flask, request

from ...model import tokens
from ...model.editing import AUTHOR, MODERATOR
from ...state import app_state
from .. import endpoints
from ..errors import APIError, error_response
from .auth import MODERATION_REALM, current_moderator


def check_editor():
    """Let a moderator or the comment's author through; answer 401 or 403 to anyone else."""
    if request.endpoint not in endpoints.CHANGES or request.method == "OPTIONS":
        return None
    if current_moderator() is not None:
        request.editor = MODERATOR
        return None
    token = request.headers.get(tokens.HEADER)
    if not token:
        response = error_response(
            401,
            f"changing a comment needs its author's {tokens.HEADER} header "
            "or a moderator's user name and password (HTTP Basic auth)",
        )
        response.headers["WWW-Authenticate"] = f'Basic realm="{MODERATION_REALM}"'
        return response
    state = app_state()
    settings, store = state.settings, state.store
    comment_id = request.view_args["comment_id"]
    if settings.edit_window == 0:
        raise APIError(403, "authors cannot change their comments here (COMMENTS_EDIT_WINDOW is 0)")
    try:
        tokens.check(store.secret_key(), token, comment_id, settings.edit_window)
    except tokens.TokenRefused as refused:
        raise APIError(403, str(refused)) from None
    # The body is read once, strictly (web/bodies.py); the handler reuses it.
    if request.method == "PATCH" and "status" in request.fields:
        raise APIError(403, "only a moderator may change a comment's status")
    request.editor = AUTHOR
    return None


def init_app(app: Flask) -> None:
    app.before_request(check_editor)
