"""Who may change a comment: a moderator at any time, or its author with its
Comment-Token inside COMMENTS_EDIT_WINDOW. Attached from outside to the change
routes, like auth.py: the handlers carry no auth code and read g.comment_editor.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request

from . import config, tokens
from .auth import MODERATION_REALM, current_moderator
from .errors import APIError, error_response
from .submission import submitted_fields

MODERATOR = "moderator"
AUTHOR = "author"
# The endpoints that change one comment, each with the comment's id in the URL.
CHANGE_ENDPOINTS = frozenset({"comments.edit_comment", "comments.delete_comment"})


def check_editor():
    """Let a moderator or the comment's author through; answer 401 or 403 to anyone else."""
    if request.endpoint not in CHANGE_ENDPOINTS or request.method == "OPTIONS":
        return None
    if current_moderator() is not None:
        g.comment_editor = MODERATOR
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
    settings = config.current()
    store = current_app.extensions["comments_store"]
    comment_id = request.view_args["comment_id"]
    if settings.edit_window == 0:
        raise APIError(403, "authors cannot change their comments here (COMMENTS_EDIT_WINDOW is 0)")
    try:
        tokens.check(store.secret_key(), token, comment_id, settings.edit_window)
    except tokens.TokenRefused as refused:
        raise APIError(403, str(refused)) from None
    # The body is read once, strictly, by submission.py; the handler reuses it.
    if request.method == "PATCH" and "status" in submitted_fields():
        raise APIError(403, "only a moderator may change a comment's status")
    g.comment_editor = AUTHOR
    return None


def init_app(app: Flask) -> None:
    app.before_request(check_editor)
