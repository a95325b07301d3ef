"""Content codings: which one a request accepts, each one's own strong ETag, and the
compressed answers, made once per version and kept, so that a request never compresses.

Nothing here imports Flask: the list (api/comments.py) and the page's files (pages.py)
pass in the request's Accept-Encoding and get back a coding name.

The compressed answers are keyed by the representation's ETag (the list's, a page's or a
changes answer's), so a new version is compressed once per coding by the first request
that wants it, while the threads that ask at the same moment wait for that one result.
They are kept within a bound in bytes, not in entries: one entry may be a few bytes or
several megabytes.

How hard an answer is compressed depends on what it is (Effort): the list, which every
tutorial client polls, thoroughly; a page or a changes answer, of which there are many
distinct ones, each perhaps asked once, quickly, and not at all when large, so that one
uncached request costs about what a plain GET does.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Effort:
    """How hard to compress one kind of answer, and the size above which not to."""

    gzip_level: int
    brotli_quality: int
    # Bodies larger than this (bytes) are sent as they are; None: any size is compressed.
    largest: int | None = None

    def coding(self, coding: str, size: int) -> str:
        """Return the coding to send a body of size bytes in: coding, or identity if too large."""
        if self.largest is not None and size > self.largest:
            return IDENTITY
        return coding


# The list (GET and the POST's answer): compressed once per version and kept for every
# client that polls it, at levels that take milliseconds on a long list (brotli 5: 35 ms
# for 1.8 MB); the page's files are compressed harder, once, at build (ui/vite.config.js).
GZIP_LEVEL = 6
BROTLI_QUALITY = 5
THOROUGH = Effort(GZIP_LEVEL, BROTLI_QUALITY)
# A page or a changes answer: one of many (every ?before= cursor, every ?since= version),
# so each may be compressed for one request. The fastest levels cost a fifth to a seventh
# of the CPU for 8% (brotli) to 35% (gzip) more bytes; above 1 MiB (a page of 500 long
# comments) the answer goes uncompressed, so that no one request compresses more than
# about 1 MiB: 3.5 ms brotli, 7 ms gzip.
QUICK = Effort(1, 1, largest=1024 * 1024)


def compress(body: bytes, coding: str, effort: Effort = THOROUGH) -> bytes:
    """Return body in the given coding; the same bytes for the same input."""
    if coding == "gzip":
        return gzip.compress(body, effort.gzip_level, mtime=0)
    if coding == "br":
        return brotli.compress(body, quality=effort.brotli_quality)
    if coding == IDENTITY:
        return body
    raise ValueError(f"unknown content coding {coding!r}")


class _Entry:
    def __init__(self) -> None:
        self.ready = threading.Event()
        self.body = b""
        self.error: BaseException | None = None
        # The bytes counted for it, once its body is made: 0 while it is being made.
        self.cost = 0


# The compressed answers a worker keeps, in bytes: the list cache beneath Flask keeps as
# much (serving/list_cache.py). 10,000 comments are 461 KB brotli, 2,000 long ones 1.5 MB.
MAX_BYTES = 16 * 1024 * 1024
# What keeping one answer costs beside its body: its key, its entry and its Event
# (about 1.5 KiB, measured with tracemalloc), so that many tiny answers (an empty
# changes answer is 30 bytes) are bounded too.
ENTRY_COST = 1536


class CompressedBodies:
    """The compressed bytes of the last representations asked for, by (ETag, coding),
    at most max_bytes of them (an answer larger than that is made and not kept)."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.compressions = 0
        self.size = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, etag: str, coding: str, body: bytes, effort: Effort = THOROUGH) -> bytes:
        """Return body in coding; body must be the representation that etag names, and
        effort the same for an etag each time (it is not part of the key)."""
        key = (etag, coding)
        with self._lock:
            entry = self._entries.get(key)
            owner = entry is None
            if owner:
                entry = self._entries[key] = _Entry()
            else:
                self._entries.move_to_end(key)
        if owner:
            try:
                entry.body = compress(body, coding, effort)
                self.compressions += 1
            except BaseException as error:
                entry.error = error
                with self._lock:
                    if self._entries.get(key) is entry:
                        del self._entries[key]
                raise
            else:
                self._count(key, entry)
            finally:
                entry.ready.set()
        else:
            entry.ready.wait()
            if entry.error is not None:
                raise entry.error
        return entry.body

    def _count(self, key: tuple[str, str], entry: _Entry) -> None:
        """Count a made entry's bytes, then drop the least recently asked for past the bound."""
        with self._lock:
            if self._entries.get(key) is not entry:
                return  # dropped while it was being made
            cost = len(entry.body) + len(key[0]) + ENTRY_COST
            if cost > self.max_bytes:
                del self._entries[key]  # kept, it would push out everything else
                return
            entry.cost = cost
            self.size += cost
            while self.size > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self.size -= dropped.cost
