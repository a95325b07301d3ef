"""File plumbing the stores share: a whole write, a folder's fsync, the lines a file gained.

The JSON store's files (threads, journal, ids, key), the backups and the closed marks
are written and read the same few ways; each way is spelled once here.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_all(fd: int, body: bytes) -> None:
    """Write every byte of body: os.write may write fewer than it is given."""
    view = memoryview(body)
    while view:
        view = view[os.write(fd, view) :]


def fsync_folder(folder: Path) -> None:
    """Make the names in a folder durable: a rename or a new file is on disk after this."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Tail:
    """One process's place in a file that writers only append lines to (the journal, the ids)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.inode: int | None = None
        self.offset = 0

    def new_lines(self) -> tuple[bool, list[bytes]]:
        """Return whether the file was replaced or is gone (what was read of it before no
        longer holds), and the whole lines appended since the last call: a writer may be
        appending, so a last line without its newline is left for the next call."""
        try:
            with open(self.path, "rb") as file:
                st = os.fstat(file.fileno())
                restarted = st.st_ino != self.inode or st.st_size < self.offset
                if restarted:
                    self.inode, self.offset = st.st_ino, 0
                file.seek(self.offset)
                chunk = file.read(st.st_size - self.offset)
        except FileNotFoundError:
            self.inode, self.offset = None, 0
            return True, []
        end = chunk.rfind(b"\n") + 1
        self.offset += end
        return restarted, chunk[:end].splitlines()
