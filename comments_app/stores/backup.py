"""Backups, the same for every store: the export's format, its checks, and its atomic file.

An export is the list of every record a store keeps (see base.normalize): published
comments, comments with another status, edit times and tombstones, oldest first, in
the layout the JSON store writes. So an export is also a valid COMMENTS_FILE, and a
tutorial's comments.json is a valid import. A record keeps its thread and the comment it
answers (its parent); each record of a thread the moderators closed says so
(`"thread_closed": true`), and an import closes that thread again. Each store reads one consistent version
(export_records) and merges records in one transaction (import_records): what is
its own; the rest is here, the names of the automatic backups (jobs/backups.py) included.

An author's email and choice of reply mails (stores/private.py) go into the export as the
record's "email" and "notify_replies", so that a backup restores them; an import hands
them to the store's private side, never into a thread's file. An export is thus private
data: it is written readable by its owner alone.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from ..model import threads
from ..model.comment import MAX_ID, STATUSES, is_deleted, normalize, stamp
from ..model.validation import LIMITS, clean_comment, clean_contact
from .files import fsync_folder
from .layout import encode_comment, encode_list, parse_list
from .private import Contact

# What a record may hold; anything else in an imported file is left out.
FIELDS = ("id", "author", "text", "created", "edited", "status", "deleted", "thread", "parent")
# The mark of a record whose thread was closed when the export was taken.
CLOSED = "thread_closed"
# An author's contact, in an export only (stores/private.py).
EMAIL = "email"
NOTIFY = "notify_replies"
TIMES = ("created", "edited", "deleted")
# An imported id must leave a next one: with MAX_ID imported, every PostgreSQL POST
# failed (bigint out of range) and the JSON store gave out an id nothing could reach.
MAX_IMPORTED_ID = MAX_ID - 1
# Python's datetime stops at 9999; fromisoformat would only say "Invalid isoformat string".
FIVE_DIGIT_YEAR = re.compile(r"[+-]?\d{5}")
# How much of a bad value a message quotes.
SHOWN_LENGTH = 32
# An automatic backup is named by when it began, in UTC, so that names sort by time.
BACKUP_NAME = re.compile(r"comments-(\d{8}T\d{6}Z)\.json")
BACKUP_TIME = "%Y%m%dT%H%M%SZ"
# What write_atomically leaves of one when its process dies mid-write (kill -9).
BACKUP_LEFTOVER = re.compile(r"\.comments-\d{8}T\d{6}Z\.json\.\d+\.tmp")
# How much write_atomically writes between two looks at whether to stop.
CHUNK = 1 << 20


def encode_export(
    records: Iterable[Mapping], closed: Iterable[str] = (), contacts: Mapping[int, Contact] | None = None
) -> bytes:
    """Return records as an export's bytes, one record a line; those of the closed threads
    marked so, those with an author's contact carrying it."""
    closed = set(closed)
    contacts = contacts or {}
    return encode_list(
        encode_comment(_with_contact(_marked(normalize(record), closed), contacts)) for record in records
    )


def _with_contact(record: dict, contacts: Mapping[int, Contact]) -> dict:
    contact = contacts.get(record.get("id"))
    if contact is None or is_deleted(record):
        return record
    return {**record, EMAIL: contact.email, NOTIFY: contact.replies}


def take_contacts(records: list[dict]) -> dict[int, tuple[str, Contact]]:
    """Take the authors' contacts off imported records; return them, {id: (thread, contact)}."""
    found = {}
    for record in records:
        email = record.pop(EMAIL, None)
        replies = record.pop(NOTIFY, False)
        if email is not None:
            found[record["id"]] = (record.get("thread", threads.DEFAULT), Contact(email, replies))
    return found


def _marked(record: dict, closed: set[str]) -> dict:
    # One spelling on every store: a comment that answers none has no parent key.
    if "parent" in record and record["parent"] is None:
        record = {key: value for key, value in record.items() if key != "parent"}
    return {**record, CLOSED: True} if record.get("thread", threads.DEFAULT) in closed else record


def closed_threads(records: list[dict]) -> set[str]:
    """Take the closed threads' marks off imported records; return those threads."""
    closed = set()
    for record in records:
        if record.pop(CLOSED, False):
            closed.add(record.get("thread", threads.DEFAULT))
    return closed


def read_export(body: bytes) -> list[dict]:
    """Parse and check an export or a comments file; raise BadExport naming every bad item."""
    try:
        items = parse_list(body)
    except RecursionError:
        # json's decoder recurses once per level: 100,000 "[" would be a traceback.
        raise BadExport(["not valid JSON (arrays or objects nested too deeply)"]) from None
    except ValueError as error:
        raise BadExport([str(error)]) from None
    records = []
    problems = []
    seen: set[int] = set()
    for index, item in enumerate(items):
        try:
            record = checked_record(item)
        except ValueError as error:
            problems.append(f"item {index}{error}")
            continue
        if record["id"] in seen:
            problems.append(f"item {index} repeats the id {record['id']}")
        seen.add(record["id"])
        records.append(record)
    if problems:
        raise BadExport(problems)
    return records


class BadExport(ValueError):
    """What is wrong with an export: one message per bad item, in the file's order."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(problems[0] if len(problems) == 1 else f"{len(problems):,} items are refused")


def checked_record(item: Mapping) -> dict:
    """Return one imported record as the API would have stored it; raise ValueError saying why not.

    The message follows "item N": " has …" for the record's shape, ": author …" for
    what the API's validation says of its author and text.
    """
    record = {field: item[field] for field in FIELDS if field in item and item[field] is not None}
    record["id"] = checked_id(item.get("id"))
    _check_conversation(record)
    closed = item.get(CLOSED) is True
    contact = _checked_contact(item)
    checked = _checked_fields(record)
    if contact and not is_deleted(checked):
        checked.update(contact)
    return {**checked, CLOSED: True} if closed else checked


def _checked_contact(item: Mapping) -> dict:
    """Return an imported record's contact fields, checked as a POST's are (none: {})."""
    if item.get(EMAIL) is None:
        return {}
    contact, errors = clean_contact({EMAIL: item.get(EMAIL), NOTIFY: item.get(NOTIFY, False)})
    if errors:
        raise ValueError(": " + "; ".join(errors.values()))
    return {EMAIL: contact[0], NOTIFY: contact[1]} if contact else {}


def _checked_fields(record: dict) -> dict:
    for field in TIMES:
        if field in record:
            record[field] = stamp(parse_time(field, record[field]))
    if is_deleted(record):
        # A tombstone keeps its id and when it was deleted, nothing else.
        return normalize(record)
    if record.get("status", STATUSES[0]) not in STATUSES:
        raise ValueError(
            f" has an unknown status {shown(record.get('status'))} (one of {', '.join(STATUSES)})"
        )
    for field in LIMITS:
        if not isinstance(record.get(field), str):
            raise ValueError(f" has no {field} string")
    cleaned, errors = clean_comment(record)
    if errors:
        raise ValueError(": " + "; ".join(errors.values()))
    return normalize({**record, **cleaned})


def _check_conversation(record: dict) -> None:
    """Check a record's thread (kept in its one spelling) and parent; raise ValueError."""
    if "thread" in record:
        if not isinstance(record["thread"], str):
            raise ValueError(" has a thread that is not a string")
        try:
            record["thread"] = threads.normalize(record["thread"])
        except threads.ThreadRefused as error:
            raise ValueError(f" has a thread that is not a page's path: {error}") from None
        if record["thread"] == threads.DEFAULT:
            del record["thread"]
    parent = record.get("parent")
    if parent is not None and (type(parent) is not int or not 1 <= parent < record["id"]):
        raise ValueError(" has a parent that is not the id of an earlier comment")


def checked_id(comment_id: object) -> int:
    """Return an importable id; raise ValueError saying why it is not one."""
    if type(comment_id) is not int or comment_id < 1:
        raise ValueError(" has no whole-number id from 1 up")
    if comment_id > MAX_IMPORTED_ID:
        raise ValueError(
            f" has the id {comment_id}: the largest an import may keep is {MAX_IMPORTED_ID},"
            " so that a new comment still gets an id after it"
        )
    return comment_id


def parse_time(field: str, value: object) -> datetime:
    """Parse an ISO 8601 time; one without a zone is taken as UTC."""
    what = f"an {field}" if field[0] in "aeiou" else f"a {field}"
    if isinstance(value, str) and FIVE_DIGIT_YEAR.match(value):
        raise ValueError(f" has {what} past the year 9999: {shown(value)}")
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(f" has {what} that is not an ISO 8601 time: {shown(value)}")
    try:
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except OverflowError:
        # 9999-12-31T23:00-05:00 is a valid time that Python's datetime cannot hold in UTC.
        side = "past the year 9999" if moment.year == 9999 else "before the year 1"
        raise ValueError(f" has {what} {side} in UTC: {shown(value)}") from None


def shown(value: object) -> str:
    """Return a value as a message quotes it: repr, cut short (a 3 MB status is one line)."""
    text = repr(value)
    return text if len(text) <= SHOWN_LENGTH else text[: SHOWN_LENGTH - 1] + "…"


class WriteStopped(Exception):
    """write_atomically was asked to stop: nothing was written, its temporary file is gone."""


def write_atomically(path: Path, body: bytes, stopped: Callable[[], bool] | None = None) -> None:
    """Write body to path so that path holds the old file or the whole new one, durably.

    When stopped() turns true before the new file is in place, remove the temporary
    file and raise WriteStopped: a worker stopping mid-backup leaves no part of one.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        # Readable by its owner alone: it holds comments not published and authors' emails.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        with open(fd, "wb") as file, memoryview(body) as view:
            for start in range(0, len(view), CHUNK):
                if stopped is not None and stopped():
                    raise WriteStopped(path)
                file.write(view[start : start + CHUNK])
            file.flush()
            os.fsync(file.fileno())
        if stopped is not None and stopped():
            raise WriteStopped(path)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_folder(path.parent)


def backup_name(moment: datetime) -> str:
    """Return the file name of an automatic backup that began at moment."""
    return f"comments-{moment.astimezone(UTC).strftime(BACKUP_TIME)}.json"


def backups_in(folder: Path) -> list[tuple[datetime, Path]]:
    """Return (when it began, path) of each automatic backup in folder, oldest first.

    Only names backup_name gives count: whatever else the folder holds is not ours.
    Raise OSError when the folder cannot be listed.
    """
    found = []
    for name in os.listdir(folder):
        match = BACKUP_NAME.fullmatch(name)
        if match is None:
            continue
        try:
            began = datetime.strptime(match[1], BACKUP_TIME).replace(tzinfo=UTC)
        except ValueError:  # comments-20261399T…: the shape of a name, but no time
            continue
        found.append((began, folder / name))
    return sorted(found)


def newest_backup(folder: Path) -> datetime | None:
    """Return when the newest automatic backup in folder began; None when there is none to see."""
    try:
        found = backups_in(folder)
    except OSError:
        return None
    return found[-1][0] if found else None
