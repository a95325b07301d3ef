"""The comments blueprint: list and add comments. Auth is attached from outside (auth.py)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, current_app, request, url_for
from werkzeug.exceptions import BadRequest

from .errors import APIError, add_api_headers
from .spam import PENDING, verdict
from .stores import Store
from .stores.base import PUBLISHED, encode_comment
from .validation import clean_comment

bp = Blueprint("comments", __name__)


def get_store() -> Store:
    return current_app.extensions["comments_store"]


def json_response(body: bytes, status: int = 200, etag: str | None = None):
    response = current_app.response_class(body, status=status, content_type="application/json")
    if etag is not None:
        response.headers["ETag"] = f'"{etag}"'
    return add_api_headers(response)


@bp.get("/api/comments")
@bp.get("/comments.json")
def list_comments():
    """Answer the list, or 304 when the client's copy is current (a stat, no read)."""
    store = get_store()
    if request.if_none_match:
        etag = store.etag()
        if request.if_none_match.contains_weak(etag):
            return json_response(b"", 304, etag)
    snapshot = store.snapshot()
    return json_response(snapshot.body, etag=snapshot.etag)


@bp.post("/api/comments")
@bp.post("/comments.json")
def add_comment():
    """Store a comment; answer 201 with the updated list, as tutorial front ends expect.

    A comment the spam signals hold is answered 202 with the comment, "pending"; a
    honeypot's catch is answered like any other, 201 with the public list.
    """
    submission = read_submission()
    cleaned, errors = clean_comment(submission)
    if errors:
        raise APIError(400, "; ".join(errors.values()), fields=errors)
    max_links = current_app.extensions["comments_settings"]["max_links"]
    status = verdict(submission, cleaned, max_links) or PUBLISHED
    comment, snapshot = get_store().add(cleaned["author"], cleaned["text"], status)
    if status == PENDING:
        response = json_response(encode_comment(comment), 202)
        response.headers["Location"] = url_for(".get_comment", comment_id=comment["id"])
        return response
    response = json_response(snapshot.body, 201, snapshot.etag)
    response.headers["Location"] = url_for(".get_comment", comment_id=comment["id"])
    # The body is the list, not the new comment: say so, so caches file it rightly.
    response.headers["Content-Location"] = request.path
    return response


@bp.get("/api/comments/<int:comment_id>")
def get_comment(comment_id: int):
    comment = get_store().get(comment_id)
    if comment is None:
        raise APIError(404, f"there is no comment with id {comment_id}")
    return json_response(encode_comment(comment))


def read_submission() -> Mapping:
    """Return the submitted fields from a form, a multipart form or a JSON object."""
    mimetype = request.mimetype
    if mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.form
    if mimetype == "application/json" or mimetype.endswith("+json"):
        try:
            data = request.get_json()
        except BadRequest:
            raise APIError(400, "the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise APIError(400, 'the JSON body must be an object like {"author": …, "text": …}')
        return data
    raise APIError(
        415,
        f"cannot read a body of type {mimetype or 'none'}; send application/json, "
        "application/x-www-form-urlencoded or multipart/form-data",
    )
