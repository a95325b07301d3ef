"""Comments in PostgreSQL, for platforms whose disks are ephemeral or that run many instances.

Every thread has its own version (schema.py), bumped in the same transaction as each
insert, edit, status change and deletion in it. A write is one message, one round trip:
the call of a function on the server that makes it, its COMMIT, and a NOTIFY naming the
thread (adds.py's ANNOUNCE) that every process's listener hears. The adds to a thread that a
process receives while one of its adds there is being sent go together, in one such
message (adds.py's AddBatches, a group commit): the thread's version row lock is held across its
commit's WAL flush, so one by one they would each wait for a flush. Each process
keeps the bytes of the threads it serves at the version it last saw (cache.py): while
its listener hears every change a GET costs no query, otherwise one small one; a read
that finds only new comments appends their lines instead of fetching the thread again.
Other changes are rare (moderation and authors' fixes): after one, each process
fetches that thread again.

A deleted comment keeps its row as a tombstone: id, thread, parent and times, author
and text emptied. PostgreSQL itself keeps the old row version until (auto)vacuum
reclaims it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import select
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from typing import TypeVar
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from ...model.comment import (
    EDITABLE,
    PUBLISHED,
    check_changes,
    check_status,
    full_view,
    new_comment,
    now_ms,
    public_view,
    status_of,
)
from ...model.threads import DEFAULT
from ...model.versions import VersionGone, VersionUnknown
from ..contract import (
    CommentNotFound,
    Counts,
    ParentRefused,
    Snapshot,
    StoreError,
    ThreadClosed,
    ThreadInfo,
)
from ..feed import MAX_CHANGES, Changes, Page, make_changes, make_page, visible
from ..layout import append_encoded, encode_comment, encode_list
from ..private import Contact
from . import schema
from .adds import AddBatches, KeyedAdd, PendingAdd, many_adds, one_add
from .cache import ThreadCache, ThreadCopy, ThreadCount, parse_etag, thread_etag
from .outbox import PostgresOutbox
from .private import PostgresPrivate
from .rows import COLUMNS, PUBLIC, REPLIED, is_public_row, parse_time, record

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

# A thread's epoch, version and history start, by its name (%(thread)s); "v" is the
# store's row, "t" the named thread's (none before its first write).
THREAD_STATE = """
SELECT v.epoch,
    CASE WHEN %(thread)s = '' THEN v.version ELSE coalesce(t.version, 0) END,
    CASE WHEN %(thread)s = '' THEN coalesce(v.history_from, 0) ELSE 0 END
FROM comments_version v LEFT JOIN comments_threads t ON t.thread = %(thread)s AND %(thread)s <> ''
"""
# The thread's state and its rows after an id, in one snapshot: a copy catching up.
ROWS_AFTER = f"""
WITH state AS ({THREAD_STATE})
SELECT s.*, {COLUMNS} FROM state s
LEFT JOIN comments c ON c.thread = %(thread)s AND c.id > %(after)s
ORDER BY c.id
"""
# The thread's state, its largest id, and every row it may show, in one snapshot: the
# published ones and the removed ones with replies (their place may be shown).
THREAD_ROWS = f"""
WITH state AS ({THREAD_STATE})
SELECT s.*, (SELECT max(m.id) FROM comments m WHERE m.thread = %(thread)s), {COLUMNS} FROM state s
LEFT JOIN comments c ON c.thread = %(thread)s AND ({PUBLIC} OR {REPLIED})
ORDER BY c.id
"""
# The thread's state, and the ids of its comments changed after a version with every
# comment they answer (a reply's change may show or hide its ancestors' places), at
# most %(rows)s changed ones: one past the bound tells the client is too far behind.
CHANGED_IDS = f"""
WITH RECURSIVE state AS ({THREAD_STATE}),
changed AS (
    SELECT c.id, c.parent FROM comments c
    WHERE c.thread = %(thread)s AND c.changed > %(since)s
    ORDER BY c.changed LIMIT %(rows)s
),
answered(id, parent) AS (
    SELECT id, parent FROM changed
    UNION
    SELECT c.id, c.parent FROM comments c JOIN answered a ON c.id = a.parent
)
SELECT s.*, a.id FROM state s LEFT JOIN answered a ON true
"""
CHANGE = (
    "SELECT * FROM comments_change(%s, %s, %s, %s, %s, %s); COMMIT; "
    f"SELECT pg_notify('{schema.CHANNEL}', thread) FROM comments WHERE id = %s"
)
THREAD_INFO = """
SELECT CASE WHEN %(thread)s = '' THEN v.closed ELSE coalesce(t.closed, false) END,
    CASE WHEN %(thread)s = '' THEN v.published ELSE coalesce(t.published, 0) END
FROM comments_version v LEFT JOIN comments_threads t ON t.thread = %(thread)s AND %(thread)s <> ''
"""
CLOSE_NAMED = """
INSERT INTO comments_threads AS t (thread, closed) VALUES (%(thread)s, %(closed)s)
ON CONFLICT (thread) DO UPDATE SET closed = excluded.closed
RETURNING t.closed, t.published
"""
CLOSE_DEFAULT = "UPDATE comments_version SET closed = %(closed)s RETURNING closed, published"
COUNTS = """
SELECT v.epoch, v.version, v.published, t.thread, t.version, t.published
FROM comments_version v LEFT JOIN comments_threads t ON t.thread = ANY(%s)
"""


# After an import, a thread it added to: its new version, and its count again.
IMPORTED_COUNT = f"(SELECT count(*) FROM comments c WHERE c.thread = %(thread)s AND {PUBLIC})"
IMPORTED_DEFAULT = f"UPDATE comments_version SET version = %(version)s, published = {IMPORTED_COUNT}"
IMPORTED_NAMED = f"""
INSERT INTO comments_threads AS t (thread, version, published)
VALUES (%(thread)s, %(version)s, {IMPORTED_COUNT})
ON CONFLICT (thread) DO UPDATE SET version = excluded.version, published = excluded.published
"""


class KeyTaken(StoreError):
    """The claim of the request's Idempotency-Key was taken over before its comment was stored."""

    def __init__(self) -> None:
        super().__init__("the Idempotency-Key was claimed again by another request")


class StoreUnavailable(StoreError):
    def __init__(self, reason: str) -> None:
        # The reason names hosts and ports: for the log and commands only.
        super().__init__(
            "the comments database is unavailable", f"comments database is unavailable: {reason}"
        )


class AfterWrite(Snapshot):
    """A thread's list after a write, read when first asked for: a POST answered with the
    comment alone (Prefer: return=minimal) costs no read of the list."""

    def __init__(self, load: Callable[[], Snapshot]) -> None:
        object.__setattr__(self, "_load", load)
        object.__setattr__(self, "_loaded", None)

    def _snapshot(self) -> Snapshot:
        if self._loaded is None:
            object.__setattr__(self, "_loaded", self._load())
        return self._loaded

    @property
    def etag(self) -> str:  # type: ignore[override]
        return self._snapshot().etag

    @property
    def body(self) -> bytes:  # type: ignore[override]
        return self._snapshot().body

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Snapshot):
            return NotImplemented
        return (self.etag, self.body) == (other.etag, other.body)

    def __hash__(self) -> int:
        return hash((self.etag, self.body))

    def __repr__(self) -> str:
        return f"AfterWrite({self._snapshot()!r})"


class PostgresStore:
    """The Store interface over PostgreSQL, with one connection pool per process."""

    def __init__(
        self, url: str, timeout: float = 3.0, secret: bytes | None = None, outbox: bool = False
    ) -> None:
        self.url = url
        # The notifications each write owes, in its transaction (outbox.py), when someone listens.
        self.outbox = PostgresOutbox(self) if outbox else None
        # What no reader sees: authors' contacts, used links, the mail log (private.py).
        self.private = PostgresPrivate(self)
        self.timeout = timeout
        password = urlsplit(url).password or ""
        self._secrets = [secret for secret in {password, unquote(password)} if secret]
        self._secret = secret
        self._pool: ConnectionPool | None = None
        self._schema_ready = False
        self._cache = ThreadCache()
        self._mutex = threading.Lock()
        # A listener thread hears every commit's NOTIFY: while it listens, a thread's
        # copy is current until it hears a commit of that thread, and a GET needs no query.
        self._listening = False
        self._stop = threading.Event()
        # This store's own channel: close() wakes its listener there, and no other.
        self._stop_channel = f"comments_stop_{secrets.token_hex(8)}"
        self._listener: threading.Thread | None = None
        # When a call of this context last found the database unreachable (see OUTAGE_MEMORY).
        self._unreachable_at: ContextVar[float | None] = ContextVar(
            f"comments_db_unreachable_{self._stop_channel}", default=None
        )
        # What this context's next add does with its request's Idempotency-Key (attach_key).
        self._keyed: ContextVar[KeyedAdd | None] = ContextVar(
            f"comments_keyed_add_{self._stop_channel}", default=None
        )
        self._batches = AddBatches(lambda: StoreUnavailable("the write was interrupted"))
        # When an add last failed for want of the database (monotonic seconds).
        self._add_failed_at = float("-inf")

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

    # The Store interface: reads of a thread

    def etag(self, thread: str = DEFAULT) -> str:
        return self._current(thread).etag

    def snapshot(self, thread: str = DEFAULT) -> Snapshot:
        copy = self._current(thread)
        return Snapshot(copy.etag, copy.body)

    def page(self, limit: int, before: int | None = None, thread: str = DEFAULT) -> Page:
        copy = self._current(thread)
        return make_page(copy.etag, copy.public, limit, before)

    def changes(self, since: str, thread: str = DEFAULT) -> Changes:
        parsed = parse_etag(thread, since)
        if parsed is None:
            raise VersionUnknown("the version is not one of this list's")
        epoch, version = parsed
        copy = self._current_or_none(thread)
        if copy is not None and copy.etag == since:
            return make_changes(since, since, [], [])  # nothing heard since: no query
        # One row past the bound is enough to know the client is too far behind
        # (make_changes refuses it): never the whole thread for ?since= from long ago.
        params = {"thread": thread, "since": version, "rows": MAX_CHANGES + 1}
        for _ in range(3):
            rows = self._read(lambda conn: conn.execute(CHANGED_IDS, params).fetchall())
            current_epoch, current, history_from = rows[0][:3]
            if epoch != current_epoch or version > current:
                raise VersionUnknown("the version is not one of this list's")
            if version < history_from:
                raise VersionGone("the version is older than the history this database keeps")
            copy = self._current(thread)
            if (copy.epoch, copy.version) != (current_epoch, current):
                copy = self._checked_refresh(thread)
            # The ids' version should be the copy's: else a write came between, ask again.
            if (copy.epoch, copy.version) == (current_epoch, current):
                break
        # Still not (a thread written without pause): the copy is newer than the ids. The
        # answer is labelled with the ids' version, so that what changed after it is
        # sent again at the next poll; the comments it names are shown as they are now.
        ids = sorted({row[3] for row in rows if row[3] is not None})
        shown = [(comment_id, copy.public.line(comment_id)) for comment_id in ids]
        comments = [line for _, line in shown if line is not None]
        removed = [comment_id for comment_id, line in shown if line is None]
        return make_changes(thread_etag(thread, current_epoch, current), since, comments, removed)

    def _current(self, thread: str) -> ThreadCopy:
        copy = self._current_or_none(thread)
        return copy if copy is not None else self._checked_refresh(thread)

    def _current_or_none(self, thread: str) -> ThreadCopy | None:
        return self._cache.current(thread) if self._listening else None

    # Reads of one comment, of every thread

    def get(self, comment_id: int) -> dict | None:
        query = f"SELECT {COLUMNS} FROM comments c WHERE c.id = %s AND {PUBLIC}"
        row = self._read(lambda conn: conn.execute(query, (comment_id,)).fetchone())
        return public_view(record(*row)) if row else None

    def record(self, comment_id: int) -> dict | None:
        query = f"SELECT {COLUMNS} FROM comments c WHERE c.id = %s AND c.deleted IS NULL"
        row = self._read(lambda conn: conn.execute(query, (comment_id,)).fetchone())
        return full_view(record(*row)) if row else None

    def moderation(self, status: str | None = None, thread: str | None = None) -> list[dict]:
        query = f"SELECT {COLUMNS} FROM comments c WHERE c.deleted IS NULL"
        if status is not None:
            query += " AND c.status = %(status)s"
        if thread is not None:
            query += " AND c.thread = %(thread)s"
        query += " ORDER BY c.id"
        params = {"status": status, "thread": thread}
        rows = self._read(lambda conn: conn.execute(query, params).fetchall())
        return [full_view(record(*row)) for row in rows]

    def latest(self, limit: int) -> list[dict]:
        query = f"SELECT {COLUMNS} FROM comments c WHERE {PUBLIC} ORDER BY c.id DESC LIMIT %s"
        rows = self._read(lambda conn: conn.execute(query, (limit,)).fetchall())
        latest = []
        for row in rows:
            comment = public_view(record(*row))
            comment.setdefault("thread", None)  # the default thread's
            latest.append(comment)
        return latest

    def counts(self, threads: list[str]) -> Counts:
        known = {thread: self._cache.current_count(thread) if self._listening else None for thread in threads}
        missing = sorted(thread for thread, count in known.items() if count is None)
        if missing:
            known.update(self._read_counts(missing))
        # The threads asked and their versions: a write in any of them changes it.
        digest = hashlib.blake2b(digest_size=16, person=b"comments counts")
        for thread in sorted(known):
            digest.update(f"{known[thread].epoch}\0{thread}\0{known[thread].version:x}\0".encode())
        return Counts(digest.hexdigest(), {thread: known[thread].published for thread in threads})

    def counts_signature(self, threads: list[str]) -> tuple | None:
        """Return the threads' versions the listener keeps, with no query; None while it is
        not listening or a thread's version is not known here yet."""
        if not self._listening:
            return None
        versions = []
        for thread in threads:
            known = self._cache.current_count(thread)
            if known is None:
                return None
            versions.append((known.epoch, known.version))
        return tuple(versions)

    def site_signature(self) -> tuple | None:
        """Return the listener's count of commits heard, with no query; None while it is
        not listening."""
        return self._cache.heard_count() if self._listening else None

    def change_signature(self, thread: str) -> tuple | None:
        """Return the listener's count of the thread's commits heard, with no query; None
        while it is not listening."""
        return self._cache.heard_at(thread) if self._listening else None

    def _read_counts(self, threads: list[str]) -> dict[str, ThreadCount]:
        """Read the threads' versions and counts (one query), and keep them."""
        seen = self._cache.count
        named = [thread for thread in threads if thread != DEFAULT]
        rows = self._read(lambda conn: conn.execute(COUNTS, (named,)).fetchall())
        epoch, default_version, default_count = rows[0][:3]
        found = {row[3]: (row[4], row[5]) for row in rows if row[3] is not None}
        found[DEFAULT] = (default_version, default_count)
        counts = {}
        for thread in threads:
            version, published = found.get(thread, (0, 0))
            counts[thread] = ThreadCount(thread, epoch, version, published, seen)
            self._cache.keep_count(counts[thread])
        return counts

    def thread_info(self, thread: str) -> ThreadInfo:
        closed, count = self._read(lambda conn: conn.execute(THREAD_INFO, {"thread": thread}).fetchone())
        return ThreadInfo(thread, closed, count)

    def closed_threads(self) -> list[str]:
        query = (
            "SELECT '' FROM comments_version WHERE closed "
            "UNION ALL SELECT thread FROM comments_threads WHERE closed ORDER BY 1"
        )
        return [row[0] for row in self._read(lambda conn: conn.execute(query).fetchall())]

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

    # Writes

    def add(
        self,
        author: str,
        text: str,
        status: str = PUBLISHED,
        thread: str = DEFAULT,
        parent: int | None = None,
        contact: Contact | None = None,
    ) -> tuple[dict, Snapshot]:
        keyed = self._keyed.get()
        if keyed is not None and keyed.comment_id is not None:
            return self._stored(keyed.comment_id)
        check_status(status)
        item = PendingAdd(thread, parent, author, text, now_ms(), status, keyed, contact)
        return self._batches.submit(item, self._send_adds)

    def _send_adds(self, batch: list[PendingAdd]) -> None:
        """Store a batch of adds to one thread in one transaction, and settle each: its answer
        made in order (each appends to the thread's copy after the one before), or its refusal."""
        if batch[-1].queued <= self._add_failed_at and not self._pool_has_connection():
            # They waited while the batch before failed for want of the database: their
            # request's wait for it (COMMENTS_DB_TIMEOUT) is spent, as _run's fail fast says.
            unavailable = StoreUnavailable("unreachable while these adds waited, no connection since")
            for item in batch:
                item.settle(error=unavailable)
            return
        try:
            self._send_batch(batch)
        finally:
            if any(isinstance(item.error, StoreUnavailable) for item in batch):
                self._add_failed_at = time.monotonic()

    def _send_batch(self, batch: list[PendingAdd]) -> None:
        if len(batch) == 1:
            (item,) = batch
            try:
                written = [self._write(*one_add(item))]
            except Exception as error:  # its refusal, or the database's failure
                item.settle(error=error)
                return
        else:
            try:
                written = self._write(*many_adds(batch), fetch=lambda cursor: cursor.fetchall())
            except Exception as error:  # the database's failure: nothing of the batch stored
                for item in batch:
                    item.settle(error=error)
                return
        self._cache.forget_count(batch[0].thread)
        for item, (epoch, version, comment_id, *refused) in zip(batch, written, strict=True):
            if refused and refused[0] is not None:
                refusal = _refusal_of(refused[0], (item.thread,))
                item.settle(error=refusal or StoreError(f"refused: {refused[0]}"))
            else:
                item.settle(self._added(item, epoch, version, comment_id))

    def _added(self, item: PendingAdd, epoch: str, version: int, comment_id: int) -> tuple[dict, Snapshot]:
        """Return an add's answer: the comment, and its thread's list after it."""
        thread, status = item.thread, item.status
        comment = new_comment(comment_id, item.author, item.text, item.created, status, thread, item.parent)
        cached = self._cache.get(thread)
        if cached is not None and (cached.epoch, cached.version) == (epoch, version - 1):
            # Nothing else happened in the thread since the copy: append to it. A
            # comment held for moderation leaves the public list as it was.
            lines = [encode_comment(comment)] if status == PUBLISHED else []
            body = append_encoded(cached.body, lines)
            copy = ThreadCopy(thread, epoch, version, comment_id, body, cached.checked)
            self._cache.keep(copy)
            return full_view(comment), Snapshot(copy.etag, body)
        return full_view(comment), self._after_write(thread)

    def attach_key(self, keyed: KeyedAdd | None) -> None:
        """Say what this context's next add does with an Idempotency-Key (None: nothing)."""
        self._keyed.set(keyed)

    def _stored(self, comment_id: int) -> tuple[dict, Snapshot]:
        """Return a comment an earlier add stored, as add returned it, and its thread's list now."""
        query = f"SELECT {COLUMNS} FROM comments c WHERE c.id = %s"
        row = self._read(lambda conn: conn.execute(query, (comment_id,)).fetchone())
        if row is None:  # only an import into another database could lose it
            raise CommentNotFound(comment_id)
        # Deleted since: its tombstone's row, emptied, as a comment (the answer's shape).
        comment = record(*row[:6], None, *row[7:])
        thread = comment.get("thread") or DEFAULT
        copy = self._current_or_none(thread)
        if copy is not None and copy.last_id >= comment_id:
            # Within a thread ids come in commit order: this copy was made after that commit.
            return full_view(comment), Snapshot(copy.etag, copy.body)
        # Else not this process's copy, which may not have heard of that commit yet.
        return full_view(comment), AfterWrite(lambda: self._fresh_snapshot(thread))

    def update(self, comment_id: int, changes: Mapping[str, str]) -> tuple[dict, Snapshot]:
        check_changes(changes)
        edited = now_ms() if any(field in changes for field in EDITABLE) else None
        fields = (changes.get("author"), changes.get("text"), changes.get("status"), edited, None)
        thread = self._change((comment_id, *fields, comment_id))
        changed = self.record(comment_id)
        if changed is None:  # deleted since, by another request
            raise CommentNotFound(comment_id)
        return changed, self._after_write(thread)

    def delete(self, comment_id: int) -> Snapshot:
        thread = self._change((comment_id, None, None, None, None, now_ms(), comment_id))
        return self._after_write(thread)

    def close_thread(self, thread: str, closed: bool) -> ThreadInfo:
        query = CLOSE_DEFAULT if thread == DEFAULT else CLOSE_NAMED
        # The thread's row lock: an add waiting for it sees the thread closed.
        is_closed, count = self._read(
            lambda conn: conn.execute(query, {"thread": thread, "closed": closed}).fetchone()
        )
        return ThreadInfo(thread, is_closed, count)

    def _change(self, params: tuple) -> str:
        """Change or delete a comment; return its thread. Raise CommentNotFound (and change
        nothing) when it is deleted or never was."""
        _, _, thread = self._write(CHANGE, params)
        return thread

    def _write(
        self,
        query: str,
        params: tuple,
        fetch: Callable[[psycopg.Cursor], T] = lambda cursor: cursor.fetchone(),
    ) -> T:
        """Call one of the write functions and announce it (ANNOUNCE): one round trip.

        A refusal raised inside it (schema.THREAD_CLOSED, PARENT_REFUSED, NOT_FOUND) rolled
        it back, version bump included, and is raised here as the contract's exception.
        """
        sent = False

        def write(conn: psycopg.Connection) -> T:
            nonlocal sent
            sent = False
            if _closed_by_server(conn):
                # Found dead before sending: safe to try again on another connection.
                raise psycopg.OperationalError("the server closed this pooled connection")
            sent = True
            # Several statements in one message: bound here, sent as one simple query.
            cursor = psycopg.ClientCursor(conn)
            try:
                cursor.execute(query, params)
            except psycopg.Error as error:
                refused = _refusal(error, params)
                if refused is None:
                    raise
                raise _Refused(refused) from None
            return fetch(cursor)

        # Retried only when it failed before the message was sent: a lost answer to
        # its COMMIT could otherwise store the comment twice.
        try:
            return self._run(write, retry=lambda: not sent)
        except _Refused as refused:
            raise refused.error from None

    def _after_write(self, thread: str) -> Snapshot:
        """Return the thread's list after this process's write, read when first asked for."""
        # This process reads its own write at once, before its listener hears of it.
        self._cache.heard(thread)
        return AfterWrite(lambda: self._fresh_snapshot(thread))

    def _fresh_snapshot(self, thread: str) -> Snapshot:
        """Return the thread's list as it is after this process's commit. Not from the copy,
        whose listener may not have heard of that very commit yet."""
        copy = self._checked_refresh(thread)
        return Snapshot(copy.etag, copy.body)

    def write_problem(self) -> str | None:
        """Say why a write would fail now: a read-only database or missing rights."""
        read_only, allowed = self._run(
            lambda conn: conn.execute(schema.WRITE_PROBE).fetchone(), lambda: True, False
        )
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

    # Schema, export and import, for the CLI and backups

    def init_schema(self) -> None:
        self._read(self._create_schema)

    def export_records(self) -> list[dict]:
        """Return every row as a record, tombstones included, from one statement's snapshot."""
        query = f"SELECT {COLUMNS}, {REPLIED} FROM comments c ORDER BY c.id"
        rows = self._read(lambda conn: conn.execute(query).fetchall())
        return [record(*row) for row in rows]

    def import_records(self, items: Iterable[dict]) -> tuple[int, int]:
        """Copy records (backup.read_export's) keeping their ids; return (added, already there)."""
        # A file store's export keeps statuses, edit times, tombstones, threads and parents.
        rows = [
            (
                item["id"],
                item.get("author", ""),
                item.get("text", ""),
                parse_time(item.get("created")),
                parse_time(item.get("edited")),
                status_of(item),
                parse_time(item.get("deleted")),
                item.get("thread") or DEFAULT,
                item.get("parent"),
            )
            for item in items
        ]
        added = self._run(lambda conn: _copy(conn, rows), retry=lambda: False)
        return added, len(rows) - added

    # Internals

    def _checked_refresh(self, thread: str = DEFAULT) -> ThreadCopy:
        """Bring the thread's copy up to date from the database."""
        # Counted before the query: a commit heard during it makes the copy stale again.
        seen = self._cache.count
        return self._read(lambda conn: self._refresh(conn, thread, seen))

    def _refresh(self, conn: psycopg.Connection, thread: str, seen: int) -> ThreadCopy:
        """Return the thread's current copy, fetching only the rows this process has not seen."""
        cached = self._cache.get(thread)
        if cached is not None:
            rows = conn.execute(ROWS_AFTER, {"thread": thread, "after": cached.last_id}).fetchall()
            epoch, version = rows[0][:2]
            new = [row[3:] for row in rows if row[3] is not None]
            # As many new rows as writes since the copy: every write was an add, and a new
            # comment only answers a published one, so it changes no placeholder.
            if epoch == cached.epoch and version - cached.version == len(new):
                if not new:
                    return self._cache.checked(cached, seen)
                lines = [encode_comment(record(*row)) for row in new if is_public_row(row)]
                body = append_encoded(cached.body, lines)
                return self._cache.keep(ThreadCopy(thread, epoch, version, new[-1][0], body, seen))
        rows = conn.execute(THREAD_ROWS, {"thread": thread}).fetchall()
        epoch, version, _, last_id = rows[0][:4]
        # A removed comment is here only because it has replies: its tombstone keeps its time.
        records = [
            encode_comment(record(*row[4:], replied=not is_public_row(row[4:])))
            for row in rows
            if row[4] is not None
        ]
        body = encode_list(visible(records))
        return self._cache.keep(ThreadCopy(thread, epoch, version, last_id or 0, body, seen))

    def _create_schema(self, conn: psycopg.Connection) -> None:
        schema.create_schema(conn)
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
                    # pool takes the connection back; so is a write (one function call).
                    kwargs={
                        "connect_timeout": max(2, round(self.timeout)),
                        "autocommit": True,
                        **self._options(),
                    },
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

    def _options(self) -> dict:
        """Return the pool's connection options: comments.outbox = on when writes fill the outbox,
        added to those the URL sets (a search_path)."""
        if self.outbox is None:
            return {}
        options = psycopg.conninfo.conninfo_to_dict(self.url).get("options") or ""
        return {"options": f"{options} -c comments.outbox=on".strip()}

    def _listen(self) -> None:
        """Hear the commits every process announces; reconnect when the server goes away."""
        healthy = True
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self.url, autocommit=True, connect_timeout=max(2, round(self.timeout))
                ) as conn:
                    conn.execute(f"LISTEN {schema.CHANNEL}")
                    conn.execute(f"LISTEN {self._stop_channel}")
                    # Changes made while nobody listened were not heard: every thread's.
                    self._cache.heard_everything()
                    self._listening = True
                    if not healthy:
                        log.warning("listening for comment changes again on %s", self.safe_url)
                        healthy = True
                    while not self._stop.is_set():
                        for notify in conn.notifies(timeout=1.0):
                            if notify.payload == schema.EVERY_THREAD:
                                self._cache.heard_everything()
                            else:
                                self._cache.heard(notify.payload)
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
        if self._pool_has_connection():
            return  # a connection came back: try it
        raise StoreUnavailable(f"unreachable less than {OUTAGE_MEMORY:g} s ago, no connection since")

    def _pool_has_connection(self) -> bool:
        pool = self._pool
        return pool is not None and pool.get_stats().get("pool_available", 0) > 0

    def _read(self, work: Callable[[psycopg.Connection], T]) -> T:
        return self._run(work, retry=lambda: True)

    def _run(
        self, work: Callable[[psycopg.Connection], T], retry: Callable[[], bool], with_schema: bool = True
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
                    if with_schema and not self._schema_ready:
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


class _Refused(Exception):
    """A write function's refusal, carried past _run's mapping of database errors."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _refusal(error: psycopg.Error, params: tuple | dict) -> Exception | None:
    """Return the contract's exception for a write function's refusal, or None."""
    return _refusal_of(error.sqlstate, params)


def _refusal_of(state: str | None, params: tuple | dict) -> Exception | None:
    """Return the contract's exception for a refusal's SQLSTATE (params[0] its subject), or None."""
    if state == schema.THREAD_CLOSED:
        return ThreadClosed(params[0])
    if state == schema.PARENT_REFUSED:
        return ParentRefused("parent must be a published comment of the same thread")
    if state == schema.NOT_FOUND:
        return CommentNotFound(params[0])
    if state == schema.KEY_TAKEN:
        return KeyTaken()
    return None


def _closed_by_server(conn: psycopg.Connection) -> bool:
    """Tell, without a round trip, whether an idle connection was closed by the server (a
    restart): its socket is then readable, with the server's goodbye or the end of the stream."""
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _copy(conn: psycopg.Connection, rows: list[tuple]) -> int:
    """Insert the rows whose ids are new, in one transaction holding every thread; return how many."""
    with conn.transaction():
        # Every writer waits: the default thread's on the row, the named threads' on the table.
        conn.execute("SELECT 1 FROM comments_version FOR UPDATE")
        conn.execute("LOCK TABLE comments_threads IN EXCLUSIVE MODE")
        threads = sorted({row[7] for row in rows})
        versions = dict(
            conn.execute(
                "SELECT '', version FROM comments_version "
                "UNION ALL SELECT thread, version FROM comments_threads WHERE thread = ANY(%s)",
                ([thread for thread in threads if thread != DEFAULT],),
            ).fetchall()
        )
        added, touched = 0, set()
        for row in rows:
            thread = row[7]
            # The version this transaction gives the thread, below, when it adds a row.
            cursor = conn.execute(
                "INSERT INTO comments (id, author, text, created, edited, status, deleted, thread, parent, "
                "changed) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                (*row, versions.get(thread, 0) + 1),
            )
            if cursor.rowcount:
                added += 1
                touched.add(thread)
        if not added:
            return 0
        for thread in sorted(touched):
            params = {"thread": thread, "version": versions.get(thread, 0) + 1}
            conn.execute(IMPORTED_DEFAULT if thread == DEFAULT else IMPORTED_NAMED, params)
        conn.execute("UPDATE comments_version SET epoch = md5(random()::text)")
        conn.execute(
            "SELECT setval('comments_ids', greatest((SELECT last_value FROM comments_ids), "
            "(SELECT max(id) FROM comments)))"
        )
        conn.execute("SELECT pg_notify(%s, %s)", (schema.CHANNEL, schema.EVERY_THREAD))
    return added


def first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
