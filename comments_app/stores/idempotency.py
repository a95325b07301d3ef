"""Idempotency-Key records: what the first request with a key answered, for its repeats.

One record per key: claimed by the request that inserted it first (an atomic insert, so
racing repeats cannot both claim it), completed with the answer, read by every repeat.
The JSON file store keeps them in a SQLite file beside the comments file; PostgreSQL in
a table beside the comments (postgres_idempotency.py). Nothing here imports Flask.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..cooperative import serialized
from .base import StoreError

# Records are kept this long: the promise is at least 24 hours.
KEEP_SECONDS = 48 * 3600
# A claim never completed (its worker was killed) may be taken over after this long;
# longer than any request may take (gunicorn's worker timeout is 30 s).
STALE_SECONDS = 60


@dataclass(frozen=True)
class Answer:
    """A stored response: status, the headers worth repeating, and the body."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Found:
    """What a claim found: claimed (the caller goes on), or someone else's record."""

    claimed: bool
    fingerprint: str = ""
    answer: Answer | None = None


class IdempotencyRecords(Protocol):
    def claim(self, key: str, fingerprint: str) -> Found:
        """Claim the key for this request, or return the record that holds it."""

    def complete(self, key: str, answer: Answer) -> None:
        """Store the answer of the request that claimed the key."""

    def release(self, key: str) -> None:
        """Forget an unanswered claim, so that a retry may claim the key again."""


def encode_headers(headers: dict[str, str]) -> str:
    return json.dumps(headers, ensure_ascii=False)


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
