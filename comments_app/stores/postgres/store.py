"""Comments in PostgreSQL, for platforms whose disks are ephemeral or that run many instances.

A one-row table holds the list's version, bumped in the same transaction as every
insert, edit, status change and deletion, which also sends a NOTIFY. Each process
keeps the list's bytes for the version it last saw: while its listener hears every
change a GET costs no query, otherwise one small one; a write that follows the
version this process holds appends one line instead of fetching every row. Other changes are rare (moderation
and authors' fixes): after one, each process fetches the list again.

A deleted comment keeps its row as a tombstone: id and deletion time, author and
text emptied. PostgreSQL itself keeps the old row version until (auto)vacuum
reclaims it.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import TypeVar
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from ...model.comment import (
    EDITABLE,
    PUBLISHED,
    check_changes,
    full_view,
    new_comment,
    now_ms,
    public_view,
    status_of,
)
from ...model.versions import VersionGone, VersionUnknown
from ..contract import CommentNotFound, Snapshot, StoreError
from ..feed import MAX_CHANGES, Changes, Page, PublicLines, make_changes, make_page
from ..layout import append_encoded, encode_comment, encode_list

log = logging.getLogger(__name__)
T = TypeVar("T")

# A request calls the store more than once (the list cache's version, then the
# handler's; the health check's probe, then the list), and COMMENTS_DB_TIMEOUT is the
# whole request's wait, not each call's: for this long after a call of this context (a
# request's greenlet under gevent, its thread otherwise) found the database unreachable,
# its later calls fail at once unless the pool has a connection again. Other requests,
# which have waited for nothing yet, still try: that is how a worker notices the
# database is back.
OUTAGE_MEMORY = 1.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS comments (
    id bigint PRIMARY KEY,
    author text NOT NULL,
    text text NOT NULL,
    created timestamptz,
    status text NOT NULL DEFAULT 'published',
    edited timestamptz,
    deleted timestamptz,
    -- The list's version when this row last changed: "what changed since" reads
    -- the rows above a version through the index on it.
    changed bigint NOT NULL DEFAULT 0
);
-- The instance's token key when COMMENTS_SECRET_KEY is not set: shared by every
-- worker and instance on this database.
CREATE TABLE IF NOT EXISTS comments_secret (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    key text NOT NULL
);
CREATE TABLE IF NOT EXISTS comments_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    -- Changes whenever the list changes other than by appending (an import),
    -- so that caches built on an older epoch are thrown away whole.
    epoch text NOT NULL,
    version bigint NOT NULL,
    last_id bigint NOT NULL,
    -- The first version whose later changes the changed column records: a since
    -- value before it is answered 410 (a table made before the column).
    history_from bigint DEFAULT 0
);
INSERT INTO comments_version (epoch, version, last_id)
SELECT md5(random()::text), 0, coalesce(max(id), 0) FROM comments
ON CONFLICT DO NOTHING;
"""

# Tables made before moderation lack its columns. Run only when they do, after
# taking the version row as writers do, so that it cannot deadlock with them.
UPGRADE = """
SELECT 1 FROM comments_version FOR UPDATE;
ALTER TABLE comments ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'published';
ALTER TABLE comments ADD COLUMN IF NOT EXISTS edited timestamptz;
ALTER TABLE comments ADD COLUMN IF NOT EXISTS deleted timestamptz;
ALTER TABLE comments ADD COLUMN IF NOT EXISTS changed bigint NOT NULL DEFAULT 0;
ALTER TABLE comments_version ADD COLUMN IF NOT EXISTS history_from bigint;
UPDATE comments_version SET history_from = version WHERE history_from IS NULL;
"""
UPGRADE_NEEDED = """
SELECT count(*) < 5 FROM information_schema.columns
WHERE table_schema = current_schema() AND (
    table_name = 'comments' AND column_name IN ('status', 'edited', 'deleted', 'changed')
    OR table_name = 'comments_version' AND column_name = 'history_from')
"""
INDEXES = "CREATE INDEX IF NOT EXISTS comments_changed ON comments (changed)"

# True when every table and column exists: then first use changes nothing.
SCHEMA_CURRENT = """
SELECT to_regclass('comments') IS NOT NULL AND to_regclass('comments_version') IS NOT NULL
    AND to_regclass('comments_secret') IS NOT NULL
    AND to_regclass('comments_changed') IS NOT NULL
    AND (SELECT count(*) = 5 FROM information_schema.columns
        WHERE table_schema = current_schema() AND (
            table_name = 'comments' AND column_name IN ('status', 'edited', 'deleted', 'changed')
            OR table_name = 'comments_version' AND column_name = 'history_from'))
"""

# Whether a write would work, without writing: is the transaction read-only,
# and may this role write the tables (or create them, before they exist)?
WRITE_PROBE = """
SELECT current_setting('transaction_read_only') = 'on' OR pg_is_in_recovery(),
    CASE WHEN to_regclass('comments') IS NULL OR to_regclass('comments_version') IS NULL
        THEN coalesce(has_schema_privilege(current_schema(), 'CREATE'), false)
        ELSE has_table_privilege('comments', 'INSERT') AND has_table_privilege('comments', 'UPDATE')
            AND has_table_privilege('comments_version', 'UPDATE')
    END
"""

# Serialize schema creation between workers starting at the same moment.
SCHEMA_LOCK = 0x636F6D6D

CREATED = """to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""
EDITED = """to_char(edited AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""
DELETED = """to_char(deleted AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""
COLUMNS = f"id, author, text, {CREATED}, {EDITED}, status"
PUBLIC = "status = 'published' AND deleted IS NULL"
CHANNEL = "comments_changed"
NOTIFY = f"NOTIFY {CHANNEL}"
VERSION_QUERY = "SELECT epoch, version, last_id FROM comments_version"
# One statement, so the version and the rows come from the same snapshot.
ROWS_SINCE_QUERY = f"""
SELECT v.epoch, v.version, v.last_id, c.id, c.author, c.text, {CREATED}, {EDITED}, c.status
FROM comments_version v LEFT JOIN comments c ON c.id > %s AND c.{PUBLIC}
ORDER BY c.id
"""
# The rows changed after a version, with the version row, in one snapshot; no rows
# when the since value is not answerable (then the version row says why).
CHANGES_QUERY = f"""
SELECT v.epoch, v.version, coalesce(v.history_from, 0), c.id, c.author, c.text, {CREATED}, {EDITED},
    c.status, c.deleted IS NULL
FROM comments_version v LEFT JOIN comments c ON c.changed > %(since)s
    AND v.epoch = %(epoch)s AND %(since)s BETWEEN coalesce(v.history_from, 0) AND v.version
ORDER BY c.id
"""


class StoreUnavailable(StoreError):
    def __init__(self, reason: str) -> None:
        # The reason names hosts and ports: for the log and commands only.
        super().__init__(
            "the comments database is unavailable", f"comments database is unavailable: {reason}"
        )


@dataclass(frozen=True)
class _Version:
    epoch: str
    version: int
    last_id: int
    body: bytes

    @property
    def etag(self) -> str:
        return f"{self.epoch}-{self.version:x}"

    @cached_property
    def public(self) -> PublicLines:
        return PublicLines([] if self.body == b"[]\n" else self.body[2:-3].split(b",\n"))


def row_to_comment(
    comment_id: int, author: str, text: str, created: str | None, edited: str | None, status: str
) -> dict:
    """Return a row as the record the file store would keep (see base.normalize)."""
    comment = {"id": comment_id, "author": author, "text": text}
    if created is not None:
        comment["created"] = created
    if edited is not None:
        comment["edited"] = edited
    if status != PUBLISHED:
        comment["status"] = status
    return comment


class PostgresStore:
    """The Store interface over PostgreSQL, with one connection pool per process."""

    def __init__(self, url: str, timeout: float = 3.0, secret: bytes | None = None) -> None:
        self.url = url
        self.timeout = timeout
        password = urlsplit(url).password or ""
        self._secrets = [secret for secret in {password, unquote(password)} if secret]
        self._secret = secret
        self._pool: ConnectionPool | None = None
        self._schema_ready = False
        self._version: _Version | None = None
        self._mutex = threading.Lock()
        # A listener thread hears every commit's NOTIFY: while it listens, the cached
        # version is current until it counts a change, and a GET needs no query.
        self._listening = False
        self._changes = 0
        self._checked = -1
        self._stop = threading.Event()
        # This store's own channel: close() wakes its listener there, and no other.
        self._stop_channel = f"comments_stop_{secrets.token_hex(8)}"
        self._listener: threading.Thread | None = None
        self._refresh_lock = threading.Lock()
        # When a call of this context last found the database unreachable (see OUTAGE_MEMORY).
        self._unreachable_at: ContextVar[float | None] = ContextVar(
            f"comments_db_unreachable_{self._stop_channel}", default=None
        )

    kind = "postgresql"

    def __repr__(self) -> str:
        return f"PostgresStore({self.safe_url!r})"

    @property
    def safe_url(self) -> str:
        """The URL with its password hidden, for messages and logs."""
        return self.redact(self.url)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    # The Store interface

    def etag(self) -> str:
        return self.snapshot().etag

    def snapshot(self) -> Snapshot:
        version = self._current()
        return Snapshot(version.etag, version.body)

    def page(self, limit: int, before: int | None = None) -> Page:
        version = self._current()
        return make_page(version.etag, version.public, limit, before)

    def changes(self, since: str) -> Changes:
        epoch, _, number = since.rpartition("-")
        try:
            if not epoch or number != number.strip() or number.startswith(("+", "-")):
                raise ValueError
            version = int(number, 16)
            if version >= 2**63:
                raise ValueError
        except ValueError:
            raise VersionUnknown("the version is not one of this list's") from None
        cached = self._version
        if cached is not None and self._listening and self._checked == self._changes and cached.etag == since:
            return make_changes(since, since, [], [])  # nothing heard since: no query
        # One row past the bound is enough to know the client is too far behind
        # (make_changes refuses it): never the whole table for ?since= from long ago.
        params = {"since": version, "epoch": epoch, "rows": MAX_CHANGES + 1}
        rows = self._read(lambda conn: conn.execute(CHANGES_QUERY + "LIMIT %(rows)s", params).fetchall())
        current_epoch, current, history_from = rows[0][:3]
        if epoch != current_epoch or version > current:
            raise VersionUnknown("the version is not one of this list's")
        if version < history_from:
            raise VersionGone("the version is older than the history this database keeps")
        comments, removed = [], []
        for row in rows:
            if row[3] is None:
                continue
            if row[8] == PUBLISHED and row[9]:
                comments.append(encode_comment(row_to_comment(*row[3:9])))
            else:
                removed.append(row[3])
        return make_changes(f"{current_epoch}-{current:x}", since, comments, removed)

    def _current(self) -> _Version:
        version = self._version
        if version is None or not self._listening or self._checked != self._changes:
            version = self._checked_refresh()
        return version

    def get(self, comment_id: int) -> dict | None:
        query = f"SELECT {COLUMNS} FROM comments WHERE id = %s AND {PUBLIC}"
        row = self._read(lambda conn: conn.execute(query, (comment_id,)).fetchone())
        return public_view(row_to_comment(*row)) if row else None

    def record(self, comment_id: int) -> dict | None:
        query = f"SELECT {COLUMNS} FROM comments WHERE id = %s AND deleted IS NULL"
        row = self._read(lambda conn: conn.execute(query, (comment_id,)).fetchone())
        return full_view(row_to_comment(*row)) if row else None

    def moderation(self, status: str | None = None) -> list[dict]:
        query = f"SELECT {COLUMNS} FROM comments WHERE deleted IS NULL"
        if status is not None:
            query += " AND status = %(status)s"
        query += " ORDER BY id"
        rows = self._read(lambda conn: conn.execute(query, {"status": status}).fetchall())
        return [full_view(row_to_comment(*row)) for row in rows]

    def secret_key(self) -> bytes:
        if self._secret is None:

            def load(conn: psycopg.Connection) -> str:
                conn.execute(
                    "INSERT INTO comments_secret (key) VALUES (%s) ON CONFLICT DO NOTHING",
                    (secrets.token_hex(32),),
                )
                return conn.execute("SELECT key FROM comments_secret").fetchone()[0]

            self._secret = self._read(load).encode()
        return self._secret

    def update(self, comment_id: int, changes: Mapping[str, str]) -> tuple[dict, Snapshot]:
        check_changes(changes)
        assignments = [f"{field} = %({field})s" for field in (*EDITABLE, "status") if field in changes]
        if any(field in changes for field in EDITABLE):
            assignments.append("edited = %(now)s")
        assignments.append("changed = %(version)s")
        query = (
            f"UPDATE comments SET {', '.join(assignments)} "
            f"WHERE id = %(id)s AND deleted IS NULL RETURNING {COLUMNS}"
        )
        row = self._change(query, {**changes, "id": comment_id, "now": now_ms()}, comment_id)
        return full_view(row_to_comment(*row)), self._fresh_snapshot()

    def delete(self, comment_id: int) -> Snapshot:
        query = (
            "UPDATE comments SET author = '', text = '', deleted = %(now)s, changed = %(version)s "
            "WHERE id = %(id)s AND deleted IS NULL RETURNING id"
        )
        self._change(query, {"id": comment_id, "now": now_ms()}, comment_id)
        return self._fresh_snapshot()

    def add(self, author: str, text: str, status: str = PUBLISHED) -> tuple[dict, Snapshot]:
        committing = False

        def insert(conn: psycopg.Connection) -> tuple[dict, str, int]:
            nonlocal committing
            committing = False
            with conn.transaction():
                # The row lock on the version serializes writers across every
                # instance: ids come out unique, increasing and in commit order.
                epoch, version, comment_id = conn.execute(
                    "UPDATE comments_version SET version = version + 1, last_id = last_id + 1 "
                    "RETURNING epoch, version, last_id"
                ).fetchone()
                created = now_ms()
                comment = new_comment(comment_id, author, text, created, status)
                conn.execute(
                    "INSERT INTO comments (id, author, text, created, status, changed) "
                    "VALUES (%s, %s, %s, %s, %s, %s)",
                    (comment_id, author, text, created, status, version),
                )
                conn.execute(NOTIFY)
                committing = True
            return comment, epoch, version

        # Retried only when it failed before COMMIT: a lost answer to COMMIT
        # could otherwise store the comment twice.
        comment, epoch, version = self._run(insert, retry=lambda: not committing)
        with self._refresh_lock:
            cached = self._version
            if cached is not None and (cached.epoch, cached.version) == (epoch, version - 1):
                # A comment held for moderation leaves the public list as it was.
                lines = [encode_comment(comment)] if status == PUBLISHED else []
                body = append_encoded(cached.body, lines)
                self._version = _Version(epoch, version, comment["id"], body)
                return full_view(comment), Snapshot(self._version.etag, body)
        return full_view(comment), self._fresh_snapshot()

    def _change(self, query: str, params: dict, comment_id: int) -> tuple:
        """Run an UPDATE of one comment with the version bumped; raise CommentNotFound
        (and change nothing) when it finds no row."""
        committing = False

        def change(conn: psycopg.Connection) -> tuple:
            nonlocal committing
            committing = False
            with conn.transaction():
                (version,) = conn.execute(
                    "UPDATE comments_version SET version = version + 1 RETURNING version"
                ).fetchone()
                row = conn.execute(query, {**params, "version": version}).fetchone()
                if row is None:
                    raise CommentNotFound(comment_id)
                conn.execute(NOTIFY)
                committing = True
            return row

        return self._run(change, retry=lambda: not committing)

    def _fresh_snapshot(self) -> Snapshot:
        """Return the list as it is after this process's commit. Not from the cache,
        which may not have heard of that very commit yet."""
        version = self._checked_refresh()
        return Snapshot(version.etag, version.body)

    def write_problem(self) -> str | None:
        """Say why a write would fail now: a read-only database or missing rights."""
        read_only, allowed = self._run(lambda conn: conn.execute(WRITE_PROBE).fetchone(), lambda: True, False)
        if read_only:
            return "the database is read-only (a standby, or default_transaction_read_only)"
        if not allowed:
            return "the database role may not write the comments tables"
        return None

    def close(self) -> None:
        """Close the pool and wait for its threads and the listener: nothing logs afterwards."""
        self._stop.set()
        if self._listening and self._pool is not None:
            # The listener waits for notifications a second at a time: wake it now.
            with (
                contextlib.suppress(Exception),
                self._pool.connection(timeout=min(self.timeout, 1.0)) as conn,
            ):
                conn.execute(f"NOTIFY {self._stop_channel}")
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self._listener is not None:
            # It wakes at least once a second, or when its connection attempt fails.
            self._listener.join(timeout=max(2, round(self.timeout)) + 2)
            self._listener = None

    # Schema and import, for the CLI

    def init_schema(self) -> None:
        self._read(self._create_schema)

    def export_records(self) -> list[dict]:
        """Return every row as a record, tombstones included, from one statement's snapshot."""
        query = f"SELECT {COLUMNS}, {DELETED} FROM comments ORDER BY id"
        rows = self._read(lambda conn: conn.execute(query).fetchall())
        # A tombstone as base.tombstone makes it: when it was deleted, and its id.
        return [{"deleted": row[-1], "id": row[0]} if row[-1] else row_to_comment(*row[:-1]) for row in rows]

    def import_records(self, items: Iterable[dict]) -> tuple[int, int]:
        """Copy records (backup.read_export's) keeping their ids; return (added, already there)."""
        # A file store's export keeps statuses, edit times and tombstones.
        rows = [
            (
                item["id"],
                item.get("author", ""),
                item.get("text", ""),
                parse_created(item.get("created")),
                parse_created(item.get("edited")),
                status_of(item),
                parse_created(item.get("deleted")),
            )
            for item in items
        ]

        def copy(conn: psycopg.Connection) -> int:
            with conn.transaction():
                (version,) = conn.execute("SELECT version FROM comments_version FOR UPDATE").fetchone()
                added = 0
                for row in rows:
                    # The version this transaction makes, below, when it adds a row.
                    cursor = conn.execute(
                        "INSERT INTO comments (id, author, text, created, edited, status, deleted, changed) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                        "ON CONFLICT (id) DO NOTHING",
                        (*row, version + 1),
                    )
                    added += cursor.rowcount
                if added:
                    conn.execute(
                        "UPDATE comments_version SET epoch = md5(random()::text), version = version + 1, "
                        "last_id = greatest(last_id, (SELECT max(id) FROM comments))"
                    )
                    conn.execute(NOTIFY)
            return added

        added = self._run(copy, retry=lambda: False)
        return added, len(rows) - added

    # Internals

    def _checked_refresh(self) -> _Version:
        """Refresh the cache from the database, one thread at a time."""
        with self._refresh_lock:
            # Counted before the query: a change heard during it forces another.
            seen = self._changes
            version = self._read(self._refresh)
            self._checked = seen
            return version

    def _refresh(self, conn: psycopg.Connection) -> _Version:
        """Return the current list, fetching only the rows this process has not seen."""
        cached = self._version
        epoch, version, last_id = conn.execute(VERSION_QUERY).fetchone()
        if cached is not None and (cached.epoch, cached.version) == (epoch, version):
            return cached
        since = cached.last_id if cached is not None and cached.epoch == epoch else None
        rows = conn.execute(ROWS_SINCE_QUERY, (since if since is not None else -(2**63),)).fetchall()
        epoch, version, last_id = rows[0][:3]
        lines = [encode_comment(row_to_comment(*row[3:])) for row in rows if row[3] is not None]
        if since is not None and version - cached.version == len(lines):
            body = append_encoded(cached.body, lines)
        elif since is not None:
            # Something other than appends happened under the same epoch: fetch all.
            self._version = None
            return self._refresh(conn)
        else:
            body = encode_list(lines)
        fresh = _Version(epoch, version, last_id, body)
        self._version = fresh
        return fresh

    def _create_schema(self, conn: psycopg.Connection) -> None:
        # A schema that is current is left alone, so that a read-only database
        # (a standby, a role that may only read) still serves the list.
        if not conn.execute(SCHEMA_CURRENT).fetchone()[0]:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                conn.execute(SCHEMA)
                if conn.execute(UPGRADE_NEEDED).fetchone()[0]:
                    conn.execute(UPGRADE)
                conn.execute(INDEXES)
        self._schema_ready = True

    def _open_pool(self) -> ConnectionPool:
        # Opened on first use, in the process that uses it: a pool's threads
        # and sockets do not survive gunicorn's fork.
        with self._mutex:
            if self._pool is None:
                self._pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=8,
                    timeout=self.timeout,
                    # Autocommit: a read is one round trip, with no ROLLBACK when the
                    # pool takes the connection back; writes use conn.transaction().
                    kwargs={"connect_timeout": max(2, round(self.timeout)), "autocommit": True},
                    # The pool's retries back off without a cap; give each up soon
                    # so that the next request starts afresh and heals at once
                    # after a long outage.
                    reconnect_timeout=4.0,
                    name="comments",
                    open=False,
                )
                self._pool.open(wait=False)
                self._listener = threading.Thread(target=self._listen, name="comments-listener", daemon=True)
                self._listener.start()
            return self._pool

    def _listen(self) -> None:
        """Count the commits other processes announce; reconnect when the server goes away."""
        healthy = True
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self.url, autocommit=True, connect_timeout=max(2, round(self.timeout))
                ) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    conn.execute(f"LISTEN {self._stop_channel}")
                    # Changes made while nobody listened were not heard: count one.
                    self._changes += 1
                    self._listening = True
                    if not healthy:
                        log.warning("listening for comment changes again on %s", self.safe_url)
                        healthy = True
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self._changes += 1
                            if self._stop.is_set():
                                break
            except psycopg.Error as error:
                if healthy:
                    log.warning("stopped listening for comment changes: %s", self.redact(first_line(error)))
                    healthy = False
            finally:
                self._listening = False
            self._stop.wait(1.0)

    def _fail_fast_while_unreachable(self) -> None:
        """Raise StoreUnavailable at once when this request found the database unreachable
        a moment ago and the pool has no connection ready: it has spent its wait already."""
        failed_at = self._unreachable_at.get()
        if failed_at is None or time.monotonic() - failed_at >= OUTAGE_MEMORY:
            return
        pool = self._pool
        if pool is not None and pool.get_stats().get("pool_available", 0) > 0:
            return  # a connection came back: try it
        raise StoreUnavailable(f"unreachable less than {OUTAGE_MEMORY:g} s ago, no connection since")

    def _read(self, work: Callable[[psycopg.Connection], T]) -> T:
        return self._run(work, retry=lambda: True)

    def _run(
        self, work: Callable[[psycopg.Connection], T], retry: Callable[[], bool], schema: bool = True
    ) -> T:
        """Run work on a pooled connection; map database failures to StoreUnavailable.

        A pooled connection that died with the server fails on first use; then the
        pool drops its dead connections and the work is tried once more, so a
        restart of PostgreSQL costs no error.
        """
        self._fail_fast_while_unreachable()
        for attempt in (1, 2):
            try:
                with self._open_pool().connection() as conn:
                    if schema and not self._schema_ready:
                        self._create_schema(conn)
                    done = work(conn)
                if self._unreachable_at.get() is not None:
                    self._unreachable_at.set(None)
                return done
            except psycopg.OperationalError as error:
                reason = self.redact(first_line(error))
                if attempt == 2 or isinstance(error, PoolTimeout) or not retry():
                    self._unreachable_at.set(time.monotonic())
                    log.error("database error on %s: %s", self.safe_url, reason)
                    raise StoreUnavailable(reason) from None
                # The server went away under idle connections too: drop them all.
                self._open_pool().check()
            except psycopg.Error as error:
                # Not a lost connection but a refusal (a read-only database, a role
                # without rights): trying again would not help.
                reason = self.redact(first_line(error))
                log.error("database error on %s: %s", self.safe_url, reason)
                raise StoreUnavailable(reason) from None
        raise AssertionError("unreachable")


def first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def parse_created(value: object) -> datetime | None:
    """Parse an imported comment's ISO-8601 time; None when it has none."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"created must be an ISO-8601 string, not {value!r}")
    created = datetime.fromisoformat(value)
    return created if created.tzinfo else created.replace(tzinfo=UTC)
