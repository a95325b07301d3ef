"""Idempotency-Key records of the JSON file store: a SQLite file beside the comments file,
shared by every worker of the instance and fsynced at every commit."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ...cooperative import serialized
from ..contract import StoreError
from ..idempotency import KEEP_SECONDS, STALE_SECONDS, Answer, Found, encode_headers


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
    body BLOB
) WITHOUT ROWID
"""

SQLITE_CLAIM = """
INSERT INTO idempotency (key, fingerprint, claimed) VALUES (:key, :fingerprint, :now)
ON CONFLICT (key) DO UPDATE SET
    fingerprint = excluded.fingerprint, claimed = excluded.claimed,
    status = NULL, headers = NULL, body = NULL
WHERE (idempotency.status IS NULL AND idempotency.claimed < :stale)
   OR idempotency.claimed < :expired
RETURNING 1
"""


class SqliteRecords:
    """Records in a SQLite file that every worker of the instance shares, fsynced."""

    def __init__(self, path: Path) -> None:
        self.path = path
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
        conn.execute(SQLITE_SCHEMA)
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
            if random.random() < 0.01:
                conn.execute("DELETE FROM idempotency WHERE claimed < ?", (now - KEEP_SECONDS,))
            return Found(claimed=True)
        row = conn.execute(
            "SELECT fingerprint, status, headers, body FROM idempotency WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            # Released between our insert and our read: try again.
            return self._claim(key, fingerprint)
        stored_fingerprint, status, headers, body = row
        answer = Answer(status, json.loads(headers), bytes(body)) if status is not None else None
        return Found(claimed=False, fingerprint=stored_fingerprint, answer=answer)

    @serialized
    def complete(self, key: str, answer: Answer) -> None:
        with unavailable_on_error(self.path):
            self._connection().execute(
                "UPDATE idempotency SET status = ?, headers = ?, body = ? WHERE key = ?",
                (answer.status, encode_headers(answer.headers), answer.body, key),
            )

    @serialized
    def release(self, key: str) -> None:
        with unavailable_on_error(self.path):
            self._connection().execute("DELETE FROM idempotency WHERE key = ? AND status IS NULL", (key,))
