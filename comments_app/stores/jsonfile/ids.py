"""The file store's ids at site scale: who gives them out, and which thread holds each.

A store with named threads keeps comments.json.ids, one line per id ("<id> <tag>\\n",
tag "-" for the default thread, see model.threads.tag), appended and fsynced under a
lock on the file itself before the comment's own thread file is written. An id is so
given out once, whatever is killed when: a write that dies after its line leaves an id
no thread file holds, never one given twice. Every process reads the lines it has not
read yet (as it reads a journal) to find a comment's thread by its id, and the site's
newest comments.

A store of the default thread alone (every store from before threads) has no such file:
its ids come from its own file, as they always did, and its folder holds what it held.
The first write of a named thread makes the file, under the default thread's lock, with
every id of the default thread's file first; from then on every thread's ids come from it.
An id no line names is the default thread's (a file edited by hand).
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import os
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from ..files import Tail, fsync_folder, write_all

DEFAULT_TAG = "-"
# A thread's tag: model.threads.tag's 20 hex digits.
TAG_LENGTH = 20


class Ids:
    """The id allocator and the index of ids to threads, read incrementally."""

    def __init__(
        self,
        path: Path,
        default_locked: Callable[[], AbstractContextManager],
        default_ids: Callable[[int], Iterable[int]],
    ) -> None:
        """default_locked holds the default thread's lock (yielding its fd); default_ids(fd)
        lists the ids of the default thread's file, its lock held."""
        self.path = path
        self.tmp_path = path.with_name(path.name + ".tmp")
        self._default_locked = default_locked
        self._default_ids = default_ids
        self._lock = threading.Lock()
        self._tail = Tail(self.path)
        # Ids in the order given out (increasing: compact, and found by bisection), each
        # with the number of its tag; an id out of that order (an import's) in _others.
        self._ids = array("q")
        self._tag_numbers = array("I")
        self._tags: list[str] = []
        self._numbers: dict[str, int] = {}
        self._others: dict[int, str] = {}
        # What the writers know, apart from what the readers know: writers run in
        # gevent's pool of real threads, readers on the loop, and a lock of one is no
        # lock of the other. Writers take turns by the file's lock.
        self._written_offset = 0
        self._written_last = 0

    def exists(self) -> bool:
        return self.path.exists()

    # Writing: called by a thread's writer, holding that thread's lock.

    def allocate(self, count: int, tag: str, floor: int) -> list[int]:
        """Give out count new ids to a thread, above floor (its own file's last id), durably."""
        if tag == DEFAULT_TAG and not self.exists():
            # The default thread alone: its file says which ids are taken, as before threads.
            return list(range(floor + 1, floor + count + 1))
        with self._locked_file() as fd:
            first = max(self._written_last, floor) + 1
            ids = list(range(first, first + count))
            self._append(fd, ids, tag)
        return ids

    def claim(self, ids: list[int], tag: str) -> list[int]:
        """Index imported ids for a thread; return those no other thread holds."""
        if tag == DEFAULT_TAG and not self.exists():
            return ids
        with self._locked_file() as fd:
            # Imports are rare: read every line, rather than keep them for writers too.
            where = dict(_lines(os.pread(fd, os.fstat(fd).st_size, 0)))
            fresh = [comment_id for comment_id in ids if where.get(comment_id, tag) == tag]
            self._append(fd, [comment_id for comment_id in fresh if comment_id not in where], tag)
        return fresh

    @contextlib.contextmanager
    def _locked_file(self) -> Iterator[int]:
        """Hold the ids file's lock, the file made first if need be, its new lines read."""
        if not self.exists():
            self._create()
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._read_written(fd)
            yield fd
        finally:
            os.close(fd)

    def _create(self) -> None:
        """Make the file with the default thread's ids, under its lock: no id of it is missed."""
        with self._default_locked() as lock_fd:
            if self.exists():
                return  # another process made it while this one waited
            body = b"".join(b"%d -\n" % comment_id for comment_id in self._default_ids(lock_fd))
            fd = os.open(self.tmp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
            try:
                write_all(fd, body)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(self.tmp_path, self.path)
            fsync_folder(self.path.parent)

    def _append(self, fd: int, ids: list[int], tag: str) -> None:
        if not ids:
            return
        size = os.fstat(fd).st_size
        # After a line torn by a power cut, start a line of our own.
        torn = size and os.pread(fd, 1, size - 1) != b"\n"
        line = (b"\n" if torn else b"") + b"".join(b"%d %s\n" % (i, tag.encode()) for i in ids)
        write_all(fd, line)
        os.fsync(fd)
        self._read_written(fd)

    def _read_written(self, fd: int) -> None:
        """Learn the largest id given out, from the lines appended since last asked."""
        size = os.fstat(fd).st_size
        if size < self._written_offset:
            self._written_offset = self._written_last = 0  # replaced by hand
        chunk = os.pread(fd, size - self._written_offset, self._written_offset)
        end = chunk.rfind(b"\n") + 1
        for comment_id, _ in _lines(chunk[:end]):
            self._written_last = max(self._written_last, comment_id)
        self._written_offset += end

    # Reading

    def thread_of(self, comment_id: int) -> str | None:
        """Return the tag of the thread holding an id, or None when no line names it."""
        tag = self._tag_of(comment_id)
        if tag is None:
            self._read_new()
            tag = self._tag_of(comment_id)
        return tag

    def newest(self) -> Iterator[tuple[int, str]]:
        """Yield (id, tag) for every id given out, newest first."""
        self._read_new()
        with self._lock:
            ids, numbers, tags = self._ids, self._tag_numbers, list(self._tags)
            others = sorted(self._others.items())
            end = len(ids)
        at = end - 1
        while at >= 0 or others:
            if others and (at < 0 or others[-1][0] > ids[at]):
                yield others.pop()
                continue
            yield ids[at], tags[numbers[at]]
            at -= 1

    def _tag_of(self, comment_id: int) -> str | None:
        with self._lock:
            at = bisect.bisect_left(self._ids, comment_id)
            if at < len(self._ids) and self._ids[at] == comment_id:
                return self._tags[self._tag_numbers[at]]
            return self._others.get(comment_id)

    def _read_new(self) -> None:
        with self._lock:
            restarted, lines = self._tail.new_lines()
            if restarted:
                self._ids, self._tag_numbers, self._others = array("q"), array("I"), {}
            for line in lines:
                self._index(line)

    def _index(self, line: bytes) -> None:
        parsed = _parsed(line)
        if parsed is None:
            return
        comment_id, tag = parsed
        if tag not in self._numbers:
            self._numbers[tag] = len(self._tags)
            self._tags.append(tag)
        if not self._ids or comment_id > self._ids[-1]:
            self._ids.append(comment_id)
            self._tag_numbers.append(self._numbers[tag])
        else:
            self._others[comment_id] = self._tags[self._numbers[tag]]


def _parsed(line: bytes) -> tuple[int, str] | None:
    """Return a line's id and tag, or None for a line torn by a power cut (never acknowledged)."""
    try:
        number, raw = line.split(b" ")
        comment_id, tag = int(number), raw.decode("ascii")
    except ValueError:
        return None
    if tag != DEFAULT_TAG and len(tag) != TAG_LENGTH:
        return None
    return comment_id, tag


def _lines(chunk: bytes) -> Iterator[tuple[int, str]]:
    for line in chunk.splitlines():
        parsed = _parsed(line)
        if parsed is not None:
            yield parsed
