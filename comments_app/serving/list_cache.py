"""The list cache: Flask's own answers to GETs of the list, kept per worker, answered beneath Flask.

Every open page polls the list (the tutorial's pages the whole list, ours ?since=<version>
with If-None-Match), most often for an answer it already has. Flask's request machinery (a
request context, routing, a dozen hooks, a Response object) costs more server CPU than these
answers themselves (docs/performance.md). So the first GET of the list with a given key goes
through Flask, and its status, headers and body are kept; later GETs with the same key are
answered from the cache, beneath Flask, byte for byte what Flask answered.

The key is what such an answer depends on: the path and query, the scheme and Host (the host
check), Accept-Encoding (the coding and its ETag), the store's version (read per request: a
stat of the file, or the version the PostgreSQL listener holds), and whether If-None-Match
matches the kept answer's ETag (a 304 or the answer itself). The cache is right by
construction: it holds only what Flask answered for that key, and only when Flask said the
answer is the list's at that very version (its Comments-Version header).

The counts of an index page (GET /api/counts?thread=…&thread=…) are kept the same way: their
version is what the store's counts_signature says of the threads counted (a stat of each
thread's file, or the versions the PostgreSQL listener holds), which the handler reads before
counting and hands over in the environ, with the threads it named; a hit then reads those
versions, not the query.

What the key leaves out cannot change a list's answer, or keeps the cache out of the way:
- a request with Authorization is never answered from the cache, nor kept (RFC 9111 §3.5),
  so a login attached after create_app (guards/auth.py, protect()) decides every request;
- with reads behind a login (COMMENTS_AUTH_SCOPE=all) or CORS origins, whose answers vary
  per request, the settings decide once that there is no cache;
- an answer that varies on anything but Accept-Encoding, sets a cookie or may not be stored
  (Cache-Control: no-store or private) is not kept;
- Flask refuses hooks registered after its first request, so the app a kept answer came
  from is the app that would answer now.

Like any cache in front of an app, an answer from the cache sends none of Flask's request
signals. The cache is bounded in bytes per worker; the least recently used answers go first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import lru_cache
from urllib.parse import parse_qs

from flask import Flask
from werkzeug.datastructures import ETags
from werkzeug.http import parse_etags, unquote_etag

from ..config import Settings
from ..model.threads import DEFAULT, ThreadRefused, normalize
from ..state import AppState
from ..web.endpoints import COUNTED, COUNTS_PATH, LIST_PATHS, VERSION_HEADER

# The header that ties a list's answer to the version it shows, as headers are compared here.
VERSION_FIELD = VERSION_HEADER.lower()

# What one worker keeps at most: a few versions of a long list in each coding.
MAX_BYTES = 16 * 1024 * 1024
# The counts' queries whose threads a worker remembers (a query names up to 100 threads).
MAX_COUNTED_QUERIES = 1024
# Answers the cache may keep: the list itself, or that the client's copy is current.
KEPT_STATUSES = frozenset({"200 OK", "304 NOT MODIFIED"})

Key = tuple[str, str, str, str, str, str]
Headers = list[tuple[str, str]]


class _Kept:
    """What Flask answered for one key: its 200 and its 304, as they come, and their ETag."""

    __slots__ = ("etag", "full", "not_modified", "size")

    def __init__(self, etag: str) -> None:
        self.etag = etag
        # (status, headers, body, size)
        self.full: tuple[str, Headers, bytes, int] | None = None
        self.not_modified: tuple[str, Headers, bytes, int] | None = None
        self.size = 0


@lru_cache(maxsize=256)
def _condition(header: str) -> ETags:
    """Parse an If-None-Match header; a page sends the same few again and again."""
    return parse_etags(header)


def used(settings: Settings) -> bool:
    """Tell whether the settings let the list's answers be kept: not when they vary per request."""
    reads_open = not settings.auth_users or settings.auth_scope == "write"
    return reads_open and not settings.cors_origins


class ListCache:
    """WSGI middleware around Flask keeping its answers to GETs of the list."""

    def __init__(self, wsgi_app: Callable, state: AppState, max_bytes: int = MAX_BYTES) -> None:
        self.wsgi_app = wsgi_app
        self.state = state
        self.max_bytes = max_bytes
        self._kept: OrderedDict[Key, _Kept] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        # {a counts query: the threads it names, as the handler named them}: a hit reads the
        # threads' versions, not the query (parsing 50 names costs as much as the rest).
        self._counted: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        # Counted for the tests and the benchmark: answers given from the cache, and by Flask.
        self.hits = 0
        self.misses = 0

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if (
            environ["REQUEST_METHOD"] != "GET"
            or (path not in LIST_PATHS and path != COUNTS_PATH)
            or "HTTP_AUTHORIZATION" in environ
        ):
            return self.wsgi_app(environ, start_response)
        try:
            version = self._version(path, environ.get("QUERY_STRING", ""))
        except Exception:
            # Flask answers it, and logs it, as it would anyway.
            return self.wsgi_app(environ, start_response)
        key = (
            environ["PATH_INFO"],
            environ.get("QUERY_STRING", ""),
            environ["wsgi.url_scheme"],
            environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}",
            environ.get("HTTP_ACCEPT_ENCODING", ""),
            version,
        )
        condition = environ.get("HTTP_IF_NONE_MATCH")
        kept = self._kept.get(key)
        if kept is not None:
            matched = condition is not None and _condition(condition).contains_weak(kept.etag)
            answer = kept.not_modified if matched else kept.full
            if answer is not None:
                self.hits += 1
                status, headers, body, _ = answer
                start_response(status, headers)
                return [body]
        self.misses += 1
        return self._through_flask(environ, start_response, key, version)

    def _version(self, path: str, query: str) -> object:
        """Return the version an answer of this path and query shows: the thread's for a list,
        the versions of the threads counted for counts (None: not known yet, not kept)."""
        if path != COUNTS_PATH:
            return self.state.store.etag(thread_of(query))
        threads = self._counted.get(query)
        return None if threads is None else self.state.store.counts_signature(list(threads))

    def _through_flask(
        self, environ: dict, start_response: Callable, key: Key, version: str
    ) -> Iterable[bytes]:
        """Let Flask answer, and keep its answer when it is the list's at this version."""
        answered: list = []

        def remember(status: str, headers: Headers, exc_info=None):
            answered[:] = [status, headers, exc_info]
            return start_response(status, headers, exc_info) if exc_info else _no_write

        body_parts = self.wsgi_app(environ, remember)
        status, headers, exc_info = answered
        if exc_info is not None:
            return body_parts
        if environ.get("PATH_INFO") == COUNTS_PATH:
            etag = self._counts_keepable(environ, status, headers, version)
        else:
            etag = keepable(status, headers, version)
        if etag is None:
            start_response(status, headers)
            return body_parts
        try:
            body = b"".join(body_parts)
        finally:
            close = getattr(body_parts, "close", None)
            if close is not None:
                close()
        self._keep(key, etag, status, headers, body)
        start_response(status, headers)
        return [body]

    def _counts_keepable(self, environ: dict, status: str, headers: Headers, version: object) -> str | None:
        """Remember which threads a counts query names; return the answer's ETag when it shows
        the versions its key was read at (the handler says which, in the environ)."""
        counted = environ.get(COUNTED)
        if counted is None:
            return None
        threads, shown = counted
        query = environ.get("QUERY_STRING", "")
        with self._lock:
            self._counted[query] = threads
            self._counted.move_to_end(query)
            while len(self._counted) > MAX_COUNTED_QUERIES:
                self._counted.popitem(last=False)
        if version is None or shown != version:
            return None
        unversioned = [(name, value) for name, value in headers if name.lower() != VERSION_FIELD]
        return keepable(status, unversioned, None)

    def _keep(self, key: Key, etag: str, status: str, headers: Headers, body: bytes) -> None:
        size = len(body) + sum(len(name) + len(value) for name, value in headers)
        if size > self.max_bytes // 4:
            return  # a single answer may not push out most of the others
        with self._lock:
            kept = self._kept.get(key)
            if kept is None or kept.etag != etag:
                if kept is not None:
                    self._bytes -= kept.size
                kept = self._kept[key] = _Kept(etag)
            else:
                self._kept.move_to_end(key)
            slot = "not_modified" if status.startswith("304") else "full"
            replaced = getattr(kept, slot)
            if replaced is not None:
                kept.size -= replaced[3]
                self._bytes -= replaced[3]
            setattr(kept, slot, (status, list(headers), body, size))
            kept.size += size
            self._bytes += size
            while self._bytes > self.max_bytes and self._kept:
                _, dropped = self._kept.popitem(last=False)
                self._bytes -= dropped.size

    def clear(self) -> None:
        """Forget every kept answer."""
        with self._lock:
            self._kept.clear()
            self._counted.clear()
            self._bytes = 0


def keepable(status: str, headers: Headers, version: str) -> str | None:
    """Return the answer's ETag when it may be kept under a key of this version, else None."""
    if status.upper() not in KEPT_STATUSES:
        return None
    etag = answered_version = None
    for name, value in headers:
        lowered = name.lower()
        if lowered == "etag":
            etag = unquote_etag(value)[0]
        elif lowered == VERSION_FIELD:
            answered_version = value
        elif (
            lowered == "set-cookie"
            or (
                lowered == "vary"
                and any(part.strip().lower() != "accept-encoding" for part in value.split(","))
            )
            or (lowered == "cache-control" and ("no-store" in value.lower() or "private" in value.lower()))
        ):
            return None
    if answered_version != version or etag is None:
        return None
    return etag


def thread_of(query: str) -> str:
    """Return the thread a list's query names, whose version keys its answer: the default
    thread when it names none, or names one badly (Flask refuses that query, and a 400,
    which shows no version, is never kept)."""
    if "thread" not in query:
        return DEFAULT
    given = parse_qs(query, keep_blank_values=True).get("thread", [])
    try:
        return normalize(given[0]) if len(given) == 1 else DEFAULT
    except ThreadRefused:
        return DEFAULT


def _no_write(data: bytes) -> None:
    raise RuntimeError("the list cache does not support WSGI's write()")


def init_app(app: Flask, state: AppState) -> None:
    """Put the list cache directly around Flask, when the settings allow one."""
    if not used(state.settings):
        return
    cache = ListCache(app.wsgi_app, state)
    app.wsgi_app = cache
    state.list_cache = cache
