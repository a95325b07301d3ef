"""Threads seen from outside: how many comments pages have, and whether a page is closed.

Routes of the comments blueprint (so a login that guards reading guards them too); a
moderator closes or reopens a thread through the moderation blueprint (moderation.py).
"""

from __future__ import annotations

import hashlib
import json

from flask import current_app, request

from ...state import app_state
from ...stores.contract import ThreadInfo
from .. import endpoints, threads
from .comments import JSON, bp, json_response

# GET /api/counts: the most threads one request may count (an index page's worth).
MAX_THREADS = 100


@bp.get(endpoints.COUNTS_PATH)
def count_comments():
    """Answer {thread: published comments} for each ?thread= (up to MAX_THREADS), with an
    ETag that changes when any of them does; 304 when the client's copy is current."""
    given = request.args.getlist(threads.FIELD)
    if not given:
        threads.refuse("name the pages to count: ?thread=/a&thread=/b")
    if len(given) > MAX_THREADS:
        threads.refuse(f"at most {MAX_THREADS} threads are counted at once, not {len(given)}")
    names = {raw: threads.named(raw) for raw in given}
    store = app_state().store
    counted_threads = sorted(set(names.values()))
    # Read before the counts: an answer is kept only under versions it holds at least.
    request.environ[endpoints.COUNTED] = (tuple(counted_threads), store.counts_signature(counted_threads))
    counted = store.counts(counted_threads)
    # Keyed by the spellings asked for, which the client looks its pages up by.
    spelled = "\0".join(names)
    digest = hashlib.blake2b(f"{counted.etag}\0{spelled}".encode(), digest_size=12).hexdigest()
    etag = f"c{digest}"
    if request.if_none_match.contains_weak(etag):
        headers = [("Content-Type", JSON), ("ETag", f'"{etag}"')]
        return current_app.response_class(b"", status=304, headers=headers)
    body = json.dumps({raw: counted.counts[name] for raw, name in names.items()}, ensure_ascii=False)
    return json_response(body.encode(), etag=etag)


@bp.get("/api/threads")
def show_thread():
    """Answer whether a thread (?thread=) is closed, and how many comments it shows."""
    if threads.FIELD not in request.args:
        threads.refuse("name the page: ?thread=/a")
    return thread_response(app_state().store.thread_info(threads.of_query(request.args)))


def thread_response(info: ThreadInfo):
    body = {"thread": info.thread, "closed": info.closed, "count": info.count}
    return json_response(json.dumps(body, ensure_ascii=False).encode())
