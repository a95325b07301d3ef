"""Content codings: which one a request accepts, each one's own strong ETag, and the
compressed answers, made once per version and kept, so that a request never compresses.

Nothing here imports Flask: the list (api/comments.py) and the page's files (pages.py)
pass in the request's Accept-Encoding and get back a coding name.

The compressed answers are keyed by the representation's ETag (the list's, a page's or a
changes answer's), so a new version is compressed once per coding by the first request
that wants it, while the threads that ask at the same moment wait for that one result.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from functools import lru_cache

import brotli
from werkzeug.datastructures import Accept
from werkzeug.http import parse_accept_header

IDENTITY = "identity"
# The codings served, the better compression first: it wins when a client rates both the same.
CODINGS = ("br", "gzip")
# What each coding's file beside the original ends with (app.js.br, app.js.gz).
SUFFIXES = {"br": ".br", "gzip": ".gz"}
# RFC 9110 §8.4.1.3: x-gzip is gzip.
ALIASES = {"x-gzip": "gzip"}


def qualities(accept_encoding: str) -> dict[str, float]:
    """Return {coding: q} as the header states them, the first mention of a coding winning."""
    stated: dict[str, float] = {}
    for value, quality in parse_accept_header(accept_encoding, Accept):
        name = ALIASES.get(value.lower(), value.lower())
        stated.setdefault(name, quality)
    return stated


# Browsers send a handful of distinct headers: remember the choice for the last few.
@lru_cache(maxsize=256)
def choose(accept_encoding: str | None, offered: tuple[str, ...] = CODINGS) -> str:
    """Return the coding to answer with: one of offered, or identity.

    q-values are honoured, a coding named outranks "*", q=0 refuses; between equal
    ratings the order of offered decides. Identity wins only when the client rates it
    above every offered coding; when nothing is acceptable the answer is identity
    anyway (RFC 9110 allows that rather than a 406, and every client reads it).
    """
    if not accept_encoding:
        return IDENTITY
    stated = qualities(accept_encoding)
    wildcard = stated.get("*")
    best, best_q = IDENTITY, 0.0
    for coding in offered:
        q = stated.get(coding, wildcard)
        if q is not None and q > best_q:
            best, best_q = coding, q
    if best == IDENTITY:
        return IDENTITY
    identity_q = stated.get(IDENTITY, wildcard)
    if identity_q is not None and identity_q > best_q:
        return IDENTITY
    return best


def tagged(etag: str, coding: str) -> str:
    """Return the ETag of one coding of a representation: its own, distinct and strong."""
    return etag if coding == IDENTITY else f"{etag}-{coding}"


# Dynamic answers (the list) are compressed at levels that take milliseconds on a
# long list; the page's files are compressed harder, once, at build (ui/vite.config.js).
GZIP_LEVEL = 6
BROTLI_QUALITY = 5


def compress(body: bytes, coding: str) -> bytes:
    """Return body in the given coding; the same bytes for the same input."""
    if coding == "gzip":
        return gzip.compress(body, GZIP_LEVEL, mtime=0)
    if coding == "br":
        return brotli.compress(body, quality=BROTLI_QUALITY)
    if coding == IDENTITY:
        return body
    raise ValueError(f"unknown content coding {coding!r}")


class _Entry:
    def __init__(self) -> None:
        self.ready = threading.Event()
        self.body = b""
        self.error: BaseException | None = None


class CompressedBodies:
    """The compressed bytes of the last few representations, by (ETag, coding)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.compressions = 0

    def get(self, etag: str, coding: str, body: bytes) -> bytes:
        """Return body in coding; body must be the representation that etag names."""
        key = (etag, coding)
        with self._lock:
            entry = self._entries.get(key)
            owner = entry is None
            if owner:
                entry = self._entries[key] = _Entry()
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(key)
        if owner:
            try:
                entry.body = compress(body, coding)
                self.compressions += 1
            except BaseException as error:
                entry.error = error
                with self._lock:
                    if self._entries.get(key) is entry:
                        del self._entries[key]
                raise
            finally:
                entry.ready.set()
        else:
            entry.ready.wait()
            if entry.error is not None:
                raise entry.error
        return entry.body
