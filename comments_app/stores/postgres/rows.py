"""Rows of the comments table as the records model/comment.py shapes (the file store's)."""

from __future__ import annotations

from datetime import UTC, datetime

from ...model.comment import PUBLISHED, normalize

# Times as comments carry them: ISO 8601 in UTC to the millisecond, made by the server
# (cheaper to parse as text than as timestamps, for a whole thread's rows).
CREATED = """to_char(c.created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""
EDITED = """to_char(c.edited AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""
DELETED = """to_char(c.deleted AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""
# What record() takes, in its order; "c" is the comments table.
COLUMNS = f"c.id, c.author, c.text, {CREATED}, {EDITED}, c.status, {DELETED}, c.thread, c.parent"
# Whether a comment has replies: a removed one then keeps its place (and its time).
REPLIED = "EXISTS (SELECT 1 FROM comments r WHERE r.parent = c.id)"
PUBLIC = "c.status = 'published' AND c.deleted IS NULL"


def record(
    comment_id: int,
    author: str,
    text: str,
    created: str | None,
    edited: str | None,
    status: str,
    deleted: str | None,
    thread: str,
    parent: int | None,
    replied: bool = False,
) -> dict:
    """Return a row as the record the file store would keep (model/comment.py's shapes)."""
    # A named thread's records carry both; the default thread's a parent, for a reply.
    conversation = {"thread": thread, "parent": parent} if thread else {}
    if not thread and parent is not None:
        conversation["parent"] = parent
    if deleted is not None:
        # As tombstone() leaves it: the time only while replies keep its place.
        kept = {"created": created} if replied and created is not None else {}
        return {"deleted": deleted, "id": comment_id, **kept, **conversation}
    comment = {"id": comment_id, "author": author, "text": text}
    if created is not None:
        comment["created"] = created
    comment.update(conversation)
    if edited is not None:
        comment["edited"] = edited
    if status != PUBLISHED:
        comment["status"] = status
        return normalize(comment)
    return comment


def is_public_row(row: tuple) -> bool:
    return row[5] == PUBLISHED and row[6] is None


def parse_time(value: object) -> datetime | None:
    """Parse an imported comment's ISO-8601 time; None when it has none."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"created must be an ISO-8601 string, not {value!r}")
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
