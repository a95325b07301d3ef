"""Pages of the list and changes since a version: what both stores share.

What a thread shows is its published comments and, in the place of a removed comment
that published replies still answer, a placeholder without author or text (visible).
A page is the newest N top-level comments older than a cursor (a comment id), each
with every reply under it, oldest first: a conversation is never split across pages.
A changes answer names the comments published, edited or
republished since a version and the ids that are no longer public, at most
MAX_CHANGES of them: a version further behind is answered as one the store no
longer remembers (the client loads its page again), not with the whole list.
Nothing here imports Flask.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from ..model.comment import placeholder
from ..model.versions import VersionGone, changes_etag, page_etag
from .layout import REMOVED, encode_comment, encode_list, is_public_line, line_id, parent_of

# The most comments one changes answer names (changed and removed ones together): as many
# as the largest page (?limit=500), so that a changes answer costs no more than a page.
# Further behind, reloading a page is cheaper for both sides than being sent the changes
# (?since=0-0 would otherwise be the whole list, made and compressed anew per version).
MAX_CHANGES = 500


class TooFarBehind(VersionGone):
    """A since value with more changes after it than one answer holds: the client reloads."""

    def __init__(self) -> None:
        super().__init__(f"more than {MAX_CHANGES} comments changed since that version")


@dataclass(frozen=True)
class Page:
    """The newest comments older than a cursor, as JSON bytes, and the next cursor."""

    etag: str
    body: bytes
    next: int | None
    version: str


@dataclass(frozen=True)
class Changes:
    """What changed since a version, as JSON bytes ready to send."""

    etag: str
    body: bytes
    empty: bool
    version: str


class PublicLines:
    """What one version of a thread shows (see visible), encoded, oldest first, for paging."""

    def __init__(self, lines: Sequence[bytes]) -> None:
        self.lines = lines

    @cached_property
    def ids(self) -> list[int]:
        # Computed once per version, when a page older than the first is asked for.
        return [line_id(line) for line in self.lines]

    @cached_property
    def positions(self) -> dict[int, int]:
        return {comment_id: number for number, comment_id in enumerate(self.ids)}

    @cached_property
    def roots(self) -> list[int] | None:
        """The id of each line's top-level comment, or None when no line is a reply."""
        if not any(parent_of(line) is not None for line in self.lines):
            return None
        roots: dict[int, int] = {}
        for comment_id, line in zip(self.ids, self.lines, strict=True):
            parent = parent_of(line)
            # A parent comes before its replies (it existed first), and is shown while
            # they are (visible): its root is known.
            roots[comment_id] = roots.get(parent, comment_id) if parent is not None else comment_id
        return [roots[comment_id] for comment_id in self.ids]

    @cached_property
    def published(self) -> int:
        """How many comments are published, placeholders left out."""
        return sum(1 for line in self.lines if REMOVED not in line or not _is_removed(line))

    def line(self, comment_id: int) -> bytes | None:
        position = self.positions.get(comment_id)
        return None if position is None else self.lines[position]

    def page(self, limit: int, before: int | None) -> tuple[list[bytes], int | None]:
        """Return the newest limit top-level comments with ids below before, each with its
        replies, and the next cursor."""
        roots = self.roots
        if roots is None:
            end = len(self.lines) if before is None else bisect.bisect_left(self.ids, before)
            start = max(0, end - limit)
            chosen = list(self.lines[start:end])
            return chosen, (line_id(chosen[0]) if chosen and start > 0 else None)
        tops = [comment_id for comment_id, root in zip(self.ids, roots, strict=True) if comment_id == root]
        end = len(tops) if before is None else bisect.bisect_left(tops, before)
        start = max(0, end - limit)
        kept = set(tops[start:end])
        chosen = [line for line, root in zip(self.lines, roots, strict=True) if root in kept]
        return chosen, (tops[start] if kept and start > 0 else None)


def _is_removed(line: bytes) -> bool:
    # The bytes may be a comment's text quoting them: parse to be sure (rare).
    return json.loads(line).get("removed") is True


def visible(records: Sequence[bytes]) -> list[bytes]:
    """Return what a thread shows, from its records (every status, tombstones included)
    in id order: the published ones, and a placeholder for each removed one that a shown
    reply answers, directly or through other placeholders."""
    if all(map(is_public_line, records)):
        return list(records)
    needed: set[int] = set()
    shown: list[bytes] = []
    # From the newest: a reply comes after the comment it answers.
    for line in reversed(records):
        public = is_public_line(line)
        if public:
            comment_id = line_id(line)
        else:
            record = json.loads(line)
            comment_id = record.get("id")
            if comment_id not in needed:
                continue
            line = encode_comment(placeholder(record))
        shown.append(line)
        parent = parent_of(line)
        if parent is not None:
            needed.add(parent)
    shown.reverse()
    return shown


def with_ancestors(ids: Iterable[int], parent: Callable[[int], int | None]) -> set[int]:
    """Return the ids and every comment they answer, up to the top: a reply's change can
    show or hide the placeholders above it, which a changes answer must then name too."""
    found: set[int] = set()
    for comment_id in ids:
        at: int | None = comment_id
        while at is not None and at not in found:
            found.add(at)
            at = parent(at)
    return found


def make_page(etag: str, public: PublicLines, limit: int, before: int | None) -> Page:
    lines, after = public.page(limit, before)
    return Page(page_etag(etag, limit, before), encode_list(lines), after, etag)


def make_changes(version: str, since: str, comments: Sequence[bytes], removed: Sequence[int]) -> Changes:
    """Encode a changes answer: comments are encoded published records, oldest first.
    Raise TooFarBehind past MAX_CHANGES (a store may stop reading at MAX_CHANGES + 1)."""
    if len(comments) + len(removed) > MAX_CHANGES:
        raise TooFarBehind
    body = (
        b'{"version": '
        + json.dumps(version).encode()
        + b', "comments": '
        + encode_list(comments).rstrip(b"\n")
        + b', "removed": '
        + json.dumps(sorted(removed)).encode()
        + b"}\n"
    )
    return Changes(changes_etag(version, since), body, not comments and not removed, version)
