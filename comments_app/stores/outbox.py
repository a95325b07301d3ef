"""The outbox capability: the notifications a change owes, kept in the change's own write.

Every change that notifies (a comment published, held as pending, edited, hidden,
deleted) puts its events into the store's outbox in the same write as the change: the
file store's write (jsonfile/outbox.py) or the PostgreSQL transaction (postgres/outbox.py).
So a process killed right after its answer loses no notification, and a change that was
not stored notifies nobody. A sender (jobs/notifications.py) takes the due items, tries
to deliver each, and tells the outbox how it went: delivered items go; a failed try is
tried again after a wait that doubles (the first after about 2 s, at most an hour),
for up to 24 hours; then the item is kept as failed, for the operator to see.

Each item has a stable id, made when it is written: a receiver drops repeats by it
(delivery is at least once). Nothing here imports Flask.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from ..model.comment import HIDDEN, PENDING, PUBLISHED, is_deleted, status_of

# The events, as webhooks name them.
STATUS_EVENTS = {PUBLISHED: "comment.published", PENDING: "comment.pending", HIDDEN: "comment.hidden"}
EDITED = "comment.edited"
DELETED = "comment.deleted"
EVENTS = (*STATUS_EVENTS.values(), EDITED, DELETED)

# Retries: the first after FIRST_RETRY seconds, each wait twice the last, at most
# LONGEST_WAIT; an item still undelivered GIVE_UP seconds after it was written is failed.
FIRST_RETRY = 2.0
LONGEST_WAIT = 3600.0
GIVE_UP = 24 * 3600.0
# How much of a failure's reason an item keeps.
ERROR_CHARS = 300


@dataclass(frozen=True)
class Event:
    """One notification a change owes: what happened, to which comment (its moderation view)."""

    type: str
    comment: dict
    thread: str
    # A new comment's event, not a later change's (moderators hear of new comments).
    fresh: bool = False
    id: str = field(default_factory=lambda: new_id())


@dataclass(frozen=True)
class Item:
    """An event in the outbox, and how its delivery goes."""

    id: str
    type: str
    comment: dict
    thread: str
    created: float
    attempts: int = 0
    next_at: float = 0.0
    failed: float | None = None
    error: str | None = None
    # A new comment's event, not a later change's.
    fresh: bool = False
    # The destinations that have it already: a retry goes to the others only.
    done: tuple[str, ...] = ()

    @property
    def reply_to(self) -> int | None:
        """The comment this one answers, when it is a reply (email tells its author)."""
        return self.comment.get("parent")


def new_id() -> str:
    """Return a new item's id: unique, stable across retries, as Standard Webhooks shows them."""
    return "msg_" + secrets.token_hex(16)


def events_for(kind: str, before: Mapping | None, after: Mapping, thread: str) -> list[Event]:
    """Return the events a change owes: kind is add, update or delete; before and after
    are the comment's records (before None for a new one). Spam notifies nobody."""
    if kind == "delete":
        return [Event(DELETED, tombstone_view(after), thread)]
    if is_deleted(after):
        return []
    view = moderation_view(after)
    status = status_of(after)
    if before is None:
        # A new comment is published or held for approval; one stored hidden or as spam tells nobody.
        if status not in (PUBLISHED, PENDING):
            return []
        return [Event(STATUS_EVENTS[status], view, thread, fresh=True)]
    found = []
    if status != status_of(before) and status in STATUS_EVENTS:
        found.append(Event(STATUS_EVENTS[status], view, thread))
    if any(after.get(name) != before.get(name) for name in ("author", "text")):
        found.append(Event(EDITED, view, thread))
    return found


def moderation_view(record: Mapping) -> dict:
    """Return a comment as the moderation API shows it: with its status."""
    return {**{key: value for key, value in record.items() if key != "status"}, "status": status_of(record)}


def tombstone_view(record: Mapping) -> dict:
    """Return what is left of a deleted comment: its id, its place, when it went."""
    return {key: value for key, value in record.items() if key in ("id", "deleted", "thread", "parent")}


def retry_at(item: Item, now: float, first: float = FIRST_RETRY) -> float | None:
    """Return when to try a failed item again (its attempts counting this one), or None
    when it has been tried for GIVE_UP seconds: then it is kept as failed."""
    wait = min(first * 2 ** max(0, item.attempts - 1), LONGEST_WAIT)
    if now + wait - item.created > GIVE_UP:
        return None
    return now + wait


@runtime_checkable
class Outbox(Protocol):
    """The notifications a store owes, written with its changes, read by one sender."""

    def due(self, now: float, limit: int) -> list[Item]:
        """Return up to limit items whose changes are stored and whose time has come, oldest first."""

    def next_due(self) -> float | None:
        """Return when the earliest undelivered item is due (a time.time()), None when none is."""

    def delivered(self, item_id: str) -> None:
        """Forget an item: it was delivered."""

    def retry(
        self, item_id: str, attempts: int, next_at: float, error: str, done: tuple[str, ...] = ()
    ) -> None:
        """Note a failed try: try again at next_at, with the destinations not in done."""

    def fail(self, item_id: str, attempts: int, error: str, now: float, done: tuple[str, ...] = ()) -> None:
        """Keep an item as failed: it was tried for GIVE_UP seconds."""

    def listing(self) -> list[Item]:
        """Return every item not delivered, pending and failed, oldest first (for the operator)."""

    def oldest(self) -> float | None:
        """Return when the oldest pending item was written, None when none is."""

    def counts(self) -> tuple[int, int]:
        """Return how many items are pending and how many failed."""

    def sender(self) -> SenderLock:
        """Return the lock that elects the one sender of the instance (or of every instance)."""


class SenderLock(Protocol):
    """Held by the one sender: acquire() never waits; release() lets another take over."""

    def acquire(self) -> bool: ...

    def release(self) -> None: ...
