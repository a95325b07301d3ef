"""The file store's closed threads: one small marker file per closed thread.

A thread is closed while a file named for it exists beside its comments (its path +
".closed"), holding the thread's name for a backup to list. Closing makes the marker
(written whole, fsynced, renamed in, the folder fsynced), reopening removes it (the
folder fsynced): each is as durable as a comment and atomic, and each is done under the
thread's lock, under which a new comment asks for the marker (one stat): a close that
returned is respected by every later write, a write that came first is kept.

Nothing else needs a registry: a thread's file is named by its tag (model.threads.tag),
and its records carry the thread's name.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ..files import fsync_folder, write_all

SUFFIX = ".closed"


def marker(path: Path) -> Path:
    """Return where the closed flag of the thread stored at path lives."""
    return path.with_name(path.name + SUFFIX)


def leftover(path: Path) -> Path:
    """Return where a close killed mid-write leaves its temporary marker."""
    flag = marker(path)
    return flag.with_name(flag.name + ".tmp")


def is_closed(path: Path) -> bool:
    return marker(path).exists()


def set_closed(path: Path, thread: str, closed: bool) -> None:
    """Close or reopen the thread stored at path, durably; the caller holds its lock."""
    flag = marker(path)
    if closed == flag.exists():
        return
    if closed:
        tmp = leftover(path)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            write_all(fd, thread.encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, flag)
    else:
        with contextlib.suppress(FileNotFoundError):
            flag.unlink()
    fsync_folder(flag.parent)


def closed_names(folder: Path) -> list[str]:
    """Return the names of the threads whose markers are in folder."""
    names = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            if entry.name.endswith(SUFFIX):
                with contextlib.suppress(OSError):
                    names.append(Path(entry.path).read_text().rstrip("\n"))
    return names
