"""The file store's outbox: the outbox table of the side file (sidefile.py), written inside each write.

A thread's writer (store.py) puts the write's events in the side file before the new
version is renamed in, each marked with that version. Only once the version is known to
have been renamed in is an item delivered; one whose version never was is dropped, so a
change that was not stored notifies nobody, and a change that was stored always has its
events (sidefile.py says how).

The sender is elected by a flock on comments.json.outbox.lock, held while it sends.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from ..outbox import ERROR_CHARS, Item
from .sidefile import SideFile

ITEM = "id, type, comment, thread, created, attempts, next_at, failed, error, fresh, done"


class FileOutbox:
    """Events in the side file every worker of the instance shares.

    wrote(thread, version) tells whether a version of a thread was renamed in; it is the
    site's (site.py), which knows where each thread's file is.
    """

    def __init__(self, side: SideFile, wrote: Callable[[str, int], bool]) -> None:
        self.side = side
        self.path = side.path
        self.lock_path = side.path.with_name(side.path.name + ".lock")
        self._wrote = wrote

    def __repr__(self) -> str:
        return f"FileOutbox({str(self.path)!r})"

    def _connection(self):
        return self.side.connection()

    # The sender's side.

    def due(self, now: float, limit: int) -> list[Item]:
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT {ITEM}, version FROM outbox WHERE failed IS NULL AND next_at <= ?"
                " ORDER BY seq LIMIT ?",
                (now, limit),
            ).fetchall()
            found = []
            for row in rows:
                version = row[-1]
                if version and not self._confirm(conn, row[0], row[3], version):
                    continue
                found.append(item(row[:-1]))
            return found

    def _confirm(self, conn: sqlite3.Connection, item_id: str, thread: str, version: int) -> bool:
        """Tell whether an item's change was stored: mark it so, or drop it when it never was."""
        stored = self._wrote(thread, version)
        if stored:
            conn.execute("UPDATE outbox SET version = 0 WHERE id = ?", (item_id,))
        else:
            conn.execute("DELETE FROM outbox WHERE id = ?", (item_id,))
        return stored

    def next_due(self) -> float | None:
        with self._connection() as conn:
            return conn.execute("SELECT min(next_at) FROM outbox WHERE failed IS NULL").fetchone()[0]

    def delivered(self, item_id: str) -> None:
        with self._connection() as conn:
            conn.execute("DELETE FROM outbox WHERE id = ?", (item_id,))

    def retry(
        self, item_id: str, attempts: int, next_at: float, error: str, done: tuple[str, ...] = ()
    ) -> None:
        with self._connection() as conn:
            conn.execute(
                "UPDATE outbox SET attempts = ?, next_at = ?, error = ?, done = ? WHERE id = ?",
                (attempts, next_at, error[:ERROR_CHARS], ",".join(done), item_id),
            )

    def fail(self, item_id: str, attempts: int, error: str, now: float, done: tuple[str, ...] = ()) -> None:
        with self._connection() as conn:
            conn.execute(
                "UPDATE outbox SET attempts = ?, failed = ?, error = ?, done = ? WHERE id = ?",
                (attempts, now, error[:ERROR_CHARS], ",".join(done), item_id),
            )

    def listing(self) -> list[Item]:
        with self._connection() as conn:
            return [item(row) for row in conn.execute(f"SELECT {ITEM} FROM outbox ORDER BY seq")]

    def oldest(self) -> float | None:
        with self._connection() as conn:
            return conn.execute("SELECT min(created) FROM outbox WHERE failed IS NULL").fetchone()[0]

    def counts(self) -> tuple[int, int]:
        """Return (pending, failed)."""
        with self._connection() as conn:
            return conn.execute(
                "SELECT count(*) FILTER (WHERE failed IS NULL), count(*) FILTER (WHERE failed IS NOT NULL)"
                " FROM outbox"
            ).fetchone()

    def sender(self) -> FlockSender:
        return FlockSender(self.lock_path)


def item(row: tuple) -> Item:
    item_id, kind, comment, thread, created, attempts, next_at, failed, error, fresh, done = row
    return Item(
        item_id,
        kind,
        json.loads(comment),
        thread,
        created,
        attempts,
        next_at,
        failed,
        error,
        bool(fresh),
        tuple(name for name in done.split(",") if name),
    )


class FlockSender:
    """The flock that elects the instance's sender: never waited for; freed by a kill -9 too."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
