"""The JSON file store: comments in one file that many processes share safely."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import re
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from ...cooperative import blocking, unstoppable
from ...model.comment import (
    PUBLISHED,
    changed,
    check_changes,
    full_view,
    is_deleted,
    is_public,
    new_comment,
    normalize,
    public_view,
    tombstone,
)
from ...model.versions import VersionGone, VersionUnknown
from ..contract import CommentNotFound, Snapshot, StoreError
from ..feed import Changes, Page, PublicLines, make_changes, make_page
from ..layout import append_encoded, encode_comment, encode_list, is_public_line, last_id, parse_list
from . import keyfile
from .journal import Journal


class StoreUnreadable(StoreError):
    def __init__(self, path: Path, reason: str, content: str | None = None) -> None:
        """content: what is wrong with the file's bytes, which anyone may be told."""
        public = "the comments store cannot be read"
        super().__init__(
            f"{public}: it is {content}" if content else public,
            f"comments store {path} cannot be read: {content or reason}",
        )


class StoreUnwritable(StoreError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            "the comments store cannot be written", f"comments store {path} cannot be written: {reason}"
        )


# A file version's signature: inode, modification time in ns, size. Every write
# makes a new inode and a strictly later mtime, so a signature never comes back.
Signature = tuple[int, int, int]

# ETags start with the version's modification time sealed by the store's key: the
# time and 64 zero bits through a keyed permutation (below), which only the key opens,
# so that a since value says where in the journal it belongs and that it is this
# store's, and no number in it follows the time; then a keyed digest of the signature.
# Before the store has a key (no write yet, COMMENTS_SECRET_KEY unset), a version is
# named by a digest of the file's bytes instead: a read never writes the key file.
EMPTY_ETAG = "0-0"
# How long a read waits before trying again to make a key it could not make.
KEY_RETRY_SECONDS = 5.0
SEALED_TIME = re.compile(r"[0-9a-f]{32}")
CONTENT_VERSION = re.compile(r"[0-9a-f]{24}")
# Rounds of the Feistel network that seals a time: four make a strong pseudorandom
# permutation (Luby-Rackoff); more cost nothing that matters, once per version.
SEAL_ROUNDS = 8
HALF = (1 << 64) - 1

# The id of a record in our layout, read without parsing it (see base.normalize).
LINE_ID = re.compile(rb'\{(?:"status": "[^"\\]*", |"deleted": "[^"\\]*", )?"id": (-?\d+)[,}]')


def signature(st: os.stat_result) -> Signature:
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class _Version:
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
        return encode_list(line for line in self.lines if is_public_line(line))

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

    @cached_property
    def public(self) -> PublicLines:
        if self.all_public:
            return PublicLines(self.lines)
        return PublicLines([line for line in self.lines if is_public_line(line)])

    @property
    def mtime(self) -> int:
        return self.sig[1] if self.sig else 0

    @property
    def snapshot(self) -> Snapshot:
        return Snapshot(self.etag, self.public_body)


_MISSING = _Version(None, b"[]\n", 0, EMPTY_ETAG)


class _Pending:
    """A change waiting to be written (add, update or delete), and then what became of it."""

    def __init__(self, kind: str, **details) -> None:
        self.kind = kind
        self.details = details
        self.finished = False
        self.record: dict = {}
        self.snapshot: Snapshot | None = None
        self.error: Exception | None = None

    def finish(self, snapshot: Snapshot | None = None, error: Exception | None = None) -> None:
        self.snapshot = snapshot
        self.error = error
        self.finished = True


def written_ids(batch: list[_Pending]) -> list[int]:
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


class JsonFileStore:
    """Comments in one JSON file, safe for many processes.

    Writes take an exclusive lock on a file beside the store, write a temporary
    file, fsync it and rename it over the store, so a crash leaves the old or the
    new file, never half of one. Each process keeps the last version's bytes and
    answers from them while a stat says the file is unchanged.

    Group commit: the threads of a process that change comments at the same time
    queue their changes (new comments, edits, deletions), and one of them writes
    them all in one version, with one pair of fsyncs, while the others wait for
    it. Processes take turns by the lock.

    The lock file also holds a hint: the signatures and last ids of the version
    replaced and the version written, and whether each holds published comments
    only, with a checksum, so that any process can append to a version it did
    not write, and serve it, without parsing or searching it.

    The ETag is the file's modification time sealed by the key and a keyed digest of
    its signature: opaque, the same in every worker, and known from a stat. Reads never
    make the key: before the first write has made it, a version is named by a digest of
    the file's bytes, so that a folder this process cannot write still serves the list.
    """

    def __init__(self, path: Path | str, secret: bytes | None = None) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.tmp_path = self.path.with_name(self.path.name + ".tmp")
        self.key_path = self.path.with_name(self.path.name + ".key")
        self.key_tmp_path = self.path.with_name(self.path.name + ".key.tmp")
        self._secret = secret
        self._etag_key_bytes: bytes | None = None
        # When a read may next try to make the key, after it could not (a read-only folder).
        self._key_retry_at = 0.0
        self._version: _Version | None = None
        # Changes waiting for a writer: appended under _turns, taken by the writer
        # (off the event loop) without it, as a deque's ends are thread-safe.
        self._queue: deque[_Pending] = deque()
        self._turns = threading.Condition()
        self._writing = False
        self.journal_path = self.path.with_name(self.path.name + ".changes")
        self.journal_tmp_path = self.path.with_name(self.path.name + ".changes.tmp")
        self._journal = Journal(self.journal_path, self.journal_tmp_path)
        self._remove_leftovers()

    kind = "file"

    def __repr__(self) -> str:
        return f"JsonFileStore({str(self.path)!r})"

    def etag(self) -> str:
        sig = self._stat()
        if sig is not None:
            self._key_for_reads()
        cached = self._version
        if cached is not None and cached.sig == sig:
            return cached.etag
        if sig is not None and self._etag_key() is None:
            return self._current().etag  # named by its bytes: read them
        return self._etag_for(sig)

    def snapshot(self) -> Snapshot:
        return self._current().snapshot

    def page(self, limit: int, before: int | None = None) -> Page:
        version = self._current()
        return make_page(version.etag, version.public, limit, before)

    def changes(self, since: str) -> Changes:
        version = self._current()
        if since == version.etag:
            return make_changes(version.etag, since, [], [])
        when = self._since_time(since)
        if when > version.mtime:
            raise VersionUnknown("the version is not one of this list's")
        changed_ids = self._journal.changed_since(when, version.mtime)
        if changed_ids is None:
            raise VersionGone("the version is older than the changes this store remembers")
        comments, removed = [], []
        for comment_id in changed_ids:
            position = version.positions.get(comment_id)
            line = None if position is None else version.lines[position]
            if line is not None and is_public_line(line):
                comments.append(line)
            else:
                removed.append(comment_id)
        return make_changes(version.etag, since, comments, removed)

    def get(self, comment_id: int) -> dict | None:
        record = self._current().record(comment_id)
        return public_view(record) if record is not None and is_public(record) else None

    def record(self, comment_id: int) -> dict | None:
        record = self._current().record(comment_id)
        return full_view(record) if record is not None and not is_deleted(record) else None

    def moderation(self, status: str | None = None) -> list[dict]:
        comments = self._current().moderation
        return [comment for comment in comments if status is None or comment["status"] == status]

    def add(self, author: str, text: str, status: str = PUBLISHED) -> tuple[dict, Snapshot]:
        pending = self._submit(_Pending("add", author=author, text=text, status=status))
        return full_view(pending.record), pending.snapshot

    def update(self, comment_id: int, changes: Mapping[str, str]) -> tuple[dict, Snapshot]:
        check_changes(changes)  # here, before it joins a batch
        pending = self._submit(_Pending("update", comment_id=comment_id, changes=dict(changes)))
        return full_view(pending.record), pending.snapshot

    def delete(self, comment_id: int) -> Snapshot:
        return self._submit(_Pending("delete", comment_id=comment_id)).snapshot

    def secret_key(self) -> bytes:
        """Return the key, making the key file on first use (a write, or a token's check)."""
        key = self._existing_key()
        if key is None:
            key = self._secret = blocking(self._make_key)
            # The version in memory was named by its bytes: name it by the key from now on.
            self._version = None
        return key

    def _key_for_reads(self) -> None:
        """Make the key for a read when this process can, as before any write: the versions
        are then named by it from the first one a page sees. A folder this process cannot
        write still serves reads (their versions named by their bytes), asked again now and
        then. Never under the store's lock: the key is made under it."""
        if self._existing_key() is not None or time.monotonic() < self._key_retry_at:
            return
        try:
            self._secret = blocking(self._make_key)
        except StoreError:
            self._key_retry_at = time.monotonic() + KEY_RETRY_SECONDS
            return
        # A version held from before was named by its bytes: name it by the key from now on.
        self._version = None

    def _existing_key(self) -> bytes | None:
        """Return the key if there is one yet, without writing: reads must go on in a
        folder this process cannot write."""
        if self._secret is None:
            self._secret = keyfile.read(self.key_path)
        return self._secret

    def _make_key(self) -> bytes:
        # Made under the store's lock: one worker makes it, the others read it.
        with self._locked():
            return keyfile.create(self.key_path, self.key_tmp_path)

    def export_records(self) -> list[dict]:
        """Return every record of one version of the file (it is replaced whole, never edited)."""
        return [json.loads(line) for line in self._current().lines]

    def import_records(self, records: list[dict]) -> tuple[int, int]:
        """Add the records whose ids the file lacks, in one write as durable as a POST.

        Return (added, already there). Ids are kept, the file stays in id order, and
        new comments get ids after the highest one.
        """
        pending = self._submit(_Pending("import", records=records))
        return pending.record["added"], pending.record["present"]

    def close(self) -> None:
        self._version = None

    def _submit(self, pending: _Pending) -> _Pending:
        with self._turns:
            self._queue.append(pending)
            # Threads wait here while one of them writes; each leaves as soon as a
            # write has taken its change, and when none is writing, the first to
            # see it writes every change queued meanwhile, in one version. (Waiting
            # for a lock instead, a thread whose change was written waited behind
            # the writes of later requests, which took the lock first: 100 ms and
            # more under a stream of POSTs, with the batches shrunk to one change.)
            while self._writing and not pending.finished:
                self._turns.wait()
            writes = not pending.finished
            if writes:
                self._writing = True
        if writes:
            # To its end even if this request is stopped: the others wait for it.
            unstoppable(self._write_turn)
        if pending.error is not None:
            raise pending.error
        return pending

    def _write_turn(self) -> None:
        """Write what is queued; then let the waiters see their results, and the next writer in."""
        try:
            self._commit()
        finally:
            with self._turns:
                self._writing = False
                self._turns.notify_all()

    def _etag_for(self, sig: Signature | None, body: bytes | None = None) -> str:
        """Name a version: its sealed time and a keyed digest of its signature; before
        the store has a key, a digest of body (the file's bytes)."""
        if sig is None:
            return EMPTY_ETAG
        key = self._etag_key()
        if key is None:
            assert body is not None, "a version without a key is named by its bytes"
            return hashlib.blake2b(body, person=b"comments list", digest_size=12).hexdigest()
        digest = hashlib.blake2b(repr(sig).encode(), key=key, digest_size=12).hexdigest()
        return f"{self._seal_time(sig[1])}-{digest}"

    def _etag_key(self) -> bytes | None:
        if self._etag_key_bytes is None:
            secret = self._existing_key()
            if secret is None:
                return None
            self._etag_key_bytes = hmac.digest(secret, b"comments list etag", "sha256")
        return self._etag_key_bytes

    def _seal_time(self, mtime: int) -> str:
        """Encrypt a version's time, and 64 zero bits that vouch for it, with a keyed
        permutation: an XOR mask or an offset would be read off one known pair (one's own
        POST's time and the next version), and then every later write's time with it."""
        left, right = mtime & HALF, 0
        for number in range(SEAL_ROUNDS):
            left, right = right, left ^ self._round(number, right)
        return f"{left:016x}{right:016x}"

    def _open_time(self, sealed: str) -> int | None:
        """Return the time a _seal_time value holds, or None when this store's key did not seal it."""
        left, right = int(sealed[:16], 16), int(sealed[16:], 16)
        for number in reversed(range(SEAL_ROUNDS)):
            left, right = right ^ self._round(number, left), left
        return left if right == 0 else None

    def _round(self, number: int, half: int) -> int:
        key = self._etag_key()
        assert key is not None, "sealed times need the store's key"
        person = b"comments time %d" % number
        digest = hashlib.blake2b(half.to_bytes(8, "big"), key=key, person=person, digest_size=8).digest()
        return int.from_bytes(digest, "big")

    def _since_time(self, since: str) -> int:
        """Return the modification time a since value names, to find it in the journal."""
        if since == EMPTY_ETAG:
            return 0
        if CONTENT_VERSION.fullmatch(since):
            # Named by its bytes, and not the current version: no journal entry says
            # what changed since it.
            raise VersionGone("the version is older than the changes this store remembers")
        sealed, _, _ = since.partition("-")
        when = None
        if SEALED_TIME.fullmatch(sealed) and self._etag_key() is not None:
            when = self._open_time(sealed)
        if when is None:
            raise VersionUnknown("the version is not one of this list's")
        return when

    def write_problem(self) -> str | None:
        """Say why a write would fail now, asking the file system rather than writing."""
        folder = self.path.parent
        if not folder.is_dir():
            return "its folder is missing"
        # A write creates a temporary file and renames it over the store: the
        # folder must be writable, the file itself need not be.
        if not os.access(folder, os.W_OK | os.X_OK, effective_ids=True):
            return "its folder is not writable (a read-only volume or a wrong owner?)"
        if self.lock_path.exists() and not os.access(self.lock_path, os.R_OK | os.W_OK, effective_ids=True):
            return "its lock file is not writable (a wrong owner?)"
        if self.tmp_path.is_dir():
            return "a folder is in the place of its temporary file"
        disk = os.statvfs(folder)
        # Room for a whole new copy of the file, as every write makes one.
        if disk.f_bavail * disk.f_frsize < (self._stat() or (0, 0, 0))[2] + 64 * 1024:
            return "its disk is full"
        return None

    # Reading

    def _stat(self) -> Signature | None:
        try:
            return signature(os.stat(self.path))
        except FileNotFoundError:
            return None

    def _current(self, lock_fd: int | None = None) -> _Version:
        """Return the version on disk, from memory while the file is unchanged."""
        sig = self._stat()
        if sig is not None and lock_fd is None:
            self._key_for_reads()  # a version of a file is named by the key
        cached = self._version
        if cached is not None and cached.sig == sig:
            return cached
        try:
            with open(self.path, "rb") as file:
                sig = signature(os.fstat(file.fileno()))
                body = file.read()
        except FileNotFoundError:
            return _MISSING
        except OSError as error:
            raise StoreUnreadable(self.path, error.strerror or str(error)) from None
        if not body.strip():
            # An empty file (`touch comments.json`) is an empty list; the first
            # comment writes it in the layout later writes append to.
            version = _Version(sig, b"[]\n", 0, self._etag_for(sig, body))
            version.all_public = True
            self._version = version
            return version
        hint = self._read_hint(lock_fd).get(sig)
        if hint is not None:
            version = _Version(sig, body, hint[0], self._etag_for(sig, body))
            version.all_public = bool(hint[1])
        else:
            try:
                items = parse_list(body)
            except ValueError as error:
                raise StoreUnreadable(self.path, str(error), content=str(error)) from None
            version = _Version(sig, body, last_id(items), self._etag_for(sig, body), items)
        self._version = version
        return version

    def _read_hint(self, lock_fd: int | None) -> dict[Signature, tuple[int, int]]:
        """Return {signature: (last id, 1 when every comment is published)} for the
        versions the last writer replaced and wrote."""
        try:
            if lock_fd is not None:
                raw = os.pread(lock_fd, HINT_SIZE, 0)
            else:
                with open(self.lock_path, "rb") as file:
                    raw = file.read(HINT_SIZE)
            *numbers, checksum = (int(word) for word in raw.split())
        except (OSError, ValueError):
            return {}
        # No hint, or one torn by a crash or read while written: parse the file instead.
        if len(numbers) != 10 or zlib.crc32(raw[: HINT_SIZE - 10]) != checksum:
            return {}
        return {tuple(numbers[0:3]): tuple(numbers[3:5]), tuple(numbers[5:8]): tuple(numbers[8:10])}

    # Writing

    @contextmanager
    def _locked(self) -> Iterator[int]:
        """Hold the store's lock; wait for it in flock, so off the event loop (a write,
        the key's making) or before the process serves (the leftovers' removal)."""
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
        # The folder is never created here: a missing one (a volume not mounted)
        # fails the write rather than starting a new, empty store.
        try:
            fd = os.open(self.lock_path, flags, 0o644)
        except OSError as error:
            raise StoreUnwritable(self.lock_path, error.strerror or str(error)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # another process may hold it through its fsyncs
            yield fd
        finally:
            os.close(fd)

    def _commit(self) -> None:
        """Write the queued changes in one new version; give each its result."""
        batch: list[_Pending] = []
        try:
            # The key names versions (ETags); it is made under the lock taken
            # below, so it must be had before.
            self.secret_key()
            # The whole write, from waiting for the lock to the rename, is one call
            # off the event loop (cooperative.blocking), a real thread's work under
            # gevent: the lock is held for the write alone, not until the loop
            # comes back to this request, and a write costs one hop to the pool.
            version = blocking(self._write_batch, batch)
        except Exception as error:
            # Every change of the batch fails with the write. An empty batch means
            # it failed before the queue was taken (the key, the lock): then what
            # is queued fails with it.
            if not batch:
                batch = self._take_queue()
            failure = error if isinstance(error, StoreError) else StoreError("comments store failed to write")
            for pending in batch:
                if not pending.finished:
                    pending.finish(error=failure)
            if not isinstance(error, StoreError):
                raise
            return
        if version is not None:
            self._version = version
        else:
            # Nothing changed (each change refused, or an import of comments already
            # there): the answer is the version on disk.
            try:
                version = self._current()
            except StoreError as error:
                version, failure = None, error
        for pending in batch:
            if not pending.finished:
                if version is None:
                    pending.finish(error=failure)
                else:
                    pending.finish(snapshot=version.snapshot)

    def _write_batch(self, batch: list[_Pending]) -> _Version | None:
        """Take the lock, then the queued changes into batch, and write them as the next
        version; return it, or None when nothing changes.

        Under gevent this runs in a thread of the pool while the loop serves others. What
        the two share: the queue (a deque, whose ends are thread-safe), the version in
        memory (replaced in one assignment, and checked against a stat before use), and
        the changes taken (their requests look at them once the writer wakes them, or
        leave with a refusal made here, which stands whatever the write does).
        """
        with self._locked() as lock_fd:
            # Taken once the lock is ours: what was queued while other processes
            # wrote goes into this version too.
            batch.extend(self._take_queue())
            if not batch:
                return None  # nothing queued: nothing to write
            previous = self._current(lock_fd)
            written = self._apply(previous, batch)
            if written is None:
                return None
            body, last, public = written
            sig = self._write(body, previous, lock_fd, last, public, written_ids(batch))
        version = _Version(sig, body, last, self._etag_for(sig, body))
        version.all_public = public
        return version

    def _take_queue(self) -> list[_Pending]:
        taken = []
        with contextlib.suppress(IndexError):
            while True:
                taken.append(self._queue.popleft())
        return taken

    @staticmethod
    def _apply(version: _Version, batch: list[_Pending]) -> tuple[bytes, int, bool] | None:
        """Make the batch's changes to version; return (the new body, last id, whether
        every comment is published), or None when nothing changes. A change to a
        missing comment finishes with its error."""
        last = version.last_id
        if version.appendable and all(pending.kind == "add" for pending in batch):
            # The common case, and the cheap one: append without splitting the file.
            added = []
            for pending in batch:
                last += 1
                pending.record = new_comment(last, **pending.details)
                added.append(encode_comment(pending.record))
            public = version.all_public and all(map(is_public_line, added))
            return append_encoded(version.body, added), last, public
        # A file we did not write (a tutorial's, or edited by hand) is rewritten
        # once in our layout; later writes append.
        lines = list(version.lines)
        positions = dict(version.positions)
        changes = not version.appendable
        for pending in batch:
            if pending.kind == "add":
                last += 1
                pending.record = new_comment(last, **pending.details)
                positions[last] = len(lines)
                lines.append(encode_comment(pending.record))
                changes = True
                continue
            if pending.kind == "import":
                records = pending.details["records"]
                fresh = [record for record in records if record["id"] not in positions]
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
            if pending.kind == "delete":
                pending.record = tombstone(comment_id)
            else:
                pending.record = changed(record, pending.details["changes"])
            lines[position] = encode_comment(pending.record)
            changes = True
        if not changes:
            return None
        return encode_list(lines), last, all(map(is_public_line, lines))

    def _write(
        self, body: bytes, previous: _Version, lock_fd: int, last: int, public: bool, ids: list[int]
    ) -> Signature:
        """Replace the file with body atomically and durably; return the new signature."""
        # Strictly later than the version it replaces, so that a reused inode
        # number can never bring back an old signature.
        mtime_ns = max(time.time_ns(), (previous.sig[1] + 1) if previous.sig else 0)
        try:
            return self._write_version(body, previous, lock_fd, mtime_ns, (last, int(public)), ids)
        except OSError as error:
            with contextlib.suppress(OSError):
                self.tmp_path.unlink(missing_ok=True)
            raise StoreUnwritable(self.path, error.strerror or str(error)) from None

    def _write_version(
        self,
        body: bytes,
        previous: _Version,
        lock_fd: int,
        mtime_ns: int,
        hinted: tuple[int, int],
        ids: list[int],
    ) -> Signature:
        """Write body to the temporary file and fsync it; then the journal's entry and the
        hint, so that no reader ever sees the new file without them; then rename it over
        the store and fsync the folder. Return the new file's signature."""
        fd = os.open(self.tmp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            if previous.sig is not None:
                os.fchmod(fd, os.stat(self.path).st_mode & 0o7777)
            view = memoryview(body)
            while view:
                view = view[os.write(fd, view) :]
            os.utime(fd, ns=(mtime_ns, mtime_ns))
            os.fsync(fd)
            sig = signature(os.fstat(fd))
        finally:
            os.close(fd)
        self._journal.append(previous.mtime, sig[1], ids)
        # The hint needs no fsync: it is checked against the file's signature before use.
        self._write_hint(lock_fd, previous, (*sig, *hinted))
        os.replace(self.tmp_path, self.path)
        self._fsync_folder()
        return sig

    def _fsync_folder(self) -> None:
        fd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    @staticmethod
    def _write_hint(lock_fd: int, previous: _Version, new: tuple[int, ...]) -> None:
        # A hint, checked against the file's signature before use: no fsync needed.
        # Fixed width, so that it overwrites the last one without a truncate.
        old = (0,) * 5
        if previous.sig and previous.appendable:
            old = (*previous.sig, previous.last_id, int(previous.all_public))
        record = "".join(f"{number:20d} " for number in (*old, *new)).encode()
        os.pwrite(lock_fd, record + b"%10d" % zlib.crc32(record), 0)

    def _remove_leftovers(self) -> None:
        """Delete the temporary files a killed writer left behind."""
        leftovers = (self.tmp_path, self.key_tmp_path, self.journal_tmp_path)
        if not any(path.exists() for path in leftovers):
            return
        with self._locked():
            for path in leftovers:
                with contextlib.suppress(OSError):  # a folder there: writes will say so
                    path.unlink(missing_ok=True)


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


# The hint: ten numbers of 20 characters and a space each, then a CRC-32 of 10 digits.
HINT_SIZE = 10 * 21 + 10
