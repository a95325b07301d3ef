"""The contract every comment store keeps: what the web layer may ask of a store.

A store takes plain values and returns plain values (records as model/comment.py shapes
them, lists as layout.py encodes them); nothing here imports Flask, so a store can be
tested and benchmarked on its own. Optional capabilities are protocols of their own
(idempotency.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..model.comment import PUBLISHED

if TYPE_CHECKING:
    from .feed import Changes, Page


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

    def page(self, limit: int, before: int | None = None) -> Page:
        """Return the newest limit published comments with ids below before (feed.py)."""

    def changes(self, since: str) -> Changes:
        """Return what changed since a version (feed.py); raise VersionUnknown or VersionGone."""

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

    def record(self, comment_id: int) -> dict | None:
        """Return one comment not deleted, whatever its status, with its status; or None."""

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
