"""Safe retries: POST with an Idempotency-Key header (IETF httpapi draft) is done once.

A repeat with the same key and the same request, from the same client, on any worker or
instance, answers what the first answered and stores nothing new; while the first is
still running, a repeat waits for its answer. The same key with a different request is
422. Only successful answers are kept (a 4xx or 5xx is not worth repeating: the retry
is tried afresh).

Keys are the client's own, as Stripe's are an account's: a record is found by a digest
of the client (its address as the rate limits see it and, when logged in, its user) and
the key, so another client sending the same key and body makes a comment of its own and
never sees this one's answer, Comment-Token included; nor does a 422 tell it the key was
used. A record keeps what a repeat needs: the status, the headers worth repeating, and
the new comment, or, when the answer was the whole list, the list's version only: the
repeat answers the list as it is now, in the coding the repeat accepts.

Where the store keeps records with their comments (RecordsWithComments), the claim is
attached to the request: PostgreSQL completes the record in the comment's own
transaction, pointing at the comment; the file store keeps the key with the comment, in
its write, and the record is completed after the answer as without. A repeat whose
claim has its comment stored (and not yet an answer, on the file store: a worker killed
between the two) runs the handler again with that comment handed back by the store
instead of a new one stored, so it answers as the first did (the same status, Location
and Comment-Token, both stamped with the time the record keeps; the list as it is now).

Registered after the rate limiter, so that every repeat is counted as any POST is: a
retry costs the client one more POST of its limit, as a refused one does.
"""

from __future__ import annotations

import hashlib
import json
import re
import time

from flask import Flask, current_app, g, request

from ...model import tokens
from ...model.versions import VersionGone, VersionUnknown
from ...state import app_state
from ...stores.contract import Snapshot
from ...stores.idempotency import Answer, RecordsWithComments, completed_by_add
from .. import codings
from ..api.comments import encoded_response
from ..endpoints import VERSION_HEADER, is_new_comment
from ..errors import APIError
from .auth import basic_auth
from .ratelimit import client_key

HEADER = "Idempotency-Key"
# An RFC 8941 string ("...") as the draft says, or the same characters unquoted.
KEY = re.compile(r'^"?([\x20\x21\x23-\x5b\x5d-\x7e]{1,255})"?$')
# Answer headers a repeat gets back; the rest describe this answer, not the first, or
# (the coding, the ETag and version of a list) are the repeat's own.
REPEATED = (
    "Content-Type",
    "Vary",
    "Location",
    "Content-Location",
    "Comment-Token",
    "Preference-Applied",
)
WAIT_SECONDS = 15.0
# How long a repeat waits for its worker to hear of the list's version the first answer
# showed (PostgreSQL's NOTIFY takes milliseconds to reach the other workers).
CATCH_UP_SECONDS = 2.0


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


def scoped(key: str) -> str:
    """The key as the records know it: a digest of the client and its key, so one client's
    key never finds another's record. The user counts only once its login has passed."""
    client = [client_key(), basic_auth.current_user() or "", key]
    return hashlib.sha256(json.dumps(client).encode()).hexdigest()


def fingerprint() -> str:
    """What makes two requests the same: method, path, body type and body bytes."""
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.mimetype):
        digest.update(part.encode() + b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def kept(response) -> Answer:
    """What a repeat of this answer needs: a list's version rather than the list."""
    headers = {name: response.headers[name] for name in REPEATED if name in response.headers}
    version = response.headers.get(VERSION_HEADER)
    if version is not None:
        return Answer(response.status_code, headers, list_version=version)
    return Answer(response.status_code, headers, response.get_data())


def replay(answer: Answer):
    """Answer a repeat: the comment kept, or the list as it is now in the repeat's coding."""
    if answer.list_version is None:
        response = current_app.response_class(answer.body, status=answer.status)
    else:
        coding = codings.choose(request.headers.get("Accept-Encoding"))
        response = encoded_response(current_list(answer.list_version), coding, answer.status)
    for name, value in answer.headers.items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def current_list(shown: str) -> Snapshot:
    """The list as the store holds it now, once this worker has heard of the version shown.

    Another PostgreSQL worker's write reaches this one's list by NOTIFY, a few
    milliseconds after it commits: a repeat answered at once could show a list without
    the comment it repeats. The store's changes since the version shown say what the
    list now is; wait, briefly, until this worker's list is that one.
    """
    store = app_state().store
    snapshot = store.snapshot()
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while snapshot.etag != shown and time.monotonic() < deadline:
        try:
            latest = store.changes(shown).version
        except (VersionUnknown, VersionGone):
            break  # another store's version, or long past: the list now is all there is
        if snapshot.etag == latest:
            break
        time.sleep(0.01)
        snapshot = store.snapshot()
    return snapshot


# Set on g when a key is attached to the store (records kept with their comments), and
# (to the key) when the handler answers a repeat again; the stamp its answer's
# Comment-Token carries.
ATTACHED = "idempotency_attached"
REPLAYED = "idempotency_replayed"
STAMP = "idempotency_stamp"


def attach(records: RecordsWithComments, key: str, comment_id: int | None, stamp: int | None) -> None:
    """Attach the key to this request's add; detached when the request ends, however it ends."""
    setattr(g, ATTACHED, True)
    setattr(g, STAMP, stamp)
    records.attach(key, comment_id, stamp)


def stamped(response) -> None:
    """Stamp the handler's Comment-Token with the time kept in the record, so that the first
    answer and every repeat carry the same token (the handler stamps it with its own time)."""
    stamp, token = g.pop(STAMP, None), response.headers.get(tokens.HEADER)
    if stamp is None or token is None:
        return
    key = app_state().store.secret_key()
    response.headers[tokens.HEADER] = tokens.make(key, tokens.named(key, token), at=stamp)


def before_post():
    if not is_new_comment(request):
        return None
    key = request_key()
    if key is None:
        return None
    key = scoped(key)
    records = app_state().records
    mine = fingerprint()
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = records.claim(key, mine)
        if found.claimed:
            request.idempotency_key = key
            if isinstance(records, RecordsWithComments):
                attach(records, key, None, int(time.time()))
            return None
        if found.fingerprint != mine:
            raise APIError(422, f"this {HEADER} was already used for a different request; use a new key")
        if found.answer is not None:
            return replay(found.answer)
        if found.comment_id is not None and isinstance(records, RecordsWithComments):
            # The handler answers again, the store handing back the comment stored.
            attach(records, key, found.comment_id, found.stamp)
            setattr(g, REPLAYED, key)
            return None
        if time.monotonic() > deadline:
            raise APIError(409, f"the first request with this {HEADER} is still being processed; retry later")
        time.sleep(0.05)


def after_post(response):
    if 200 <= response.status_code < 300:
        stamped(response)
    replayed = g.pop(REPLAYED, None)
    if replayed is not None:
        response.headers["Idempotent-Replayed"] = "true"
        records = app_state().records
        # Completes a claim its worker never did (killed after the comment) with the
        # answer it would have given; a completed record stays as it is.
        if 200 <= response.status_code < 300 and not completed_by_add(records):
            records.complete(replayed, kept(response))
        return response
    key, request.idempotency_key = request.idempotency_key, None
    if key is None:
        return response
    records = app_state().records
    if not 200 <= response.status_code < 300:
        records.release(key)
    elif not completed_by_add(records):
        records.complete(key, kept(response))
    # Else the record was completed with the comment, in its transaction.
    return response


def release_on_error(error: BaseException | None) -> None:
    """Release a claim whose request failed before it had an answer; detach it from the store."""
    if g.pop(ATTACHED, False):
        app_state().records.detach()
    key, request.idempotency_key = request.idempotency_key, None
    if key is not None:
        try:
            app_state().records.release(key)
        except Exception:
            # The key is a digest of the client and its key: neither is in the log.
            current_app.logger.exception("could not release an %s's record (%s)", HEADER, key[:12])


def init_app(app: Flask) -> None:
    """Answer repeats from the Idempotency-Key records the store keeps beside the comments."""
    app.before_request(before_post)
    app.after_request(after_post)
    app.teardown_request(release_on_error)
