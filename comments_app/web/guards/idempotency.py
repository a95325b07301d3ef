"""Safe retries: POST with an Idempotency-Key header (IETF httpapi draft) is done once.

A repeat with the same key and the same request, on any worker or instance, answers what
the first answered and stores nothing new; while the first is still running, a repeat
waits for its answer. The same key with a different request is 422. Only successful
answers are kept (a 4xx or 5xx is not worth repeating: the retry is tried afresh).
Registered before the rate limiter, so that a repeat answered from the record is not
counted as a new comment.
"""

from __future__ import annotations

import hashlib
import re
import time

from flask import Flask, current_app, request

from ...state import app_state
from ...stores.idempotency import Answer
from ..endpoints import is_new_comment
from ..errors import APIError

HEADER = "Idempotency-Key"
# An RFC 8941 string ("...") as the draft says, or the same characters unquoted.
KEY = re.compile(r'^"?([\x20\x21\x23-\x5b\x5d-\x7e]{1,255})"?$')
# Answer headers a repeat gets back; the rest describe this answer, not the first.
REPEATED = (
    "Content-Type",
    "Content-Encoding",
    "Vary",
    "Location",
    "Content-Location",
    "ETag",
    "Comment-Token",
    "Preference-Applied",
)
WAIT_SECONDS = 15.0


def request_key() -> str | None:
    """The request's Idempotency-Key, or None; 400 when it is not a key."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    match = KEY.match(raw.strip())
    if match is None or raw.strip().count('"') not in (0, 2):
        raise APIError(
            400, f'{HEADER} must be a string of 1 to 255 printable ASCII characters, like "a1b2c3"'
        )
    return match.group(1)


def fingerprint() -> str:
    """What makes two requests the same: method, path, body type and body bytes."""
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.mimetype):
        digest.update(part.encode() + b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def replay(answer: Answer):
    response = current_app.response_class(answer.body, status=answer.status)
    for name, value in answer.headers.items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def before_post():
    if not is_new_comment(request):
        return None
    key = request_key()
    if key is None:
        return None
    records = app_state().records
    mine = fingerprint()
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = records.claim(key, mine)
        if found.claimed:
            request.idempotency_key = key
            return None
        if found.fingerprint != mine:
            raise APIError(422, f"this {HEADER} was already used for a different request; use a new key")
        if found.answer is not None:
            return replay(found.answer)
        if time.monotonic() > deadline:
            raise APIError(409, f"the first request with this {HEADER} is still being processed; retry later")
        time.sleep(0.05)


def after_post(response):
    key, request.idempotency_key = request.idempotency_key, None
    if key is None:
        return response
    records = app_state().records
    if 200 <= response.status_code < 300:
        headers = {name: response.headers[name] for name in REPEATED if name in response.headers}
        records.complete(key, Answer(response.status_code, headers, response.get_data()))
    else:
        records.release(key)
    return response


def release_on_error(error: BaseException | None) -> None:
    """Release a claim whose request failed before it had an answer."""
    key, request.idempotency_key = request.idempotency_key, None
    if key is not None:
        try:
            app_state().records.release(key)
        except Exception:
            current_app.logger.exception("could not release the %s %r", HEADER, key)


def init_app(app: Flask) -> None:
    """Answer repeats from the Idempotency-Key records the store keeps beside the comments."""
    app.before_request(before_post)
    app.after_request(after_post)
    app.teardown_request(release_on_error)
