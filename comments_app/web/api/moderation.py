"""The moderation blueprint: every comment with its status, for moderators.

Moderators' auth is attached from outside (guards/auth.py, protect_moderation); changes
go through PATCH and DELETE on /api/comments/<id> (comments.py).
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, request

from ...model.comment import STATUSES
from ...state import app_state
from .. import endpoints, threads
from ..errors import APIError
from .threads import thread_response

bp = Blueprint(endpoints.MODERATION, __name__)


@bp.get("/api/moderation/comments")
def list_for_moderation():
    """Answer every comment not deleted, oldest first, each with its status (?status= and
    ?thread= filter)."""
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise APIError(
            400, f"status must be one of {', '.join(STATUSES)}", fields={"status": "unknown status"}
        )
    thread = threads.of_query(request.args) if threads.FIELD in request.args else None
    comments = app_state().store.moderation(status, thread)
    body = json.dumps(comments, ensure_ascii=False).encode()
    response = current_app.response_class(body, content_type="application/json")
    # Not no-cache as other API answers (web/headers.py keeps what a handler sets):
    # what moderators see is not for any cache to keep.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.patch("/api/threads")
def close_thread():
    """Close a thread to new comments or open it again: {"thread": "/a", "closed": true}."""
    fields = request.fields
    if threads.FIELD not in fields:
        threads.refuse("name the page: thread is missing")
    thread = threads.named(fields[threads.FIELD])
    closed = fields.get("closed")
    if isinstance(closed, str) and closed in ("true", "false"):
        closed = closed == "true"  # from a form
    if not isinstance(closed, bool):
        message = "closed must be true or false"
        raise APIError(400, message, fields={"closed": message})
    return thread_response(app_state().store.close_thread(thread, closed))
