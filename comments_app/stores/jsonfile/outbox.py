"""The file store's outbox: a SQLite file beside the comments file, written inside each write.

A thread's writer (store.py) puts the write's events here after the new version's
temporary file is fsynced and before it is renamed into place, in one SQLite commit
(fsynced), each event marked with the modification time of the version it belongs to.
A killed write can thus leave events of a version that never became current: they stay
unconfirmed until the sender asks the thread whether that version was renamed in (it is
the file now, or a later version's journal entry names it as the one it replaced). Only
then is an item delivered; one whose version never was is dropped, so a change that was
not stored notifies nobody, and a change that was stored always has its events.

The sender is elected by a flock on comments.json.outbox.lock, held while it sends.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..contract import StoreError
from ..outbox import ERROR_CHARS, Event, Item

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    comment TEXT NOT NULL,
    thread TEXT NOT NULL,
    -- The modification time (ns) of the version the event belongs to; 0 once that
    -- version is known to have been renamed in.
    version INTEGER NOT NULL,
    created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    failed REAL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_at) WHERE failed IS NULL;
"""
ITEM = "id, type, comment, thread, created, attempts, next_at, failed, error"


class FileOutbox:
    """Events in a SQLite file every worker of the instance shares, fsynced at each commit.

    wrote(thread, version) tells whether a version of a thread was renamed in; it is the
    site's (site.py), which knows where each thread's file is.
    """

    def __init__(self, path: Path, wrote: Callable[[str, int], bool]) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self._wrote = wrote

    def __repr__(self) -> str:
        return f"FileOutbox({str(self.path)!r})"

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """Open the file for one call: writers of different threads call from different
        threads of the pool at once, and a connection is not shared between them. A failure
        is the store's (StoreError), naming the file for the operator."""
        try:
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as error:
            raise unusable(self.path, error) from None
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            # As durable as the comment's own file: fsynced at every commit.
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript(SCHEMA)
            yield conn
        except sqlite3.Error as error:
            raise unusable(self.path, error) from None
        finally:
            conn.close()

    # Written by a thread's writer, holding its lock, before the rename.

    def put(self, events: list[Event], version: int, now: float) -> None:
        """Add a write's events, durably, marked with the version (its mtime in ns) they belong to.

        Raise OSError when they cannot be: the write then fails, and stores nothing.
        """
        rows = [
            (event.id, event.type, json.dumps(event.comment), event.thread, version, now, now)
            for event in events
        ]
        try:
            with self._connection() as conn:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(
                    "INSERT INTO outbox (id, type, comment, thread, version, created, next_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                conn.execute("COMMIT")
        except StoreError as error:
            raise OSError(0, error.detail) from None

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

    def retry(self, item_id: str, attempts: int, next_at: float, error: str) -> None:
        with self._connection() as conn:
            conn.execute(
                "UPDATE outbox SET attempts = ?, next_at = ?, error = ? WHERE id = ?",
                (attempts, next_at, error[:ERROR_CHARS], item_id),
            )

    def fail(self, item_id: str, attempts: int, error: str, now: float) -> None:
        with self._connection() as conn:
            conn.execute(
                "UPDATE outbox SET attempts = ?, failed = ?, error = ? WHERE id = ?",
                (attempts, now, error[:ERROR_CHARS], item_id),
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


def unusable(path: Path, error: Exception) -> StoreError:
    reason = getattr(error, "strerror", None) or str(error)
    return StoreError("the notifications outbox cannot be used", f"notifications outbox {path}: {reason}")


def item(row: tuple) -> Item:
    item_id, kind, comment, thread, created, attempts, next_at, failed, error = row
    return Item(item_id, kind, json.loads(comment), thread, created, attempts, next_at, failed, error)


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
