"""Compressed answers, made once per version and kept: a request never compresses.

The cache is keyed by the representation's ETag (today the list's; a page of the
list or a changes answer has an ETag of its own and fits the same key), so a new
version of the list is compressed once per coding by the first request that wants
it, while the threads that ask at the same moment wait for that one result.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from .encoding import compress


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
