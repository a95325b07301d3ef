"""One version of a thread's file, and what is derived from it when first needed.

A version is the file's bytes as read (or written) once, known by its signature; its
lines, positions, public view and the rest are computed from the bytes the first time
a request needs them, then kept with it until the file changes.
"""

from __future__ import annotations

import json
import os
import re
from functools import cached_property

from ...model.comment import full_view, is_deleted, is_public, normalize
from ..contract import Snapshot
from ..feed import PublicLines, visible
from ..layout import encode_comment, encode_list, last_id, parent_of
from .names import CONTENT_VERSION, EMPTY_ETAG

# A file version's signature: inode, modification time in ns, size. Every write
# makes a new inode and a strictly later mtime, so a signature never comes back.
Signature = tuple[int, int, int]

# The id of a record in our layout, read without parsing it (see base.normalize).
LINE_ID = re.compile(rb'\{(?:"status": "[^"\\]*", |"deleted": "[^"\\]*", )?"id": (-?\d+)[,}]')


def signature(st: os.stat_result) -> Signature:
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class Version:
    """One version of the file, and what is derived from it when first needed."""

    def __init__(
        self, sig: Signature | None, body: bytes, last_id: int, etag: str, items: list[dict] | None = None
    ) -> None:
        self.sig = sig
        self.body = body
        self.last_id = last_id
        self.etag = etag
        # True when the body is in encode_list's layout (we wrote it): a comment can
        # be appended to it and its lines split without parsing. Otherwise the
        # parsed items (a tutorial's file, or one edited by hand).
        self.appendable = items is None
        self._items = items

    @cached_property
    def lines(self) -> list[bytes]:
        """Every record, encoded as stores write it, in file order."""
        if self._items is not None:
            return [encode_comment(normalize(item)) for item in self._items]
        if self.body == b"[]\n":
            return []
        # No line holds a raw line break (JSON escapes them), so this split is exact.
        return self.body[2:-3].split(b",\n")

    @cached_property
    def all_public(self) -> bool:
        if self._items is not None:
            return all(is_public(item) for item in self._items)
        # Lines start with {"id": (published), {"status": or {"deleted": (see
        # base.normalize); a search for the last two is much cheaper than counting.
        return b'\n{"status": ' not in self.body and b'\n{"deleted": ' not in self.body

    @cached_property
    def public_body(self) -> bytes:
        # A file of published comments only is served as it is, byte for byte.
        if self.all_public:
            return self.body
        return encode_list(self.public.lines)

    @cached_property
    def positions(self) -> dict[int, int]:
        """{id: index in lines}, so that one comment is found without parsing the rest."""
        if self._items is not None:
            return {item["id"]: n for n, item in enumerate(self._items) if type(item.get("id")) is int}
        found = {}
        for number, line in enumerate(self.lines):
            match = LINE_ID.match(line)
            if match:
                found[int(match.group(1))] = number
        return found

    @cached_property
    def moderation(self) -> list[dict]:
        """Every comment not deleted, with its status: parsed once per version, when asked."""
        records = (json.loads(line) for line in self.lines)
        return [full_view(record) for record in records if not is_deleted(record)]

    def record(self, comment_id: int) -> dict | None:
        position = self.positions.get(comment_id)
        return None if position is None else json.loads(self.lines[position])

    def parent(self, comment_id: int) -> int | None:
        """Return the id of the comment a record answers, or None."""
        position = self.positions.get(comment_id)
        return None if position is None else parent_of(self.lines[position])

    @cached_property
    def public(self) -> PublicLines:
        """What the thread shows: published comments, and placeholders (feed.visible)."""
        if self.all_public:
            return PublicLines(self.lines)
        return PublicLines(visible(self.lines))

    @property
    def keyed(self) -> bool:
        """Whether the version is named by the key (or is the missing file's), not by its bytes."""
        return not CONTENT_VERSION.fullmatch(self.etag)

    @property
    def mtime(self) -> int:
        return self.sig[1] if self.sig else 0

    @property
    def snapshot(self) -> Snapshot:
        return Snapshot(self.etag, self.public_body)


MISSING = Version(None, b"[]\n", 0, EMPTY_ETAG)


def parsed(sig: Signature, body: bytes, items: list[dict], etag: str) -> Version:
    """Return the version of a file read without a hint (its items parsed): kept as its
    bytes alone when they are in the layout stores write (a file another machine wrote, a
    copy), so that it is appended to and held in memory as the files this process writes."""
    lines = [encode_comment(normalize(item)) for item in items]
    if encode_list(lines) != body:
        return Version(sig, body, last_id(items), etag, items)
    version = Version(sig, body, last_id(items), etag)
    version.lines = lines  # a cached_property: set once, here
    return version
