"""The file store's side file: a SQLite file beside the comments file (comments.json.outbox)
holding what the threads' files must not: the notifications' outbox (outbox.py), the
private data (private.py): authors' contacts, used links, the reply mails' log, and the
Idempotency-Key each new comment was stored under (idempotency.py).

A thread's writer puts a write's events, contacts and keys here in one SQLite commit (fsynced),
after the new version's temporary file is fsynced and before it is renamed into place,
each row marked with the modification time of the version it belongs to. A killed write
can thus leave rows of a version that never became current: they stay unconfirmed until
a reader asks the thread whether that version was renamed in (wrote(thread, version):
it is the file now, or a later version's journal entry names it as the one it replaced).
A confirmed row is marked so (version 0); one whose version never was is dropped.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from ..contract import StoreError
from ..idempotency import KEEP_SECONDS, MAX_RECORDS
from ..outbox import Event
from ..private import Contact

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
-- An author's email given with a comment, and whether they want mails about replies;
-- version as in the outbox.
CREATE TABLE IF NOT EXISTS contacts (
    id INTEGER PRIMARY KEY,
    thread TEXT NOT NULL,
    email TEXT NOT NULL,
    replies INTEGER NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS contacts_email ON contacts (email COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS used_links (nonce TEXT PRIMARY KEY, until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS mails (address TEXT NOT NULL, at REAL NOT NULL, about TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS mails_address ON mails (address, at);
CREATE INDEX IF NOT EXISTS mails_about ON mails (address, about);
-- The (scoped) Idempotency-Key a new comment was stored under, and the stamp of its
-- Comment-Token; version as in the outbox. Kept KEEP_SECONDS, MAX_RECORDS at most.
CREATE TABLE IF NOT EXISTS keys (
    key TEXT PRIMARY KEY,
    comment_id INTEGER NOT NULL,
    thread TEXT NOT NULL,
    stamp INTEGER,
    version INTEGER NOT NULL,
    made REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS keys_made ON keys (made);
"""
# Columns added to the outbox after its first release, with their definitions.
LATER_COLUMNS = {"fresh": "INTEGER NOT NULL DEFAULT 0", "done": "TEXT NOT NULL DEFAULT ''"}


class SideFile:
    """The SQLite file every worker of the instance shares, fsynced at each commit."""

    def __init__(self, path: Path, max_keys: int = MAX_RECORDS) -> None:
        self.path = path
        self.max_keys = max_keys
        self._ready = False

    def __repr__(self) -> str:
        return f"SideFile({str(self.path)!r})"

    def exists(self) -> bool:
        """Tell whether the file was made: reads of a store that never wrote one find nothing."""
        return self.path.exists()

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
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
            if not self._ready:
                self._create(conn)
            yield conn
        except sqlite3.Error as error:
            raise unusable(self.path, error) from None
        finally:
            conn.close()

    def _create(self, conn: sqlite3.Connection) -> None:
        """Make the tables, and add the columns an earlier release's file lacks."""
        conn.executescript(SCHEMA)
        present = {row[1] for row in conn.execute("PRAGMA table_info(outbox)")}
        for name, definition in LATER_COLUMNS.items():
            if name not in present:
                try:
                    conn.execute(f"ALTER TABLE outbox ADD COLUMN {name} {definition}")
                except sqlite3.OperationalError as error:
                    # Another worker added it meanwhile.
                    if "duplicate column" not in str(error):
                        raise
        self._ready = True

    def put(
        self,
        events: list[Event],
        contacts: dict[int, Contact],
        forgotten: list[int],
        thread: str,
        version: int,
        now: float,
        keys: Mapping[str, tuple[int, int | None]] | None = None,
    ) -> None:
        """Add a write's events, contacts and keys ({key: (comment id, stamp)}) and forget its
        deleted comments' contacts, in one durable commit, marked with the version (its
        mtime in ns) they belong to.

        Raise OSError when they cannot be: the write then fails, and stores nothing.
        """
        rows = [
            (event.id, event.type, json.dumps(event.comment), event.thread, version, now, now, event.fresh)
            for event in events
        ]
        people = [
            (comment_id, thread, contact.email, int(contact.replies), version)
            for comment_id, contact in contacts.items()
        ]
        try:
            with self.connection() as conn:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(
                    "INSERT INTO outbox (id, type, comment, thread, version, created, next_at, fresh)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                # An id a killed write gave out may come again: its row is replaced.
                conn.executemany("INSERT OR REPLACE INTO contacts VALUES (?, ?, ?, ?, ?)", people)
                conn.executemany("DELETE FROM contacts WHERE id = ?", [(i,) for i in forgotten])
                if keys:
                    self._put_keys(conn, keys, thread, version, now)
                conn.execute("COMMIT")
        except StoreError as error:
            raise OSError(0, error.detail) from None

    def _put_keys(
        self,
        conn: sqlite3.Connection,
        keys: Mapping[str, tuple[int, int | None]],
        thread: str,
        version: int,
        now: float,
    ) -> None:
        """Keep the keys; drop those past KEEP_SECONDS and the oldest past max_keys."""
        rows = [(key, comment_id, thread, stamp, version, now) for key, (comment_id, stamp) in keys.items()]
        # A key used again after its record expired: the new comment's row replaces the old.
        conn.executemany("INSERT OR REPLACE INTO keys VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.execute("DELETE FROM keys WHERE made < ?", (now - KEEP_SECONDS,))
        # Rows are numbered in the order they were put: one range of the rowid goes.
        conn.execute("DELETE FROM keys WHERE rowid <= (SELECT max(rowid) FROM keys) - ?", (self.max_keys,))


def unusable(path: Path, error: Exception) -> StoreError:
    reason = getattr(error, "strerror", None) or str(error)
    return StoreError("the store's side file cannot be used", f"side file {path}: {reason}")
