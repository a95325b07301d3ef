"""A comment as the service keeps it: its statuses, the shapes of its record, its views.

Nothing here imports Flask or a store: the stores keep these records, the web layer
shows their views, and both ask this module what a status or a record means.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from .threads import DEFAULT

# Every status a comment can have, in one place: a new one is one more name here.
# Only published comments are public; comments without a status (a tutorial's
# file) are published. "spam" is what the spam signals (spam.py) give a bot's comment.
STATUSES = ("published", "hidden", "pending", "spam")
PUBLISHED = "published"
HIDDEN = "hidden"
PENDING = "pending"
SPAM = "spam"
# The fields an edit may change; an author's edit also stamps "edited".
EDITABLE = ("author", "text")
# The largest id either store can hold (PostgreSQL's bigint).
MAX_ID = 2**63 - 1
# What a tombstone keeps of a comment's place in a conversation.
CONVERSATION = ("created", "thread", "parent")


def now_ms() -> datetime:
    """Return the time in UTC to the millisecond, the precision comments are stamped with."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def stamp(moment: datetime | None = None) -> str:
    """Return a time as comments carry it: ISO 8601 in UTC to the millisecond."""
    return (moment or now_ms()).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_comment(
    comment_id: int,
    author: str,
    text: str,
    created: datetime | None = None,
    status: str = PUBLISHED,
    thread: str = DEFAULT,
    parent: int | None = None,
) -> dict:
    """Return a comment as it is stored, stamped with the time in UTC.

    A comment of a named thread carries its thread and its parent (None when it answers
    nobody); one of the default thread carries a parent only when it is a reply, so that
    every comment there keeps the shape it had before threads.
    """
    check_status(status)
    record = {"id": comment_id, "author": author, "text": text, "created": stamp(created), "status": status}
    if thread != DEFAULT:
        record.update(thread=thread, parent=parent)
    elif parent is not None:
        record["parent"] = parent
    return normalize(record)


def check_status(status: object) -> None:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")


# What a store keeps, one record per comment:
#   published  {"id": 1, "author": …, "text": …, "created": …, "edited": …}   (no status: as served)
#   any other  {"status": "hidden", "id": 2, "author": …, …}
#   deleted    {"deleted": "<when>", "id": 3}                                  (a tombstone)
# A comment of a named thread also carries "thread" and "parent", a reply "parent";
# a tombstone keeps them (and "created" when the comment had replies: its place in the
# conversation stays, shown as removed; see placeholder).
# Only published records start with {"id":, so a store can tell them apart by
# their first bytes without parsing (see is_public_line).


def status_of(record: Mapping) -> object:
    return record.get("status", PUBLISHED)


def is_deleted(record: Mapping) -> bool:
    return "deleted" in record


def is_public(record: Mapping) -> bool:
    return not is_deleted(record) and status_of(record) == PUBLISHED


def normalize(record: Mapping) -> dict:
    """Return a record in the key order stores write (see above)."""
    if is_deleted(record):
        kept = {key: record[key] for key in CONVERSATION if key in record}
        return {"deleted": record["deleted"], "id": record.get("id"), **kept}
    status = status_of(record)
    rest = {key: value for key, value in record.items() if key not in ("id", "status")}
    if status == PUBLISHED:
        return {"id": record.get("id"), **rest}
    return {"status": status, "id": record.get("id"), **rest}


def public_view(record: Mapping) -> dict:
    """Return a published comment as everyone sees it: without its status."""
    return {key: value for key, value in record.items() if key != "status"}


def full_view(record: Mapping) -> dict:
    """Return a comment as its author and moderators see it: with its status."""
    return {**public_view(record), "status": status_of(record)}


def changed(record: Mapping, changes: Mapping[str, str], moment: datetime | None = None) -> dict:
    """Return the record with the changes made; an edit of author or text stamps "edited"."""
    check_changes(changes)
    result = {**record, **changes}
    if any(field in changes for field in EDITABLE):
        result["edited"] = stamp(moment)
    return normalize(result)


def check_changes(changes: Mapping[str, str]) -> None:
    """Refuse a change that is empty, names another field or an unknown status."""
    unknown = set(changes) - {*EDITABLE, "status"}
    if unknown or not changes:
        raise ValueError(f"cannot change {', '.join(sorted(unknown)) or 'nothing'}")
    if "status" in changes:
        check_status(changes["status"])


def tombstone(
    comment_id: int, moment: datetime | None = None, record: Mapping | None = None, replied: bool = False
) -> dict:
    """Return what is left of a deleted comment: its id, so that it is never reused, its
    thread and parent, and when it had replies its time, for its place among them."""
    stone = {"deleted": stamp(moment), "id": comment_id}
    for key in CONVERSATION:
        if record is not None and key in record and (key != "created" or replied):
            stone[key] = record[key]
    return stone


def placeholder(record: Mapping) -> dict:
    """Return a removed comment as it is shown while replies to it are: its place, no words."""
    shown = {"id": record["id"], "parent": record.get("parent"), "removed": True}
    if "created" in record:
        shown["created"] = record["created"]
    return shown
