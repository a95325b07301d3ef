"""Each process's copy of the threads it serves: their bytes at a version, bounded by size.

A site has thousands of threads and a process serves some of them often: it keeps the
most recently used ones, evicting the least recently used past a budget of bytes. A
copy is current while the listener (store.py) has heard no commit of its thread since
the copy was read: a GET then costs no query.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property

from ...model.threads import DEFAULT, tag
from ..feed import PublicLines

# The bytes of thread lists one process keeps: each thread's JSON (paging a thread splits
# it into lines too, about as much again).
BUDGET = 32 * 1024 * 1024
# The threads whose commits the listener remembers one by one; past it, it forgets them
# all at once and every copy is checked again (a site with more threads than this
# written between two checks of one process is rare).
HEARD_LIMIT = 100_000


def thread_etag(thread: str, epoch: str, version: int) -> str:
    """Return a thread's version as clients see it: the default thread's as before threads,
    a named thread's with its tag, so that no thread's version is taken for another's."""
    if thread == DEFAULT:
        return f"{epoch}-{version:x}"
    return f"{epoch}-{tag(thread)}-{version:x}"


def parse_etag(thread: str, since: str) -> tuple[str, int] | None:
    """Return (epoch, version) of a thread's version as thread_etag spells it, or None."""
    parts = since.split("-")
    if thread == DEFAULT and len(parts) == 2:
        epoch, number = parts
    elif thread != DEFAULT and len(parts) == 3 and parts[1] == tag(thread):
        epoch, _, number = parts
    else:
        return None
    if not epoch or not number or number != number.strip() or number.startswith(("+", "-")):
        return None
    try:
        version = int(number, 16)
    except ValueError:
        return None
    return (epoch, version) if version < 2**63 else None


@dataclass
class ThreadCopy:
    """One thread's list at one version, and the listener's count when it was read."""

    thread: str
    epoch: str
    version: int
    # The largest id of the thread's rows (any status) read: later rows are appends.
    last_id: int
    body: bytes
    checked: int = field(compare=False)

    @property
    def etag(self) -> str:
        return thread_etag(self.thread, self.epoch, self.version)

    @cached_property
    def public(self) -> PublicLines:
        return PublicLines([] if self.body == b"[]\n" else self.body[2:-3].split(b",\n"))


@dataclass(frozen=True)
class ThreadCount:
    """A thread's version and published comments, and the listener's count when read."""

    thread: str
    epoch: str
    version: int
    published: int
    checked: int


class ThreadCache:
    """The copies of one process, least recently used first, and what the listener heard."""

    def __init__(self, budget: int = BUDGET) -> None:
        self.budget = budget
        self._copies: OrderedDict[str, ThreadCopy] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        # The listener's count of commits heard, when it last heard each thread's, and
        # when it last heard of a change to every thread (an import, a reconnection).
        self.count = 0
        self._heard: dict[str, int] = {}
        self._everything_at = 0
        # Each thread's version and published count, for GET /api/counts: small, many.
        self._counts: dict[str, ThreadCount] = {}

    def heard(self, thread: str) -> None:
        """Count a commit of a thread: heard by the listener, or made by this process."""
        with self._lock:
            self.count += 1
            if len(self._heard) >= HEARD_LIMIT:
                self._heard = {}
                self._everything_at = self.count
            self._heard[thread] = self.count

    def heard_everything(self) -> None:
        """Count a change of every thread: an import, or commits nobody listened for."""
        with self._lock:
            self.count += 1
            self._everything_at = self.count

    def _fresh(self, thread: str, checked: int) -> bool:
        return checked >= self._everything_at and checked >= self._heard.get(thread, 0)

    def heard_count(self) -> tuple[int]:
        """Return what moves whenever a commit of any thread is heard."""
        return (self.count,)

    def heard_at(self, thread: str) -> tuple[int, int]:
        """Return what moves whenever a commit of the thread is heard (or of every thread)."""
        return self._heard.get(thread, 0), self._everything_at

    def current_count(self, thread: str) -> ThreadCount | None:
        """Return the thread's count when no commit of it was heard since it was read."""
        count = self._counts.get(thread)
        return count if count is not None and self._fresh(thread, count.checked) else None

    def keep_count(self, count: ThreadCount) -> None:
        with self._lock:
            if len(self._counts) >= HEARD_LIMIT:
                self._counts = {}
            self._counts[count.thread] = count

    def forget_count(self, thread: str) -> None:
        """Drop a thread's count: this process changed it, before its listener hears so."""
        with self._lock:
            self._counts.pop(thread, None)

    def current(self, thread: str) -> ThreadCopy | None:
        """Return the thread's copy when no commit of it was heard since it was read."""
        copy = self._copies.get(thread)
        if copy is None or not self._fresh(thread, copy.checked):
            return None
        with self._lock:
            if thread in self._copies:
                self._copies.move_to_end(thread)
        return copy

    def get(self, thread: str) -> ThreadCopy | None:
        """Return the thread's copy, current or not."""
        return self._copies.get(thread)

    def keep(self, copy: ThreadCopy) -> ThreadCopy:
        """Keep a copy unless a newer one of the same epoch is kept; return the one kept."""
        with self._lock:
            kept = self._copies.get(copy.thread)
            if kept is not None and kept.epoch == copy.epoch and kept.version > copy.version:
                return kept
            if kept is not None:
                self._size -= len(kept.body)
            self._copies[copy.thread] = copy
            self._copies.move_to_end(copy.thread)
            self._size += len(copy.body)
            while self._size > self.budget and len(self._copies) > 1:
                _, evicted = self._copies.popitem(last=False)
                self._size -= len(evicted.body)
            return copy

    def checked(self, copy: ThreadCopy, seen: int) -> ThreadCopy:
        """Mark a kept copy as found current by a read that began at count seen."""
        copy.checked = max(copy.checked, seen)
        return self.keep(copy)
