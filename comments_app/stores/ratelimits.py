"""Where the abuse limits count: a SQLite file shared by the workers of one instance, and
Redis, shared by every instance, with the SQLite file counting while Redis is away.

Both are storages of the `limits` library, so Flask-Limiter and the login throttle use
them as they use its own. Why a SQLite file: limits' stock storages either live inside
one process (memory://, so 4 workers would allow 4 times the limit) or need a server
(Redis, Memcached, MongoDB). Exact counts across the workers of one instance need one
place that every worker updates atomically; one SQLite UPSERT ... RETURNING statement
under SQLite's file lock is that, from the standard library, with no server to run.
WAL mode lets counting proceed while another worker reads.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from limits.storage import RedisStorage, Storage

from ..cooperative import serialized

log = logging.getLogger("comments_app.limits")

# How long a worker counts locally after Redis failed before it tries Redis again.
REDIS_RETRY_SECONDS = 5.0
# Redis answers in well under a millisecond; waiting longer only delays a comment.
REDIS_TIMEOUT_SECONDS = 0.5

INCREMENT = """
INSERT INTO counters (key, count, expires) VALUES (:key, :amount, :expires)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN counters.expires <= :now THEN excluded.count
                 ELSE counters.count + excluded.count END,
    expires = CASE WHEN counters.expires <= :now THEN excluded.expires
                   ELSE counters.expires END
RETURNING count
"""


class SqliteStorage(Storage):
    """Fixed-window counters in a SQLite file that many processes update atomically."""

    def __init__(self, uri: str = "", wrap_exceptions: bool = False, path: str = "", **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.path = Path(path)
        # One connection per process, used by one request at a time: under gevent a
        # thread-local is per greenlet, and a connection (and its PRAGMAs) per request
        # raced other workers' writes into 'database is locked'.
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._lock = threading.RLock()
        self._writes = 0

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        """One connection per thread, opened afresh in a forked worker."""
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        # The counters name client addresses: readable by the server's user only.
        try:
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        except OSError as error:
            # An error of this storage's kind, so that callers let the request through.
            raise sqlite3.OperationalError(f"cannot open {self.path}: {error.strerror}") from None
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # Counts may lose their last moments in a power cut; they need no fsync per hit.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS counters"
            " (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires REAL NOT NULL) WITHOUT ROWID"
        )
        self._conn, self._pid = conn, os.getpid()
        return conn

    @serialized
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        conn = self._connection()
        params = {"key": key, "amount": amount, "expires": now + expiry, "now": now}
        (count,) = conn.execute(INCREMENT, params).fetchone()
        self._writes += 1
        if self._writes % 500 == 0:
            conn.execute("DELETE FROM counters WHERE expires <= ?", (now,))
        return count

    @serialized
    def get(self, key: str) -> int:
        row = (
            self._connection()
            .execute("SELECT count FROM counters WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return row[0] if row else 0

    @serialized
    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = (
            self._connection()
            .execute("SELECT expires FROM counters WHERE key = ? AND expires > ?", (key, now))
            .fetchone()
        )
        return row[0] if row else now

    @serialized
    def check(self) -> bool:
        self._connection().execute("SELECT 1").fetchone()
        return True

    @serialized
    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM counters").rowcount

    @serialized
    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))


class SharedStorage(Storage):
    """Redis when REDIS_URL is set and Redis answers; this instance's SQLite file otherwise."""

    STORAGE_SCHEME = "comments"

    def __init__(
        self,
        uri: str = "comments://",
        wrap_exceptions: bool = False,
        path: str = "",
        redis_url: str = "",
        **options,
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.local = SqliteStorage(path=path)
        self.redis: RedisStorage | None = None
        self.redis_place = ""
        if redis_url:
            parts = urlsplit(redis_url)
            # Name Redis in the log without its password.
            self.redis_place = f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}"
            self.redis = RedisStorage(
                redis_url,
                key_prefix="comments-limits",
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
        self._redis_down_until = 0.0
        self._lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _call(self, method: str, *args):
        redis = self.redis
        if redis is not None and time.monotonic() >= self._redis_down_until:
            try:
                result = getattr(redis, method)(*args)
            except redis.base_exceptions as error:
                self._redis_failed(error)
            else:
                self._redis_answered()
                return result
        return getattr(self.local, method)(*args)

    def _redis_failed(self, error: Exception) -> None:
        with self._lock:
            first = self._redis_down_until == 0.0
            self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
        if first:
            log.warning(
                "Redis at %s failed (%s): limits count on this instance until Redis answers",
                self.redis_place,
                error,
            )

    def _redis_answered(self) -> None:
        if self._redis_down_until == 0.0:
            return
        with self._lock:
            self._redis_down_until = 0.0
        log.warning("Redis at %s is back: limits are shared by every instance again", self.redis_place)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._call("incr", key, expiry, amount)

    def get(self, key: str) -> int:
        return self._call("get", key)

    def get_expiry(self, key: str) -> float:
        return self._call("get_expiry", key)

    def check(self) -> bool:
        return self._call("check")

    def reset(self) -> int | None:
        return self._call("reset")

    def clear(self, key: str) -> None:
        return self._call("clear", key)
