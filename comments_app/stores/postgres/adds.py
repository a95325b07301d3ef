"""PostgreSQL's adds: the queries a new comment is stored with, and the group commit of one
process's adds to a thread.

Each add is one call of a write function (schema.py) announced after its COMMIT (store.py's
below): alone, comments_add, or comments_add_keyed with the request's Idempotency-Key
record, each with the author's contact when given (with_contact). Adds that one process
receives for a thread while one is being sent wait, and go together as the next batch in one
transaction (AddBatches, comments_add_many): one version row lock and one WAL flush for all
of them, where each would otherwise take the lock in turn across its own flush.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from ..contract import Snapshot
from ..private import Contact
from . import schema

# A write and its announcement: one message, one round trip, two transactions. The
# NOTIFY follows the COMMIT in a transaction of its own, which writes nothing to flush:
# a NOTIFY holds a lock of the whole database from its transaction's commit to its end,
# and inside the write's transaction that would be across the WAL flush, making every
# write of every thread wait for the others' flushes. The server runs the whole message
# even when the client dies after sending it; a refusal stops it before the NOTIFY.
ANNOUNCE = f"; COMMIT; SELECT pg_notify('{schema.CHANNEL}', %s)"
ADD = "SELECT * FROM comments_add(%s, %s, %s, %s, %s, %s)" + ANNOUNCE
# The same with the request's Idempotency-Key record completed in its transaction.
ADD_KEYED = "SELECT * FROM comments_add_keyed(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)" + ANNOUNCE


def with_contact(add: str) -> str:
    """Return an add that also keeps the author's contact (private.py), in its transaction:
    the function runs once (a WITH query is evaluated once), its row feeds both."""
    call, announce = add.split(";", 1)
    return (
        f"WITH a AS ({call}), c AS (INSERT INTO comments_contacts (id, email, replies)"
        " SELECT a.o_id, %s, %s FROM a) SELECT * FROM a;" + announce
    )


ADD_CONTACT = with_contact(ADD)
ADD_KEYED_CONTACT = with_contact(ADD_KEYED)
# The adds to one thread that one process received meanwhile, in one transaction
# (AddBatches): a row each, in order, its refusal's SQLSTATE in place of a raise.
ADD_MANY = (
    "SELECT * FROM comments_add_many(%s, %s::bigint[], %s::text[], %s::text[], %s::timestamptz[], "
    "%s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::float8[], %s::bigint[], %s::text[], "
    "%s::boolean[])" + ANNOUNCE
)
# Each add of a batch is a subtransaction: PostgreSQL keeps 64 of a transaction's in
# shared memory, and past them every other session's snapshot reads them from disk.
BATCH_MOST = 32


@dataclass(frozen=True)
class KeyedAdd:
    """What the next add of a context does with an Idempotency-Key (postgres/idempotency.py):
    complete the key's record in the comment's transaction, taking share of the records'
    running count within window, with the stamp of the answer's Comment-Token; or, comment_id
    set, store nothing and hand that comment back."""

    key: str
    share: int = 0
    window: int = 0
    keep_seconds: float = 0
    stamp: int | None = None
    comment_id: int | None = None


@dataclass(eq=False)
class PendingAdd:
    """An add waiting in its process's batch for its thread (AddBatches): what it stores, and
    once the batch is sent, its outcome (the answer, or the exception to raise)."""

    thread: str
    parent: int | None
    author: str
    text: str
    created: datetime
    status: str
    keyed: KeyedAdd | None
    contact: Contact | None
    queued: float = field(default_factory=time.monotonic)
    done: bool = False
    answer: tuple[dict, Snapshot] | None = None
    error: BaseException | None = None

    def settle(self, answer: tuple[dict, Snapshot] | None = None, error: BaseException | None = None) -> None:
        self.answer, self.error, self.done = answer, error, True


class AddBatches:
    """Group commit of one process's adds, thread by thread.

    An add to a thread none of this process's adds is being sent to is sent at once. The
    adds arriving while one is being sent wait, and go together as the next batch, sent by
    the first of them to wake, in one transaction: one version row lock, one WAL flush, for
    all of them, where each would otherwise take the lock in turn across its own flush.
    Every waiter gets its own outcome. Greenlets under gevent, threads otherwise: the lock
    and its condition are the patched ones under gevent.
    """

    def __init__(self, interrupted: Callable[[], Exception]) -> None:
        """interrupted makes the failure of an add whose batch's sender was stopped mid-way."""
        self._interrupted = interrupted
        self._changed = threading.Condition()
        self._waiting: dict[str, list[PendingAdd]] = {}
        self._sending: set[str] = set()

    def submit(self, item: PendingAdd, send: Callable[[list[PendingAdd]], None]) -> tuple[dict, Snapshot]:
        """Return item's answer once a batch holding it is committed (sent by this caller or
        another); raise its refusal or the batch's failure."""
        thread = item.thread
        with self._changed:
            self._waiting.setdefault(thread, []).append(item)
        while True:
            with self._changed:
                while not item.done and thread in self._sending:
                    self._changed.wait()
                if item.done:
                    break
                waiting = self._waiting[thread]
                batch = waiting[:BATCH_MOST]
                del waiting[:BATCH_MOST]
                if not waiting:
                    del self._waiting[thread]
                self._sending.add(thread)
            try:
                send(batch)
            except BaseException as error:  # a bug, or this greenlet killed: the batch's outcome
                for pending in batch:
                    if not pending.done:
                        # Its own exception is this caller's alone (a greenlet's Timeout).
                        mine = isinstance(error, Exception) or pending is item
                        pending.settle(error=error if mine else self._interrupted())
                raise
            finally:
                with self._changed:
                    self._sending.discard(thread)
                    self._changed.notify_all()
        if item.error is not None:
            raise item.error
        assert item.answer is not None
        return item.answer


def one_add(item: PendingAdd) -> tuple[str, tuple]:
    """Return the query and parameters of an add sent alone."""
    params = (item.thread, item.parent, item.author, item.text, item.created, item.status)
    keyed, contact = item.keyed, item.contact
    if keyed is not None:
        params += (keyed.key, keyed.share, keyed.window, keyed.keep_seconds, keyed.stamp)
    query = ADD if keyed is None else ADD_KEYED
    if contact is not None:
        query = ADD_CONTACT if keyed is None else ADD_KEYED_CONTACT
        params += (contact.email, contact.replies)
    return query, (*params, item.thread)


def many_adds(batch: list[PendingAdd]) -> tuple[str, tuple]:
    """Return the query and parameters of a batch of adds to one thread: an array a field."""
    keys = [item.keyed for item in batch]
    contacts = [item.contact for item in batch]
    thread = batch[0].thread
    columns = (
        [item.parent for item in batch],
        [item.author for item in batch],
        [item.text for item in batch],
        [item.created for item in batch],
        [item.status for item in batch],
        [None if k is None else k.key for k in keys],
        [None if k is None else k.share for k in keys],
        [None if k is None else k.window for k in keys],
        [None if k is None else k.keep_seconds for k in keys],
        [None if k is None else k.stamp for k in keys],
        [None if c is None else c.email for c in contacts],
        [None if c is None else c.replies for c in contacts],
    )
    return ADD_MANY, (thread, *columns, thread)
