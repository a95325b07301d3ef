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
from ..model.threads import DEFAULT

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


class ParentRefused(ValueError):
    """A reply to a comment that is not a published comment of the same thread."""


class ThreadClosed(PermissionError):
    """A new comment in a thread the moderators closed."""

    def __init__(self, thread: str) -> None:
        super().__init__("this thread is closed: it takes no new comments")
        self.thread = thread


class CommentNotFound(LookupError):
    """No comment has this id: there never was one, or it was deleted."""

    def __init__(self, comment_id: int) -> None:
        super().__init__(f"there is no comment with id {comment_id}")
        self.comment_id = comment_id


@dataclass(frozen=True)
class ThreadInfo:
    """What anyone may know of a thread: whether it is closed, how many comments it has."""

    thread: str
    closed: bool
    count: int


@dataclass(frozen=True)
class Counts:
    """Published comments per thread, and a version that changes when any of them does."""

    etag: str
    counts: dict[str, int]


@dataclass(frozen=True)
class Snapshot:
    """One version of the list: its ETag and its JSON bytes, ready to send."""

    etag: str
    body: bytes


class Store(Protocol):
    """What the blueprints need from a store, whichever one it is.

    Lists, pages, changes and versions are per thread (model/threads.py; DEFAULT when a
    request names none): a write in one thread changes no other thread's version. Ids
    are global: the routes of one comment name it by id alone, whatever its thread.
    """

    def etag(self, thread: str = DEFAULT) -> str:
        """Return the thread's current version's ETag without reading the list."""

    def snapshot(self, thread: str = DEFAULT) -> Snapshot:
        """Return what the thread shows (feed.visible) as JSON bytes, with its ETag."""

    def page(self, limit: int, before: int | None = None, thread: str = DEFAULT) -> Page:
        """Return the newest limit top-level comments below before, with their replies (feed.py)."""

    def changes(self, since: str, thread: str = DEFAULT) -> Changes:
        """Return what changed in the thread since a version (feed.py); raise VersionUnknown
        (a version of another thread or store included) or VersionGone."""

    def add(
        self,
        author: str,
        text: str,
        status: str = PUBLISHED,
        thread: str = DEFAULT,
        parent: int | None = None,
    ) -> tuple[dict, Snapshot]:
        """Store a new comment; return it (with its status) and its thread's list.

        Raise ParentRefused when parent is not a published comment of the same thread,
        ThreadClosed when the thread is closed: both checked in the write itself.
        """

    def update(self, comment_id: int, changes: Mapping[str, str]) -> tuple[dict, Snapshot]:
        """Change a comment's author, text or status; return it and its thread's list.

        Raise CommentNotFound when there is no such comment or it was deleted.
        """

    def delete(self, comment_id: int) -> Snapshot:
        """Replace a comment by a tombstone (model/comment.py); return its thread's list."""

    def get(self, comment_id: int) -> dict | None:
        """Return one published comment as the public sees it, or None."""

    def record(self, comment_id: int) -> dict | None:
        """Return one comment not deleted, whatever its status, with its status; or None."""

    def moderation(self, status: str | None = None, thread: str | None = None) -> list[dict]:
        """Return every comment not deleted (of one thread when named), oldest first, with its status."""

    def counts(self, threads: list[str]) -> Counts:
        """Return the published comments of each thread named, replies included, at a cost
        in proportion to the threads named, not to the store."""

    def counts_signature(self, threads: list[str]) -> tuple | None:
        """Return what changes whenever any of the threads' counts may (their files'
        signatures, their versions), cheaply and reading no thread; None when unknown."""

    def change_signature(self, thread: str) -> tuple | None:
        """Return what changes whenever the thread may have changed, cheaply and reading no
        thread (a stat; what a listener heard); None when there is no such cheap sign."""

    def site_signature(self) -> tuple | None:
        """Return what changes whenever any thread may have changed, as cheaply (one or two
        stats; a counter the listener keeps); None when it cannot vouch for that now."""

    def latest(self, limit: int) -> list[dict]:
        """Return the newest limit published comments of every thread, newest first."""

    def thread_info(self, thread: str) -> ThreadInfo:
        """Return whether a thread is closed, and its count (a thread never written is open, 0)."""

    def close_thread(self, thread: str, closed: bool) -> ThreadInfo:
        """Close a thread to new comments, or open it again; durable as a comment is."""

    def secret_key(self) -> bytes:
        """Return the key that signs this instance's tokens, the same in every worker."""

    def export_records(self) -> list[dict]:
        """Return every record, tombstones included, each with its thread and parent, holding
        every change acknowledged before the call (see backup.py)."""

    def closed_threads(self) -> list[str]:
        """Return the threads closed now, for a backup."""

    def import_records(self, records: list[dict]) -> tuple[int, int]:
        """Add the checked records whose ids are new, at once; return (added, already there)."""

    kind: str
    """What /healthz calls the store: "file" or "postgresql"."""

    def write_problem(self) -> str | None:
        """Say, for anyone, why a write would fail now, or None; cheaply, writing nothing."""

    def close(self) -> None:
        """Release what the store holds open."""
