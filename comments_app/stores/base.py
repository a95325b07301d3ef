"""What every comment store shares: the contract, the snapshot and the encoding.

Nothing here imports Flask: a store takes plain values and returns plain values,
so it can be tested and benchmarked on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class StoreError(Exception):
    """The store cannot answer now; the message says why, for a person."""


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

    def add(self, author: str, text: str) -> tuple[dict, Snapshot]:
        """Store a new comment; return it and the list that now holds it."""

    def get(self, comment_id: int) -> dict | None:
        """Return one comment, or None."""

    def close(self) -> None:
        """Release what the store holds open."""


def now_ms() -> datetime:
    """Return the time in UTC to the millisecond, the precision comments are stamped with."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def new_comment(comment_id: int, author: str, text: str, created: datetime | None = None) -> dict:
    """Return a comment as it is stored and served, stamped with the time in UTC."""
    stamp = (created or now_ms()).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"id": comment_id, "author": author, "text": text, "created": stamp}


def encode_comment(comment: dict) -> bytes:
    return json.dumps(comment, ensure_ascii=False).encode()


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
