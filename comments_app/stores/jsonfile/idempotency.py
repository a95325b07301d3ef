"""Idempotency-Key records of the JSON file store: a SQLite file beside the comments file,
shared by every worker of the instance and fsynced at every commit.

A record is claimed before its comment is stored and completed after the answer, in
this file; the comment is written elsewhere (its thread's file). So the key also goes
with the comment: the add of a request that claimed a key (attached, as PostgreSQL's
is: stores/idempotency.py RecordsWithComments) keeps it in the side file, in the commit
its version makes there before it is renamed in (sidefile.py). A repeat whose key the
side file holds is answered from the comment stored, as the handler answers it again
with the stamp of the first's token, as on PostgreSQL; so a claim left without an answer
(its worker killed between the comment and the answer) is never taken over, however
old, nor released. The answer a record keeps answers the repeats of a key whose side
row is gone (past the side file's bounds).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...cooperative import serialized
from ..contract import StoreError
from ..idempotency import KEEP_SECONDS, STALE_SECONDS, Answer, Bounds, Found
from .sidefile import SideFile

if TYPE_CHECKING:
    from .site import JsonFileStore


@contextmanager
def unavailable_on_error(path: Path) -> Iterator[None]:
    """Answer a failing SQLite file as the store's failure: 503 naming it, not a 500."""
    try:
        yield
    except sqlite3.Error as error:
        raise StoreError(f"Idempotency-Key records in {path} cannot be used: {error}") from None


SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    claimed REAL NOT NULL,
    status INTEGER,
    headers TEXT,
    body BLOB,
    list_version TEXT,
    share INTEGER,
    place INTEGER
) WITHOUT ROWID
"""
# The file of an earlier release: records kept the whole answer, under the client's own
# key. Those keys are nobody's now (keys are scoped), so the records go, with their bytes.
SQLITE_UPGRADE = (
    "ALTER TABLE idempotency ADD COLUMN list_version TEXT",
    "ALTER TABLE idempotency ADD COLUMN share INTEGER",
    "ALTER TABLE idempotency ADD COLUMN place INTEGER",
    "DELETE FROM idempotency",
)
SQLITE_INDEXES = (
    "CREATE INDEX IF NOT EXISTS idempotency_place ON idempotency (place)",
    "CREATE INDEX IF NOT EXISTS idempotency_claimed ON idempotency (claimed)",
)

# An expired record is anyone's; a stale claim is taken over only once the side file
# says its comment was not stored (SqliteRecords._claim).
SQLITE_CLAIM = """
INSERT INTO idempotency (key, fingerprint, claimed) VALUES (:key, :fingerprint, :now)
ON CONFLICT (key) DO UPDATE SET
    fingerprint = excluded.fingerprint, claimed = excluded.claimed,
    status = NULL, headers = NULL, body = NULL, list_version = NULL, share = NULL, place = NULL
WHERE idempotency.claimed < :expired
RETURNING 1
"""
# Only the claim that was read: of two retries that found it stale, one takes it over.
SQLITE_TAKE_OVER = """
UPDATE idempotency SET fingerprint = :fingerprint, claimed = :now
WHERE key = :key AND status IS NULL AND claimed = :seen
"""

# The record takes its share of the running count after the newest record's.
SQLITE_COMPLETE = """
UPDATE idempotency SET
    status = :status, headers = :headers, body = :body, list_version = :list_version,
    share = :share,
    place = coalesce((SELECT place + share FROM idempotency WHERE place IS NOT NULL
                      ORDER BY place DESC LIMIT 1), 0)
WHERE key = :key AND status IS NULL
RETURNING place + share
"""


@dataclass(frozen=True)
class KeyedAdd:
    """What the next add of a context does with an Idempotency-Key: keep the key and its
    Comment-Token's stamp with the comment; or, comment_id set, store nothing and hand
    that comment back."""

    key: str
    stamp: int | None = None
    comment_id: int | None = None


class FileKeys:
    """The keys the file store's adds kept with their comments (the side file's keys table)."""

    def __init__(self, side: SideFile, wrote: Callable[[str, int], bool]) -> None:
        self.side = side
        self._wrote = wrote

    def stored(self, key: str, since: float = 0.0) -> tuple[int, int | None] | None:
        """Return (the comment's id, its token's stamp) when a comment was stored under the
        key since then (a record's claim) and within KEEP_SECONDS; confirm the row, or drop
        it when its version never was."""
        if not self.side.exists():
            return None
        # A row from before the claim is an earlier use's of the key, whose record is gone
        # (past its bounds): not this one's. A second's slack for the clock.
        since = max(since - 1.0, time.time() - KEEP_SECONDS)
        with self.side.connection() as conn:
            row = conn.execute(
                "SELECT comment_id, thread, stamp, version FROM keys WHERE key = ? AND made >= ?",
                (key, since),
            ).fetchone()
            if row is None:
                return None
            comment_id, thread, stamp, version = row
            if version:
                if not self._wrote(thread, version):
                    conn.execute("DELETE FROM keys WHERE key = ? AND version = ?", (key, version))
                    return None
                conn.execute("UPDATE keys SET version = 0 WHERE key = ? AND version = ?", (key, version))
            return comment_id, stamp


class SqliteRecords:
    """Records in a SQLite file that every worker of the instance shares, fsynced; with the
    store (store), the keys are also kept with their comments (the module's docstring)."""

    # The record is completed after the answer (by the guard), not by the add.
    completed_by_add = False

    def __init__(self, path: Path, bounds: Bounds | None = None, store: JsonFileStore | None = None) -> None:
        self.path = path
        self.bounds = bounds or Bounds()
        self.store = store
        # One connection per process, used by one request at a time: under gevent a
        # thread-local is per greenlet, and a connection (and its PRAGMAs) per request
        # raced other workers' writes into 'database is locked'.
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._lock = threading.RLock()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        try:
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        except OSError as error:
            raise StoreError(
                f"Idempotency-Key records cannot be kept in {self.path}: {error.strerror}"
            ) from None
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # As durable as the comment it answers for: fsynced at every commit.
        conn.execute("PRAGMA synchronous=FULL")
        create_schema(conn)
        self._conn, self._pid = conn, os.getpid()
        return conn

    @serialized
    def claim(self, key: str, fingerprint: str) -> Found:
        with unavailable_on_error(self.path):
            return self._claim(key, fingerprint)

    def _claim(self, key: str, fingerprint: str) -> Found:
        now = time.time()
        conn = self._connection()
        params = {
            "key": key,
            "fingerprint": fingerprint,
            "now": now,
            "stale": now - STALE_SECONDS,
            "expired": now - KEEP_SECONDS,
        }
        if conn.execute(SQLITE_CLAIM, params).fetchone():
            return Found(claimed=True)
        row = conn.execute(
            "SELECT fingerprint, claimed, status, headers, body, list_version FROM idempotency WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            # Released between our insert and our read: try again.
            return self._claim(key, fingerprint)
        stored_fingerprint, claimed, status, headers, body, list_version = row
        stored = self._stored(key, claimed)
        if stored is not None:
            # Answered from the comment, as PostgreSQL's are: a claim not answered yet (or
            # never: its worker was killed), and a trapped bot's list, which the list now
            # would show without its comment.
            comment_id, stamp = stored
            return Found(claimed=False, fingerprint=stored_fingerprint, comment_id=comment_id, stamp=stamp)
        if status is not None:
            # The side file's row is gone (bounds), or it was never kept there (no store).
            answer = Answer(status, json.loads(headers), bytes(body or b""), list_version)
            return Found(claimed=False, fingerprint=stored_fingerprint, answer=answer)
        if claimed < params["stale"]:
            taken = conn.execute(SQLITE_TAKE_OVER, {**params, "seen": claimed}).rowcount
            if taken:
                return Found(claimed=True)
        return Found(claimed=False, fingerprint=stored_fingerprint)

    def _stored(self, key: str, claimed: float) -> tuple[int, int | None] | None:
        """Return (comment id, stamp) when the store kept a comment under the key, claimed then."""
        return self.store.keys.stored(key, claimed) if self.store is not None else None

    @serialized
    def complete(self, key: str, answer: Answer) -> None:
        params = self.bounds.completion(key, answer)
        with unavailable_on_error(self.path), self._connection() as conn:
            # A repeat answered from its comment completes a claim left unanswered; one
            # already answered costs a read, not a write.
            unanswered = conn.execute("SELECT 1 FROM idempotency WHERE key = ? AND status IS NULL", (key,))
            if unanswered.fetchone() is None:
                return
            # One transaction, one fsync: the answer, and the records it pushes out.
            conn.execute("BEGIN IMMEDIATE")
            done = conn.execute(SQLITE_COMPLETE, params).fetchone()
            if done is not None:
                conn.execute("DELETE FROM idempotency WHERE place < ?", (done[0] - self.bounds.window,))
            conn.execute("DELETE FROM idempotency WHERE claimed < ?", (time.time() - KEEP_SECONDS,))

    @serialized
    def release(self, key: str) -> None:
        with unavailable_on_error(self.path):
            conn = self._connection()
            row = conn.execute(
                "SELECT claimed FROM idempotency WHERE key = ? AND status IS NULL", (key,)
            ).fetchone()
            # A claim whose comment is stored stays: a retry is answered that comment.
            if row is not None and self._stored(key, row[0]) is None:
                conn.execute(
                    "DELETE FROM idempotency WHERE key = ? AND status IS NULL AND claimed = ?", (key, row[0])
                )

    def attach(self, key: str, comment_id: int | None = None, stamp: int | None = None) -> None:
        """Have this context's next add keep the key with its comment, or (comment_id) hand that back."""
        if self.store is not None:
            self.store.attach_key(KeyedAdd(key, stamp, comment_id))

    def detach(self) -> None:
        if self.store is not None:
            self.store.attach_key(None)


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the table, or upgrade an earlier release's in place, and its indexes."""
    conn.execute(SQLITE_SCHEMA)
    upgraded = needs_upgrade(conn) and upgrade(conn)
    for statement in SQLITE_INDEXES:
        conn.execute(statement)
    if upgraded:
        give_back_space(conn)


def needs_upgrade(conn: sqlite3.Connection) -> bool:
    return "place" not in {row[1] for row in conn.execute("PRAGMA table_info(idempotency)")}


def upgrade(conn: sqlite3.Connection) -> bool:
    """Upgrade an earlier release's table; return whether this connection did."""
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        # Another worker may have upgraded it while this one waited for the lock.
        if not needs_upgrade(conn):
            return False
        for statement in SQLITE_UPGRADE:
            conn.execute(statement)
    return True


def give_back_space(conn: sqlite3.Connection) -> None:
    """Shrink the file the old records grew (8 MB and more each), if nobody holds it now;
    otherwise their space is reused by the records to come."""
    try:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError:
        pass
