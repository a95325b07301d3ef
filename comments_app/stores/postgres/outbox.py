"""PostgreSQL's outbox: rows of comments_outbox, inserted in the write's own transaction.

The write functions (schema.py) call comments_notify(), which copies the comment's row
as the change left it into the outbox, when the writing connection says
comments.outbox = on (this store's pool sets it when the process has somewhere to send
notifications). A rolled-back write leaves no row; a committed one always has its rows.

The sender of all the instances on this database is elected by a session advisory lock
on a connection of its own (keyed by the schema, so that stores in other schemas of the
same database each have theirs): a kill -9 ends the session, and the lock with it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import psycopg

from ..outbox import ERROR_CHARS, Item, moderation_view, tombstone_view
from .rows import COLUMNS, record

if TYPE_CHECKING:
    from .store import PostgresStore

# The advisory lock's first key ("cmob"); the second is the schema's hash.
SENDER_LOCK = 0x636D6F62
ITEM = "c.item, c.event, extract(epoch FROM c.made), c.attempts, extract(epoch FROM c.next_at), "
ITEM += f"extract(epoch FROM c.failed), c.error, c.fresh, c.done, {COLUMNS}"


class PostgresOutbox:
    """The outbox of a PostgresStore, read and updated through its pool."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"PostgresOutbox({self.store.safe_url!r})"

    def _read(self, work: Callable[[psycopg.Connection], object]):
        return self.store._read(work)

    def due(self, now: float, limit: int) -> list[Item]:
        query = f"SELECT {ITEM} FROM comments_outbox c WHERE c.failed IS NULL AND c.next_at <= %s"
        query += " ORDER BY c.seq LIMIT %s"
        rows = self._read(lambda conn: conn.execute(query, (moment(now), limit)).fetchall())
        return [item(row) for row in rows]

    def next_due(self) -> float | None:
        query = "SELECT extract(epoch FROM min(next_at)) FROM comments_outbox WHERE failed IS NULL"
        found = self._read(lambda conn: conn.execute(query).fetchone()[0])
        return None if found is None else float(found)

    def delivered(self, item_id: str) -> None:
        self._read(lambda conn: conn.execute("DELETE FROM comments_outbox WHERE item = %s", (item_id,)))

    def retry(
        self, item_id: str, attempts: int, next_at: float, error: str, done: tuple[str, ...] = ()
    ) -> None:
        query = "UPDATE comments_outbox SET attempts = %s, next_at = %s, error = %s, done = %s"
        query += " WHERE item = %s"
        params = (attempts, moment(next_at), error[:ERROR_CHARS], ",".join(done), item_id)
        self._read(lambda conn: conn.execute(query, params))

    def fail(self, item_id: str, attempts: int, error: str, now: float, done: tuple[str, ...] = ()) -> None:
        query = "UPDATE comments_outbox SET attempts = %s, failed = %s, error = %s, done = %s"
        query += " WHERE item = %s"
        params = (attempts, moment(now), error[:ERROR_CHARS], ",".join(done), item_id)
        self._read(lambda conn: conn.execute(query, params))

    def listing(self) -> list[Item]:
        query = f"SELECT {ITEM} FROM comments_outbox c ORDER BY c.seq"
        return [item(row) for row in self._read(lambda conn: conn.execute(query).fetchall())]

    def oldest(self) -> float | None:
        query = "SELECT extract(epoch FROM min(made)) FROM comments_outbox WHERE failed IS NULL"
        found = self._read(lambda conn: conn.execute(query).fetchone()[0])
        return None if found is None else float(found)

    def counts(self) -> tuple[int, int]:
        query = (
            "SELECT count(*) FILTER (WHERE failed IS NULL), count(*) FILTER (WHERE failed IS NOT NULL)"
            " FROM comments_outbox"
        )
        return tuple(self._read(lambda conn: conn.execute(query).fetchone()))

    def sender(self) -> AdvisorySender:
        return AdvisorySender(self.store)


def moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def item(row: tuple) -> Item:
    item_id, event, made, attempts, next_at, failed, error, fresh, done, *columns = row
    comment = record(*columns)
    view = tombstone_view(comment) if "deleted" in comment else moderation_view(comment)
    return Item(
        item_id,
        event,
        view,
        columns[7],
        float(made),
        attempts,
        float(next_at),
        None if failed is None else float(failed),
        error,
        fresh,
        tuple(name for name in done.split(",") if name),
    )


class AdvisorySender:
    """A session advisory lock on a connection of its own: one sender for every instance."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self._conn: psycopg.Connection | None = None

    def acquire(self) -> bool:
        if self._conn is not None:
            try:
                # Still ours while the session lives: a server restart ends it, and the lock.
                self._conn.execute("SELECT 1")
                return True
            except psycopg.Error:
                self.release()
        try:
            conn = psycopg.connect(
                self.store.url, autocommit=True, connect_timeout=max(2, round(self.store.timeout))
            )
        except psycopg.Error:
            return False
        try:
            won = conn.execute(
                "SELECT pg_try_advisory_lock(%s, hashtext(current_schema()))", (SENDER_LOCK,)
            ).fetchone()[0]
        except psycopg.Error:
            won = False
        if not won:
            conn.close()
            return False
        self._conn = conn
        return True

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None
