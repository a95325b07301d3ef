"""What every comment store shares: the contract, the snapshot and the encoding.

Nothing here imports Flask: a store takes plain values and returns plain values,
so it can be tested and benchmarked on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class StoreError(Exception):
    """The store cannot answer now.

    str(error) says why for anyone, HTTP clients included: no path, host or other
    internal detail. error.detail says it all, for the log and the operator's commands.
    """

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail or message


class CommentNotFound(LookupError):
    """No comment has this id: there never was one, or it was deleted."""

    def __init__(self, comment_id: int) -> None:
        super().__init__(f"there is no comment with id {comment_id}")
        self.comment_id = comment_id


# Every status a comment can have, in one place: a new one is one more name here.
# Only published comments are public; comments without a status (a tutorial's
# file) are published. "spam" is what the spam signals (spam.py) give a bot's comment.
STATUSES = ("published", "hidden", "pending", "spam")
PUBLISHED = "published"
PENDING = "pending"
# The fields an edit may change; an author's edit also stamps "edited".
EDITABLE = ("author", "text")


@dataclass(frozen=True)
class Snapshot:
    """One version of the list: its ETag and its JSON bytes, ready to send."""

    etag: str
    body: bytes


class Store(Protocol):
    """What the blueprints need from a store, whichever one it is."""

    def etag(self) -> str:
        """Return the current version's ETag without reading the list."""

    def snapshot(self) -> Snapshot:
        """Return the current list as JSON bytes, with its ETag."""

    def add(self, author: str, text: str, status: str = PUBLISHED) -> tuple[dict, Snapshot]:
        """Store a new comment; return it (with its status) and the public list."""

    def update(self, comment_id: int, changes: Mapping[str, str]) -> tuple[dict, Snapshot]:
        """Change a comment's author, text or status; return it and the public list.

        Raise CommentNotFound when there is no such comment or it was deleted.
        """

    def delete(self, comment_id: int) -> Snapshot:
        """Replace a comment by a tombstone that keeps only its id; return the public list."""

    def get(self, comment_id: int) -> dict | None:
        """Return one published comment as the public sees it, or None."""

    def moderation(self, status: str | None = None) -> list[dict]:
        """Return every comment not deleted, oldest first, each with its status."""

    def secret_key(self) -> bytes:
        """Return the key that signs this instance's tokens, the same in every worker."""

    def export_records(self) -> list[dict]:
        """Return every record, tombstones included, from one consistent version (see backup.py)."""

    def import_records(self, records: list[dict]) -> tuple[int, int]:
        """Add the checked records whose ids are new, at once; return (added, already there)."""

    kind: str
    """What /healthz calls the store: "file" or "postgresql"."""

    def write_problem(self) -> str | None:
        """Say, for anyone, why a write would fail now, or None; cheaply, writing nothing."""

    def close(self) -> None:
        """Release what the store holds open."""


def now_ms() -> datetime:
    """Return the time in UTC to the millisecond, the precision comments are stamped with."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def stamp(moment: datetime | None = None) -> str:
    """Return a time as comments carry it: ISO 8601 in UTC to the millisecond."""
    return (moment or now_ms()).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_comment(
    comment_id: int, author: str, text: str, created: datetime | None = None, status: str = PUBLISHED
) -> dict:
    """Return a comment as it is stored, stamped with the time in UTC."""
    check_status(status)
    return normalize(
        {"id": comment_id, "author": author, "text": text, "created": stamp(created), "status": status}
    )


def check_status(status: object) -> None:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")


# What a store keeps, one record per comment:
#   published  {"id": 1, "author": …, "text": …, "created": …, "edited": …}   (no status: as served)
#   any other  {"status": "hidden", "id": 2, "author": …, …}
#   deleted    {"deleted": "<when>", "id": 3}                                  (a tombstone)
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
        return {"deleted": record["deleted"], "id": record.get("id")}
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


def tombstone(comment_id: int, moment: datetime | None = None) -> dict:
    """Return what is left of a deleted comment: its id, so that it is never reused."""
    return {"deleted": stamp(moment), "id": comment_id}


def encode_comment(comment: Mapping) -> bytes:
    return json.dumps(comment, ensure_ascii=False).encode()


def is_public_line(line: bytes) -> bool:
    """Tell a published record from the others by its first bytes (see normalize)."""
    return line.startswith(b'{"id": ')


def encode_list(lines: Iterable[bytes]) -> bytes:
    """Join encoded comments into the layout every store writes: one comment a line."""
    joined = b",\n".join(lines)
    return b"[\n" + joined + b"\n]\n" if joined else b"[]\n"


def append_encoded(body: bytes, lines: Sequence[bytes]) -> bytes:
    """Add encoded comments to a list in encode_list's layout, without parsing it."""
    if not lines:
        return body
    joined = b",\n".join(lines)
    if body == b"[]\n":
        return b"[\n" + joined + b"\n]\n"
    return body[: -len(b"\n]\n")] + b",\n" + joined + b"\n]\n"


def parse_list(body: bytes) -> list[dict]:
    """Parse a comments file; raise ValueError saying, for a person, what is wrong."""
    try:
        items = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise ValueError(
            f"not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from None
    if not isinstance(items, list):
        raise ValueError(f"not a JSON array but a {type(items).__name__}")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"item {index} is not an object")
    return items


def last_id(items: Iterable[dict]) -> int:
    """Return the largest integer id, so new ids stay above every existing one."""
    ids = [item["id"] for item in items if type(item.get("id")) is int]
    return max(ids, default=0)
