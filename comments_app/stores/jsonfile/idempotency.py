"""Idempotency-Key records of the JSON file store: a SQLite file beside the comments file,
shared by every worker of the instance and fsynced at every commit."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ...cooperative import serialized
from ..contract import StoreError
from ..idempotency import KEEP_SECONDS, STALE_SECONDS, Answer, Bounds, Found


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

SQLITE_CLAIM = """
INSERT INTO idempotency (key, fingerprint, claimed) VALUES (:key, :fingerprint, :now)
ON CONFLICT (key) DO UPDATE SET
    fingerprint = excluded.fingerprint, claimed = excluded.claimed,
    status = NULL, headers = NULL, body = NULL, list_version = NULL, share = NULL, place = NULL
WHERE (idempotency.status IS NULL AND idempotency.claimed < :stale)
   OR idempotency.claimed < :expired
RETURNING 1
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


class SqliteRecords:
    """Records in a SQLite file that every worker of the instance shares, fsynced."""

    def __init__(self, path: Path, bounds: Bounds | None = None) -> None:
        self.path = path
        self.bounds = bounds or Bounds()
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
            "SELECT fingerprint, status, headers, body, list_version FROM idempotency WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            # Released between our insert and our read: try again.
            return self._claim(key, fingerprint)
        stored_fingerprint, status, headers, body, list_version = row
        answer = None
        if status is not None:
            answer = Answer(status, json.loads(headers), bytes(body or b""), list_version)
        return Found(claimed=False, fingerprint=stored_fingerprint, answer=answer)

    @serialized
    def complete(self, key: str, answer: Answer) -> None:
        params = self.bounds.completion(key, answer)
        with unavailable_on_error(self.path), self._connection() as conn:
            # One transaction, one fsync: the answer, and the records it pushes out.
            conn.execute("BEGIN IMMEDIATE")
            done = conn.execute(SQLITE_COMPLETE, params).fetchone()
            if done is not None:
                conn.execute("DELETE FROM idempotency WHERE place < ?", (done[0] - self.bounds.window,))
            conn.execute("DELETE FROM idempotency WHERE claimed < ?", (time.time() - KEEP_SECONDS,))

    @serialized
    def release(self, key: str) -> None:
        with unavailable_on_error(self.path):
            self._connection().execute("DELETE FROM idempotency WHERE key = ? AND status IS NULL", (key,))


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
