"""Pages of the list and changes since a version: what both stores share.

A page is the newest N published comments older than a cursor (a comment id),
oldest first. A changes answer names the comments published, edited or
republished since a version and the ids that are no longer public, at most
MAX_CHANGES of them: a version further behind is answered as one the store no
longer remembers (the client loads its page again), not with the whole list.
Nothing here imports Flask.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from ..model.versions import VersionGone, changes_etag, page_etag
from .layout import encode_list, line_id

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
    """The published comments of one version, encoded, oldest first, for paging."""

    def __init__(self, lines: Sequence[bytes]) -> None:
        self.lines = lines

    @cached_property
    def ids(self) -> list[int]:
        # Computed once per version, when a page older than the first is asked for.
        return [line_id(line) for line in self.lines]

    def page(self, limit: int, before: int | None) -> tuple[list[bytes], int | None]:
        """Return the newest limit lines with ids below before, and the next cursor."""
        end = len(self.lines) if before is None else bisect.bisect_left(self.ids, before)
        start = max(0, end - limit)
        chosen = list(self.lines[start:end])
        return chosen, (line_id(chosen[0]) if chosen and start > 0 else None)


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
