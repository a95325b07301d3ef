"""Backups, the same for every store: the export's format, its checks, and its atomic file.

An export is the list of every record a store keeps (see base.normalize): published
comments, comments with another status, edit times and tombstones, oldest first, in
the layout the JSON store writes. So an export is also a valid COMMENTS_FILE, and a
tutorial's comments.json is a valid import. Each store reads one consistent version
(export_records) and merges records in one transaction (import_records): what is
its own; the rest is here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from ..model.comment import MAX_ID, STATUSES, is_deleted, normalize, stamp
from .layout import encode_comment, encode_list, parse_list

# What a record may hold; anything else in an imported file is left out.
FIELDS = ("id", "author", "text", "created", "edited", "status", "deleted")
TIMES = ("created", "edited", "deleted")


def encode_export(records: Iterable[Mapping]) -> bytes:
    """Return records as an export's bytes: one record a line."""
    return encode_list(encode_comment(normalize(record)) for record in records)


def read_export(body: bytes) -> list[dict]:
    """Parse and check an export or a comments file; raise ValueError naming the first bad item."""
    records = []
    seen: set[int] = set()
    for index, item in enumerate(parse_list(body)):
        try:
            record = checked_record(item)
        except ValueError as error:
            raise ValueError(f"item {index} {error}") from None
        if record["id"] in seen:
            raise ValueError(f"item {index} repeats the id {record['id']}")
        seen.add(record["id"])
        records.append(record)
    return records


def checked_record(item: Mapping) -> dict:
    """Return one imported record as stores keep it; raise ValueError saying what is wrong."""
    comment_id = item.get("id")
    if type(comment_id) is not int or not 1 <= comment_id <= MAX_ID:
        raise ValueError("has no whole-number id from 1 up")
    record = {field: item[field] for field in FIELDS if field in item and item[field] is not None}
    for field in TIMES:
        if field in record:
            record[field] = stamp(parse_time(field, record[field]))
    if is_deleted(record):
        # A tombstone keeps its id and when it was deleted, nothing else.
        return normalize(record)
    if record.get("status", STATUSES[0]) not in STATUSES:
        raise ValueError(f"has an unknown status {record.get('status')!r} (one of {', '.join(STATUSES)})")
    for field in ("author", "text"):
        if not isinstance(record.get(field), str):
            raise ValueError(f"has no {field} string")
    return normalize(record)


def parse_time(field: str, value: object) -> datetime:
    """Parse an ISO 8601 time; one without a zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(f"has a {field} that is not an ISO 8601 time: {value!r}")
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def write_atomically(path: Path, body: bytes) -> None:
    """Write body to path so that path holds the old file or the whole new one, durably."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "xb") as file:
            file.write(body)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
