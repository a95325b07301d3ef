"""The comments blueprint: list and add comments. Auth is attached from outside (auth.py)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, current_app, request, url_for
from werkzeug.exceptions import BadRequest

from . import encoding
from .compressed import CompressedBodies
from .errors import APIError
from .prefer import wants_minimal
from .stores import Snapshot, Store
from .stores.base import encode_comment
from .validation import clean_comment

bp = Blueprint("comments", __name__)


def get_store() -> Store:
    return current_app.extensions["comments_store"]


def get_compressed() -> CompressedBodies:
    return current_app.extensions["comments_compressed"]


def json_response(body: bytes, status: int = 200, etag: str | None = None):
    response = current_app.response_class(body, status=status, content_type="application/json")
    if etag is not None:
        response.headers["ETag"] = f'"{etag}"'
    return response


def encoded_response(snapshot: Snapshot, coding: str, status: int = 200):
    """Answer a list in the chosen coding, with that coding's own ETag."""
    if coding == encoding.IDENTITY:
        body = snapshot.body
    else:
        body = get_compressed().get(snapshot.etag, coding, snapshot.body)
    response = json_response(body, status, encoding.tagged(snapshot.etag, coding))
    if coding != encoding.IDENTITY:
        response.headers["Content-Encoding"] = coding
    response.vary.add("Accept-Encoding")
    return response


@bp.get("/api/comments")
@bp.get("/comments.json")
def list_comments():
    """Answer the list, or 304 when the client's copy is current (a stat, no read)."""
    store = get_store()
    coding = encoding.choose(request.headers.get("Accept-Encoding"))
    if request.if_none_match:
        etag = encoding.tagged(store.etag(), coding)
        if request.if_none_match.contains_weak(etag):
            response = json_response(b"", 304, etag)
            response.vary.add("Accept-Encoding")
            return response
    return encoded_response(store.snapshot(), coding)


@bp.post("/api/comments")
@bp.post("/comments.json")
def add_comment():
    """Store a comment; answer 201 with the updated list, as tutorial front ends expect.

    With Prefer: return=minimal (RFC 7240) the answer is the new comment alone.
    """
    cleaned, errors = clean_comment(read_submission())
    if errors:
        raise APIError(400, "; ".join(errors.values()), fields=errors)
    comment, snapshot = get_store().add(cleaned["author"], cleaned["text"])
    location = url_for(".get_comment", comment_id=comment["id"])
    if wants_minimal(request.headers):
        response = json_response(encode_comment(comment), 201)
        response.headers["Preference-Applied"] = "return=minimal"
        response.headers["Content-Location"] = location
    else:
        coding = encoding.choose(request.headers.get("Accept-Encoding"))
        response = encoded_response(snapshot, coding, 201)
        # The body is the list, not the new comment: say so, so caches file it rightly.
        response.headers["Content-Location"] = request.path
    response.headers["Location"] = location
    response.vary.add("Prefer")
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
