"""GET /api/comments/events: a thread's changes pushed as they happen (Server-Sent Events).

A route of the comments blueprint, so the guards of the list (a login for readers, the
Host and CORS rules) guard the stream too. The stream is fed by the process's Streams
(stores/streams.py): one watcher, each change encoded once for every reader. The
client resumes with Last-Event-ID (EventSource sends it when it reconnects) or, on its
first connection, ?since= (the Comments-Version of the list it loaded).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable

from flask import current_app, request

from ...model.versions import VERSION_FORM
from ...state import app_state
from ...stores.streams import RETRY, Reader, Stopping, StreamRefused, Streams
from .. import endpoints, threads
from ..errors import APIError, error_response
from ..guards.ratelimit import client_key
from .comments import bp

# A client whose socket takes nothing for this long has stopped reading: its send fails,
# and its stream ends (the queue in stores/streams.py bounds what waits for it meanwhile).
STALL_SECONDS = 5.0
# The kernel's buffer for a stream's unsent bytes, fixed: left to grow by itself it takes
# up to megabytes for each reader that stopped reading, and a send never waits, so such a
# reader is never noticed.
SEND_BUFFER = 64 * 1024
RESUME_HEADER = "Last-Event-ID"
HEADERS = (
    ("Content-Type", "text/event-stream"),
    ("Cache-Control", "no-cache"),
    # nginx (and platforms built on it) would otherwise hold the events back.
    ("X-Accel-Buffering", "no"),
)


class Stream:
    """The body of one stream: its first bytes, then its reader's events; closing it (the
    server does, however the stream ends) forgets the reader. An iterator of its own, not
    a generator: a few hundred bytes less for each of thousands of idle streams."""

    __slots__ = ("_head", "_reader", "_streams")

    def __init__(self, streams: Streams, reader: Reader, head: bytes) -> None:
        self._streams = streams
        self._reader = reader
        self._head: bytes | None = head

    def __iter__(self) -> Stream:
        return self

    def __next__(self) -> bytes:
        head, self._head = self._head, None
        if head is not None:
            return head
        chunk = self._reader.next_chunk()
        if chunk is None:
            raise StopIteration
        return chunk

    def close(self) -> None:
        self._streams.close(self._reader)


@bp.get(endpoints.EVENTS_PATH)
def comment_events():
    """Answer a text/event-stream of the thread's changes, each one an event whose id is
    the thread's version after it, from the version the client resumes from (or, with
    none, from where the thread stands now)."""
    thread = threads.of_query(request.args)
    since = resumed_from()
    state = app_state()
    sock = request.environ.get("gunicorn.socket")
    try:
        reader, head = state.streams.open(thread, since, client_key(), aborter(sock))
    except StreamRefused as refused:
        response = error_response(refused.status, str(refused))
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    except Stopping:
        # A stream that ends at once: EventSource reconnects by itself (to another worker
        # or instance) and resumes by Last-Event-ID, which it would not after a 503.
        return current_app.response_class(RETRY + b"\n", headers=HEADERS)
    stream = Stream(state.streams, reader, head)
    if sock is not None:
        sock.settimeout(STALL_SECONDS)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
    return current_app.response_class(stream, headers=HEADERS, direct_passthrough=True)


def aborter(sock: socket.socket | None) -> Callable[[], None] | None:
    """Return what ends the connection at once, under gunicorn (the only server with its
    socket in the environ); None elsewhere."""
    if sock is None:
        return None

    def abort() -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    return abort


def resumed_from() -> str | None:
    """Return the version the client has seen: Last-Event-ID first (it is newer), else
    ?since=; None for a client that has seen nothing. A Last-Event-ID that is no version
    is answered as one the store does not know (a reset), a bad ?since= with a 400."""
    resumed = request.headers.get(RESUME_HEADER)
    if resumed:
        return resumed  # a malformed one gets a reset (stores/streams.py)
    since = request.args.get("since")
    if since is not None and not VERSION_FORM.fullmatch(since):
        message = "since must be a Comments-Version header's value"
        raise APIError(400, message, fields={"since": message})
    return since
