"""The file store's journal: which comments each version of the file changed.

One line per write, appended and fsynced under the store's lock before the new
file is renamed into place: the previous version's modification time, the new
one's (both hex) and the ids of the comments written, added, edited, hidden or
deleted. Every write makes a strictly later modification time, so the entries
form a chain from version to version; "what changed since version V" follows it
back from the current version to V, in time proportional to the changes.

A write that crashed before its rename leaves an entry no version follows: it is
off the chain and never read. A file replaced by hand breaks the chain: versions
before it are then not answerable (410), and the next write starts a new link.
Every process reads the journal's new lines once, keeping the entries in memory.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

from ..files import Tail, write_all

# Past this size the journal keeps its newer half (about 20,000 writes of one comment).
MAX_BYTES = 1 << 20

Entry = tuple[int, int, tuple[int, ...]]


def encode_entry(previous: int, new: int, ids: Iterable[int]) -> bytes:
    return b"%x %x %s\n" % (previous, new, b",".join(b"%d" % i for i in ids) or b"-")


def parse_entry(line: bytes) -> Entry | None:
    try:
        previous, new, ids = line.split(b" ")
        return int(previous, 16), int(new, 16), tuple(int(i) for i in ids.split(b",") if i != b"-")
    except ValueError:
        return None  # torn by a crash: off the chain


class Journal:
    """The entries of one store's journal file, read incrementally."""

    def __init__(self, path: Path, tmp_path: Path, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self.tmp_path = tmp_path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._tail = Tail(path)
        # {new modification time: (previous one, ids)}, the later entry winning.
        self._links: dict[int, tuple[int, tuple[int, ...]]] = {}

    # Writing: called by the store's writer, holding the store's lock.

    def append(self, previous: int, new: int, ids: Iterable[int]) -> None:
        """Add the entry of one new version, durably, before that version is renamed in.

        Six system calls: under gevent the writer's thread takes the GIL back from a busy
        event loop after each one, while it holds the store's lock."""
        line = encode_entry(previous, new, ids)
        fd = self._open()
        try:
            size = os.fstat(fd).st_size
            if size > self.max_bytes:
                os.close(fd)
                fd = -1
                self._shorten()
                fd = self._open()
                size = os.fstat(fd).st_size
            # After a torn line (a crash mid-append), start a line of our own.
            torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
            write_all(fd, (b"\n" if torn else b"") + line)
            os.fsync(fd)
        finally:
            if fd >= 0:
                os.close(fd)

    def _open(self) -> int:
        return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)

    def _shorten(self) -> None:
        """Keep the newer half of the entries, replacing the file atomically."""
        body = self.path.read_bytes()
        cut = body.find(b"\n", len(body) - self.max_bytes // 2)
        kept = body[cut + 1 :] if cut >= 0 else b""
        fd = os.open(self.tmp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, kept)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(self.tmp_path, self.path)

    # Reading

    def changed_since(self, since: int, current: int) -> list[int] | None:
        """Return the ids changed after version since up to version current (modification
        times), or None when the journal cannot tell (too old, or the chain is broken)."""
        self._read_new()
        ids: set[int] = set()
        at = current
        with self._lock:
            while at > since:
                link = self._links.get(at)
                if link is None:
                    return None
                at, changed = link
                ids.update(changed)
        return sorted(ids) if at == since else None

    def followed(self, version: int) -> bool:
        """Tell whether a later write replaced the version of this modification time: then
        it was the file once (a killed write's version never is any entry's previous one)."""
        self._read_new()
        with self._lock:
            return any(previous == version for previous, _ in self._links.values())

    def _read_new(self) -> None:
        with self._lock:
            restarted, lines = self._tail.new_lines()
            if restarted:
                self._links = {}
            for line in lines:
                entry = parse_entry(line)
                if entry is not None and entry[0] < entry[1]:
                    self._links[entry[1]] = (entry[0], entry[2])
