"""The file store's recent changes, kept in each process, to answer "what changed since".

Each process records every version of the file it moves to, with the records that
changed from the version before (found by comparing the two, a cheap prefix check
when comments were only added). Versions are ordered by the file's modification
time, which every write makes strictly later: a since value names one, and the
changes after it are the union of the later transitions, in time proportional to
them. A process that skipped versions written by others records the jump as one
transition, so a version it never saw is still answered (a few changes may be
reported twice, which a client takes as they come).
"""

from __future__ import annotations

import bisect
import threading

from .feed import VersionGone, VersionUnknown

# Transitions kept per process; a since value older than all of them answers 410.
DEFAULT_LIMIT = 2000


class History:
    """Versions (modification time, ETag) and the records that changed into each."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._base: tuple[int, str] | None = None  # the oldest version answerable
        self._times: list[int] = []
        self._etags: list[str] = []
        self._changes: list[dict[int, bytes | None]] = []

    def reset(self, mtime: int, etag: str) -> None:
        """Start again from this version: the ones before it are not answerable here."""
        with self._lock:
            self._base = (mtime, etag)
            self._times, self._etags, self._changes = [], [], []

    def record(self, mtime: int, etag: str, changes: dict[int, bytes | None]) -> None:
        """Add the move to a later version; changes is {id: its record now, or None}."""
        with self._lock:
            self._times.append(mtime)
            self._etags.append(etag)
            self._changes.append(changes)
            if len(self._times) > self.limit:
                self._base = (self._times[0], self._etags[0])
                del self._times[0], self._etags[0], self._changes[0]

    def since(self, mtime: int, etag: str) -> tuple[str, dict[int, bytes | None]]:
        """Return the latest version's ETag and {id: record now, or None} changed after
        the version named; raise VersionUnknown or VersionGone."""
        with self._lock:
            if self._base is None:
                raise VersionGone("this server has no history yet")
            base_time, base_etag = self._base
            latest_time = self._times[-1] if self._times else base_time
            latest_etag = self._etags[-1] if self._etags else base_etag
            if mtime > latest_time:
                raise VersionUnknown("the version is not one of this list's")
            if mtime < base_time:
                raise VersionGone("the version is older than the history this server keeps")
            start = bisect.bisect_right(self._times, mtime)
            # A version this process saw is checked whole; one it skipped cannot be.
            if start == 0:
                seen, known = mtime == base_time, base_etag
            else:
                seen, known = self._times[start - 1] == mtime, self._etags[start - 1]
            if seen and known != etag:
                raise VersionUnknown("the version is not one of this list's")
            merged: dict[int, bytes | None] = {}
            for changes in self._changes[start:]:
                merged.update(changes)
            return latest_etag, merged
