"""The JSON file store: comments in one file that many processes share safely."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .base import (
    Snapshot,
    StoreError,
    append_encoded,
    encode_comment,
    encode_list,
    last_id,
    new_comment,
    parse_list,
)


class StoreUnreadable(StoreError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"comments store is unreadable: {path}: {reason}")


# A file version's signature: inode, modification time in ns, size. Every write
# makes a new inode and a strictly later mtime, so a signature never comes back.
Signature = tuple[int, int, int]

EMPTY_ETAG = "empty"


def etag_for(sig: Signature | None) -> str:
    if sig is None:
        return EMPTY_ETAG
    return "{:x}-{:x}-{:x}".format(*sig)


def signature(st: os.stat_result) -> Signature:
    return (st.st_ino, st.st_mtime_ns, st.st_size)


@dataclass(frozen=True)
class _Version:
    sig: Signature | None
    body: bytes
    last_id: int
    # True when the body is in encode_list's layout, so a comment can be appended to it.
    appendable: bool

    @property
    def snapshot(self) -> Snapshot:
        return Snapshot(etag_for(self.sig), self.body)


_MISSING = _Version(None, b"[]\n", 0, True)


class _Pending:
    """A comment waiting to be written, and then what became of it."""

    def __init__(self, author: str, text: str) -> None:
        self.author = author
        self.text = text
        self.finished = False
        self.comment: dict = {}
        self.snapshot: Snapshot | None = None
        self.error: StoreError | None = None

    def finish(
        self, comment: dict | None = None, snapshot: Snapshot | None = None, error: StoreError | None = None
    ) -> None:
        self.comment = comment or {}
        self.snapshot = snapshot
        self.error = error
        self.finished = True


class JsonFileStore:
    """Comments in one JSON file, safe for many processes.

    Writes take an exclusive lock on a file beside the store, write a temporary
    file, fsync it and rename it over the store, so a crash leaves the old or the
    new file, never half of one. Each process keeps the last version's bytes and
    answers from them while a stat says the file is unchanged.

    Group commit: the threads of a process that post at the same time queue their
    comments, and one of them writes them all in one version, with one pair of
    fsyncs, while the others wait for it. Processes take turns by the lock.

    The lock file also holds a hint: the signatures and last ids of the version
    replaced and the version written, with a checksum, so that any process can
    append to a version it did not write without parsing it.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.tmp_path = self.path.with_name(self.path.name + ".tmp")
        self._version: _Version | None = None
        self._queue: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self._writer = threading.Lock()
        self._remove_leftovers()

    def __repr__(self) -> str:
        return f"JsonFileStore({str(self.path)!r})"

    def etag(self) -> str:
        return etag_for(self._stat())

    def snapshot(self) -> Snapshot:
        return self._current().snapshot

    def get(self, comment_id: int) -> dict | None:
        for item in parse_list(self._current().body):
            if item.get("id") == comment_id:
                return item
        return None

    def add(self, author: str, text: str) -> tuple[dict, Snapshot]:
        pending = _Pending(author, text)
        with self._queue_lock:
            self._queue.append(pending)
        # Threads wait here while one of them writes; the next one to get in writes
        # every comment queued meanwhile, its own and the others', in one version.
        with self._writer:
            if not pending.finished:
                self._commit()
        if pending.error is not None:
            raise pending.error
        return pending.comment, pending.snapshot

    def close(self) -> None:
        self._version = None

    # Reading

    def _stat(self) -> Signature | None:
        try:
            return signature(os.stat(self.path))
        except FileNotFoundError:
            return None

    def _current(self, lock_fd: int | None = None) -> _Version:
        """Return the version on disk, from memory while the file is unchanged."""
        cached = self._version
        if cached is not None and cached.sig == self._stat():
            return cached
        try:
            with open(self.path, "rb") as file:
                sig = signature(os.fstat(file.fileno()))
                body = file.read()
        except FileNotFoundError:
            return _MISSING
        except OSError as error:
            raise StoreUnreadable(self.path, error.strerror or str(error)) from None
        last = self._read_hint(lock_fd).get(sig)
        if last is not None:
            version = _Version(sig, body, last, True)
        else:
            try:
                items = parse_list(body)
            except ValueError as error:
                raise StoreUnreadable(self.path, str(error)) from None
            version = _Version(sig, body, last_id(items), False)
        self._version = version
        return version

    def _read_hint(self, lock_fd: int | None) -> dict[Signature, int]:
        """Return {signature: last id} for the versions the last writer replaced and wrote."""
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
        if len(numbers) != 8 or zlib.crc32(raw[: HINT_SIZE - 10]) != checksum:
            return {}
        return {tuple(numbers[0:3]): numbers[3], tuple(numbers[4:7]): numbers[7]}

    # Writing

    @contextmanager
    def _locked(self) -> Iterator[int]:
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
        try:
            try:
                fd = os.open(self.lock_path, flags, 0o644)
            except FileNotFoundError:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.lock_path, flags, 0o644)
        except OSError as error:
            raise StoreError(
                f"comments store could not be written: {self.lock_path}: {error.strerror}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)

    def _commit(self) -> None:
        """Write the queued comments in one new version; give each its result."""
        batch: list[_Pending] = []
        try:
            with self._locked() as lock_fd:
                # Taken once the lock is ours: what was queued while other
                # processes wrote goes into this version too.
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                version = self._current(lock_fd)
                comments = [
                    new_comment(number, pending.author, pending.text)
                    for number, pending in enumerate(batch, start=version.last_id + 1)
                ]
                lines = [encode_comment(comment) for comment in comments]
                if version.appendable:
                    body = append_encoded(version.body, lines)
                else:
                    # A file we did not write (a tutorial's, or edited by hand):
                    # rewrite it once in our layout; later writes append.
                    body = encode_list([*map(encode_comment, parse_list(version.body)), *lines])
                last = comments[-1]["id"]
                sig = self._write(body, version, lock_fd, last)
        except Exception as error:
            # Every comment of the batch fails with the write, or with the lock
            # when it could not be had (then the batch is whatever was queued).
            if not batch:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
            failure = error if isinstance(error, StoreError) else StoreError("comments store failed to write")
            for pending in batch:
                pending.finish(error=failure)
            if not isinstance(error, StoreError):
                raise
            return
        self._version = _Version(sig, body, last, True)
        snapshot = self._version.snapshot
        for pending, comment in zip(batch, comments, strict=True):
            pending.finish(comment=comment, snapshot=snapshot)

    def _write(self, body: bytes, previous: _Version, lock_fd: int, last: int) -> Signature:
        """Replace the file with body atomically and durably; return the new signature."""
        # Strictly later than the version it replaces, so that a reused inode
        # number can never bring back an old signature.
        mtime_ns = max(time.time_ns(), (previous.sig[1] + 1) if previous.sig else 0)
        try:
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
            # The hint names both versions before the rename, so no reader ever
            # sees the new file without its hint.
            self._write_hint(lock_fd, previous, sig, last)
            os.replace(self.tmp_path, self.path)
            self._fsync_folder()
        except OSError as error:
            with contextlib.suppress(OSError):
                self.tmp_path.unlink(missing_ok=True)
            raise StoreError(
                f"comments store could not be written: {self.path}: {error.strerror or error}"
            ) from None
        return sig

    def _fsync_folder(self) -> None:
        fd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    @staticmethod
    def _write_hint(lock_fd: int, previous: _Version, sig: Signature, last: int) -> None:
        # A hint, checked against the file's signature before use: no fsync needed.
        # Fixed width, so that it overwrites the last one without a truncate.
        old = (*previous.sig, previous.last_id) if previous.sig and previous.appendable else (0, 0, 0, 0)
        record = "".join(f"{number:20d} " for number in (*old, *sig, last)).encode()
        os.pwrite(lock_fd, record + b"%10d" % zlib.crc32(record), 0)

    def _remove_leftovers(self) -> None:
        """Delete the temporary file a killed writer left behind."""
        if not self.tmp_path.exists():
            return
        with self._locked(), contextlib.suppress(OSError):  # a folder there: writes will say so
            self.tmp_path.unlink(missing_ok=True)


# The hint: eight numbers of 20 characters and a space each, then a CRC-32 of 10 digits.
HINT_SIZE = 8 * 21 + 10
