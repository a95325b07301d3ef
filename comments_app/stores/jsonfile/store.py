"""One thread's file: its comments in one JSON file that many processes share safely.

The default thread's file is COMMENTS_FILE itself (comments.json), as it was before
threads; a named thread's lives in the folder beside it (site.py). Each is kept by the
same machinery: the group commit, the atomic replace, the journal for ?since=, the hint
in the lock file, the versions named by sealed times. What the threads share (the ids,
the key) is handed in.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from ...cooperative import blocking, unstoppable
from ...model.comment import PUBLISHED, check_changes, full_view, is_deleted, is_public, public_view
from ...model.threads import DEFAULT, tag
from ...model.versions import VersionGone, VersionUnknown
from ..contract import Snapshot, StoreError
from ..feed import Changes, Page, make_changes, make_page, with_ancestors
from ..files import fsync_folder, write_all
from ..layout import parse_list
from ..private import Contact
from . import keyfile, registry
from .batch import Pending, SideWrite, apply, side_write, written_ids
from .ids import DEFAULT_TAG, Ids
from .journal import Journal
from .names import VersionNames
from .sidefile import SideFile
from .version import MISSING, Signature, Version, parsed, signature


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


@contextmanager
def exclusive(lock_path: Path) -> Iterator[int]:
    """Hold the lock of a file whose folder exists; wait for it in flock, so off the event loop."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise StoreUnwritable(lock_path, error.strerror or str(error)) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another process may hold it through its fsyncs
        yield fd
    finally:
        os.close(fd)


class ThreadFile:
    """One thread's comments in one JSON file, safe for many processes.

    Writes take an exclusive lock on a file beside it, write a temporary file, fsync
    it and rename it over the thread's file, so a crash leaves the old or the new
    file, never half of one. Each process keeps the last version's bytes and answers
    from them while a stat says the file is unchanged.

    Group commit: the threads of a process that change the thread's comments at the
    same time queue their changes (new comments, edits, deletions), and one of them
    writes them all in one version, with one pair of fsyncs, while the others wait for
    it. Processes take turns by the lock. A new comment's id comes from the store's ids
    (ids.py), fsynced before the file is written; its parent and the thread's closed
    flag are checked under the lock, after the changes queued before it.

    The lock file also holds a hint: the signatures and last ids of the version
    replaced and the version written, and whether each holds published comments
    only, with a checksum, so that any process can append to a version it did
    not write, and serve it, without parsing or searching it.

    The ETag is the file's modification time sealed by the thread's key (the store's
    key and the thread's tag) and a keyed digest of its signature: opaque, the same in
    every worker, known from a stat, and no other thread's. Reads never make the key
    under a lock: before the key exists, a version is named by a digest of the file's
    bytes, so that a folder this process cannot write still serves the list.
    """

    def __init__(
        self,
        path: Path,
        key: keyfile.SiteKey,
        ids: Ids,
        thread: str = DEFAULT,
        side: SideFile | None = None,
        notifies: bool = False,
    ) -> None:
        self.path = Path(path)
        # Where each write puts what it keeps privately (contacts) and, when someone
        # listens (notifies), the notifications it owes: in the write (sidefile.py).
        self._side = side
        self._notifies = notifies
        self.thread = thread
        self.tag = DEFAULT_TAG if thread == DEFAULT else tag(thread)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.tmp_path = self.path.with_name(self.path.name + ".tmp")
        self._key = key
        self._ids = ids
        # The default thread's versions are keyed as they were before threads, so that
        # the ETags clients hold stay valid; a named thread's by its tag too.
        purpose = b"comments list etag" + (b"" if thread == DEFAULT else b" " + self.tag.encode())
        self._names = VersionNames(key, purpose)
        self._version: Version | None = None
        # Changes waiting for a writer: appended under _turns, taken by the writer
        # (off the event loop) without it, as a deque's ends are thread-safe.
        self._queue: deque[Pending] = deque()
        self._turns = threading.Condition()
        self._writing = False
        self.journal_path = self.path.with_name(self.path.name + ".changes")
        self.journal_tmp_path = self.path.with_name(self.path.name + ".changes.tmp")
        self._journal = Journal(self.journal_path, self.journal_tmp_path)
        self._remove_leftovers()

    def __repr__(self) -> str:
        return f"ThreadFile({str(self.path)!r})"

    def etag(self) -> str:
        sig = self._stat()
        if sig is not None:
            self._key.for_reads()
        cached = self._version
        if cached is not None and cached.sig == sig and (cached.keyed or self._names.key() is None):
            return cached.etag
        if sig is not None and self._names.key() is None:
            return self._current().etag  # named by its bytes: read them
        return self._names.name(sig)

    def snapshot(self) -> Snapshot:
        return self._current().snapshot

    def page(self, limit: int, before: int | None = None) -> Page:
        version = self._current()
        return make_page(version.etag, version.public, limit, before)

    def changes(self, since: str) -> Changes:
        version = self._current()
        if since == version.etag:
            return make_changes(version.etag, since, [], [])
        when = self._names.since_time(since)
        if when > version.mtime:
            raise VersionUnknown("the version is not one of this list's")
        changed_ids = self._journal.changed_since(when, version.mtime)
        if changed_ids is None:
            raise VersionGone("the version is older than the changes this store remembers")
        # A reply's change can show or hide the placeholders above it: name them too.
        comments, removed = [], []
        for comment_id in sorted(with_ancestors(changed_ids, version.parent)):
            line = version.public.line(comment_id)
            if line is not None:
                comments.append(line)
            else:
                removed.append(comment_id)
        return make_changes(version.etag, since, comments, removed)

    def version(self, lock_fd: int | None = None) -> Version:
        """Return the version on disk (read when it changed); lock_fd: its lock, when held."""
        return self._current(lock_fd)

    def get(self, comment_id: int) -> dict | None:
        record = self._current().record(comment_id)
        return public_view(record) if record is not None and is_public(record) else None

    def record(self, comment_id: int) -> dict | None:
        record = self._current().record(comment_id)
        return full_view(record) if record is not None and not is_deleted(record) else None

    def moderation(self, status: str | None = None) -> list[dict]:
        comments = self._current().moderation
        return [comment for comment in comments if status is None or comment["status"] == status]

    def add(
        self,
        author: str,
        text: str,
        status: str = PUBLISHED,
        parent: int | None = None,
        contact: Contact | None = None,
        key: tuple[str, int | None] | None = None,
    ) -> tuple[dict, Snapshot]:
        """Add a comment; key: the request's Idempotency-Key and its token's stamp, kept with it."""
        details = {"author": author, "text": text, "status": status, "parent": parent}
        pending = Pending("add", **details)
        pending.contact = contact
        pending.key = key
        pending = self._submit(pending)
        return full_view(pending.record), pending.snapshot

    def update(self, comment_id: int, changes: Mapping[str, str]) -> tuple[dict, Snapshot]:
        check_changes(changes)  # here, before it joins a batch
        pending = self._submit(Pending("update", comment_id=comment_id, changes=dict(changes)))
        return full_view(pending.record), pending.snapshot

    def delete(self, comment_id: int) -> Snapshot:
        return self._submit(Pending("delete", comment_id=comment_id)).snapshot

    def wrote(self, version: int) -> bool:
        """Tell whether the version of this modification time (ns) was renamed in: it is
        the file, or a later write replaced it. Asked under the lock when in doubt, so
        that a write between its outbox and its rename is not taken for a killed one."""
        if self._renamed_in(version):
            return True
        with self._locked():
            return self._renamed_in(version)

    def _renamed_in(self, version: int) -> bool:
        sig = self._stat()
        return (sig is not None and sig[1] == version) or self._journal.followed(version)

    def closed(self) -> bool:
        return registry.is_closed(self.path)

    def close_thread(self, closed: bool) -> None:
        """Close the thread to new comments, or open it again, under its lock (registry.py)."""
        blocking(self._set_closed, closed)

    def _set_closed(self, closed: bool) -> None:
        with self._locked():
            registry.set_closed(self.path, self.thread, closed)

    def secret_key(self) -> bytes:
        """Return the store's key, making the key file on first use (a write)."""
        return self._key.make()

    def export_records(self) -> list[dict]:
        """Return every record of one version of the file (it is replaced whole, never edited)."""
        return [json.loads(line) for line in self._current().lines]

    def import_records(self, records: list[dict]) -> tuple[int, int]:
        """Add the records whose ids the store lacks, in one write as durable as a POST.

        Return (added, already there). Ids are kept, the file stays in id order, and
        new comments get ids after the highest one.
        """
        pending = self._submit(Pending("import", records=records))
        return pending.record["added"], pending.record["present"]

    def close(self) -> None:
        self._version = None

    def _submit(self, pending: Pending) -> Pending:
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

    def _current(self, lock_fd: int | None = None) -> Version:
        """Return the version on disk, from memory while the file is unchanged."""
        sig = self._stat()
        if sig is not None and lock_fd is None:
            self._key.for_reads()  # a version of a file is named by the key
        cached = self._version
        if cached is not None and cached.sig == sig and (cached.keyed or self._names.key() is None):
            return cached
        try:
            with open(self.path, "rb") as file:
                sig = signature(os.fstat(file.fileno()))
                body = file.read()
        except FileNotFoundError:
            return MISSING
        except OSError as error:
            raise StoreUnreadable(self.path, error.strerror or str(error)) from None
        if not body.strip():
            # An empty file (`touch comments.json`) is an empty list; the first
            # comment writes it in the layout later writes append to.
            version = Version(sig, b"[]\n", 0, self._names.name(sig, body))
            version.all_public = True
            self._version = version
            return version
        hint = self._read_hint(lock_fd).get(sig)
        if hint is not None:
            version = Version(sig, body, hint[0], self._names.name(sig, body))
            version.all_public = bool(hint[1])
        else:
            try:
                items = parse_list(body)
            except ValueError as error:
                raise StoreUnreadable(self.path, str(error), content=str(error)) from None
            version = parsed(sig, body, items, self._names.name(sig, body))
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
        # The store's folder is never created here: a missing one (a volume not
        # mounted) fails the write rather than starting a new, empty store. The
        # threads' folder inside it is made by the first named thread's write.
        if self.thread != DEFAULT and not self.path.parent.is_dir():
            try:
                self._make_threads_folder()
            except OSError as error:
                raise StoreUnwritable(self.path.parent, error.strerror or str(error)) from None
        with exclusive(self.lock_path) as fd:
            yield fd

    def _make_threads_folder(self) -> None:
        folder = self.path.parent
        if not folder.parent.is_dir():
            raise FileNotFoundError(2, "its folder is missing")
        with contextlib.suppress(FileExistsError):
            folder.mkdir()
        fsync_folder(folder.parent)

    def _commit(self) -> None:
        """Write the queued changes in one new version; give each its result."""
        batch: list[Pending] = []
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

    def _write_batch(self, batch: list[Pending]) -> Version | None:
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
            written = apply(previous, batch, self.thread, self.tag, self._ids, self.closed)
            if written is None:
                return None
            body, last, public = written
            side = side_write(batch, self.thread, self._notifies)
            sig = self._write(body, previous, lock_fd, last, public, written_ids(batch), side)
        version = Version(sig, body, last, self._names.name(sig, body))
        version.all_public = public
        return version

    def _take_queue(self) -> list[Pending]:
        taken = []
        with contextlib.suppress(IndexError):
            while True:
                taken.append(self._queue.popleft())
        return taken

    def _write(
        self,
        body: bytes,
        previous: Version,
        lock_fd: int,
        last: int,
        public: bool,
        ids: list[int],
        side: SideWrite,
    ) -> Signature:
        """Replace the file with body atomically and durably; return the new signature."""
        # Strictly later than the version it replaces, so that a reused inode
        # number can never bring back an old signature.
        mtime_ns = max(time.time_ns(), (previous.sig[1] + 1) if previous.sig else 0)
        try:
            return self._write_version(body, previous, lock_fd, mtime_ns, (last, int(public)), ids, side)
        except OSError as error:
            with contextlib.suppress(OSError):
                self.tmp_path.unlink(missing_ok=True)
            raise StoreUnwritable(self.path, error.strerror or str(error)) from None

    def _write_version(
        self,
        body: bytes,
        previous: Version,
        lock_fd: int,
        mtime_ns: int,
        hinted: tuple[int, int],
        ids: list[int],
        side: SideWrite,
    ) -> Signature:
        """Write body to the temporary file and fsync it; then the journal's entry, the
        side file's rows (events, contacts, keys) and the hint, so that no reader ever sees the
        new file without them; then rename it over the store and fsync the folder. Return the
        new file's signature."""
        fd = os.open(self.tmp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            if previous.sig is not None:
                os.fchmod(fd, os.stat(self.path).st_mode & 0o7777)
            write_all(fd, body)
            os.utime(fd, ns=(mtime_ns, mtime_ns))
            os.fsync(fd)
            sig = signature(os.fstat(fd))
        finally:
            os.close(fd)
        self._journal.append(previous.mtime, sig[1], ids)
        if side and self._side is not None:
            # Before the rename: a change on disk always has its events, contacts and keys
            # (sidefile.py drops those of a version a kill kept from being renamed in).
            self._side.put(
                side.events, side.contacts, side.forgotten, self.thread, sig[1], time.time(), side.keys
            )
        # The hint needs no fsync: it is checked against the file's signature before use.
        self._write_hint(lock_fd, previous, (*sig, *hinted))
        os.replace(self.tmp_path, self.path)
        fsync_folder(self.path.parent)
        return sig

    @staticmethod
    def _write_hint(lock_fd: int, previous: Version, new: tuple[int, ...]) -> None:
        # A hint, checked against the file's signature before use: no fsync needed.
        # Fixed width, so that it overwrites the last one without a truncate.
        old = (0,) * 5
        if previous.sig and previous.appendable:
            old = (*previous.sig, previous.last_id, int(previous.all_public))
        record = "".join(f"{number:20d} " for number in (*old, *new)).encode()
        os.pwrite(lock_fd, record + b"%10d" % zlib.crc32(record), 0)

    def _remove_leftovers(self) -> None:
        """Delete the temporary files a killed writer left behind."""
        leftovers = [self.tmp_path, self.journal_tmp_path, registry.leftover(self.path)]
        if self.thread == DEFAULT:
            leftovers += [self._key.tmp_path, self._ids.tmp_path]
        if not any(path.exists() for path in leftovers):
            return
        with self._locked():
            for path in leftovers:
                with contextlib.suppress(OSError):  # a folder there: writes will say so
                    path.unlink(missing_ok=True)


# The hint: ten numbers of 20 characters and a space each, then a CRC-32 of 10 digits.
HINT_SIZE = 10 * 21 + 10
