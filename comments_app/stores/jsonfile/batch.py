"""A batch of changes to one thread's file: what the group commit writes as one version.

The changes queued while a write waited (new comments, edits, deletions, an import)
are made in their order to the version on disk, under the thread's lock: a new
comment's parent is checked after the changes queued before it, a closed thread
refuses it, and the new comments' ids are given out (ids.py) before the file is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from ...model.comment import PUBLISHED, changed, is_deleted, is_public, new_comment, tombstone
from ..contract import CommentNotFound, ParentRefused, Snapshot, ThreadClosed
from ..layout import append_encoded, encode_comment, encode_list, is_public_line, parent_of
from ..outbox import Event, events_for
from ..private import Contact
from .ids import Ids
from .version import Version


class Pending:
    """A change waiting to be written (add, update or delete), and then what became of it."""

    def __init__(self, kind: str, **details) -> None:
        self.kind = kind
        self.details = details
        self.finished = False
        self.record: dict = {}
        # An edit's or a deletion's record before it: its events compare the two.
        self.before: dict | None = None
        self.snapshot: Snapshot | None = None
        self.error: Exception | None = None
        # The author's contact, kept privately (sidefile.py), never in the record.
        self.contact: Contact | None = None
        # The request's (scoped) Idempotency-Key and its Comment-Token's stamp, kept with
        # the comment in the side file (idempotency.py).
        self.key: tuple[str, int | None] | None = None

    def finish(self, snapshot: Snapshot | None = None, error: Exception | None = None) -> None:
        self.snapshot = snapshot
        self.error = error
        self.finished = True


def written_ids(batch: list[Pending]) -> list[int]:
    """Return the ids of the comments a batch added, changed, deleted or imported, for the journal."""
    ids: list[int] = []
    for pending in batch:
        if pending.finished or not pending.record:
            continue  # refused (no such comment)
        if pending.kind == "import":
            ids.extend(pending.details.get("imported", []))
        else:
            ids.append(pending.record["id"])
    return ids


@dataclass
class SideWrite:
    """What a batch writes to the side file (sidefile.py) with its version: the outbox's
    events, the new comments' contacts, the deleted comments' contacts to forget, and
    the new comments' Idempotency-Keys ({key: (comment id, stamp)})."""

    events: list[Event] = field(default_factory=list)
    contacts: dict[int, Contact] = field(default_factory=dict)
    forgotten: list[int] = field(default_factory=list)
    keys: dict[str, tuple[int, int | None]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.events or self.contacts or self.forgotten or self.keys)


def side_write(batch: list[Pending], thread: str, notifies: bool) -> SideWrite:
    """Return what a batch's stored changes put in the side file, in their order; events
    only when notifies (someone listens)."""
    side = SideWrite()
    for pending in batch:
        if pending.finished or not pending.record or pending.kind == "import":
            continue
        if notifies:
            side.events.extend(events_for(pending.kind, pending.before, pending.record, thread))
        if pending.kind == "add":
            if pending.contact is not None:
                side.contacts[pending.record["id"]] = pending.contact
            if pending.key is not None:
                key, stamp = pending.key
                side.keys[key] = (pending.record["id"], stamp)
        elif pending.kind == "delete":
            side.forgotten.append(pending.record["id"])
    return side


def apply(
    version: Version, batch: list[Pending], thread: str, tag: str, allocator: Ids, closed: Callable[[], bool]
) -> tuple[bytes, int, bool] | None:
    """Make the batch's changes to version; return (the new body, last id, whether
    every comment is published), or None when nothing changes. A refused change
    (a missing comment, a closed thread, a parent not shown) finishes with its error."""
    refuse(version, batch, thread, closed)
    adds = [pending for pending in batch if pending.kind == "add" and not pending.finished]
    # Given out (and fsynced) before the file is written: never given twice.
    ids = allocator.allocate(len(adds), tag, version.last_id) if adds else []
    for pending, comment_id in zip(adds, ids, strict=True):
        pending.record = new_comment(comment_id, thread=thread, **pending.details)
    last = max(version.last_id, *ids) if ids else version.last_id
    live = [pending for pending in batch if not pending.finished]
    if version.appendable and all(pending.kind == "add" for pending in live):
        if not adds:
            return None
        # The common case, and the cheap one: append without splitting the file.
        added = [encode_comment(pending.record) for pending in adds]
        public = version.all_public and all(map(is_public_line, added))
        return append_encoded(version.body, added), last, public
    # A file we did not write (a tutorial's, or edited by hand) is rewritten
    # once in our layout; later writes append.
    lines = list(version.lines)
    positions = dict(version.positions)
    changes = not version.appendable
    for pending in live:
        if pending.kind == "add":
            positions[pending.record["id"]] = len(lines)
            lines.append(encode_comment(pending.record))
            changes = True
            continue
        if pending.kind == "import":
            records = pending.details["records"]
            fresh = [record for record in records if record["id"] not in positions]
            # An id another thread holds is there already.
            kept = set(allocator.claim([record["id"] for record in fresh], tag))
            fresh = [record for record in fresh if record["id"] in kept]
            pending.record = {"added": len(fresh), "present": len(records) - len(fresh)}
            pending.details["imported"] = [record["id"] for record in fresh]
            if fresh:
                lines, positions = merged(lines, positions, fresh)
                last = max(last, *(record["id"] for record in fresh))
                changes = True
            continue
        comment_id = pending.details["comment_id"]
        position = positions.get(comment_id)
        record = None if position is None else json.loads(lines[position])
        if record is None or is_deleted(record):
            pending.finish(error=CommentNotFound(comment_id))
            continue
        pending.before = record
        if pending.kind == "delete":
            replied = any(parent_of(line) == comment_id for line in lines)
            pending.record = tombstone(comment_id, record=record, replied=replied)
        else:
            pending.record = changed(record, pending.details["changes"])
        lines[position] = encode_comment(pending.record)
        changes = True
    if not changes:
        return None
    return encode_list(lines), last, all(map(is_public_line, lines))


def refuse(version: Version, batch: list[Pending], thread: str, closed: Callable[[], bool]) -> None:
    """Refuse the new comments of a closed thread, and the replies to a comment not
    published when their turn comes (the changes queued before them included)."""
    if not any(pending.kind == "add" for pending in batch):
        return
    closed = closed()
    published: dict[int, bool] = {}
    deleted: set[int] = set()

    def shown(comment_id: int) -> bool:
        if comment_id not in published:
            record = version.record(comment_id)
            published[comment_id] = record is not None and is_public(record)
        return published[comment_id]

    for pending in batch:
        if pending.finished:
            continue
        if pending.kind == "add":
            parent = pending.details["parent"]
            if closed:
                pending.finish(error=ThreadClosed(thread))
            elif parent is not None and not shown(parent):
                pending.finish(error=ParentRefused("parent is not a published comment of this thread"))
        elif pending.kind == "delete":
            published[pending.details["comment_id"]] = False
            deleted.add(pending.details["comment_id"])
        elif pending.kind == "update" and "status" in pending.details["changes"]:
            comment_id = pending.details["comment_id"]
            record = version.record(comment_id)
            if record is not None and not is_deleted(record) and comment_id not in deleted:
                published[comment_id] = pending.details["changes"]["status"] == PUBLISHED


def merged(lines: list[bytes], positions: dict[int, int], fresh: list[dict]) -> tuple[list, dict]:
    """Return the lines with the fresh records added, in id order, and their new positions."""
    id_at = {position: comment_id for comment_id, position in positions.items()}
    keyed = [(id_at.get(position), line) for position, line in enumerate(lines)]
    keyed += [(record["id"], encode_comment(record)) for record in fresh]
    # Stable: a record without an integer id (a hand-edited file) keeps its place
    # before those that have one.
    keyed.sort(key=lambda pair: -1 if pair[0] is None else pair[0])
    return (
        [line for _, line in keyed],
        {comment_id: n for n, (comment_id, _) in enumerate(keyed) if comment_id is not None},
    )
