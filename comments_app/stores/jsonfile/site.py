"""The file store of a whole site: one file per thread, routed by the thread's name.

    comments.json                  the default thread (everything from before threads), as it was
    comments.json.lock/.changes    its lock (with the hint) and journal; .key, the store's key
    comments.json.ids              which id each thread was given (ids.py), once a named thread exists
    comments.json.threads/<tag>.json   a named thread (tag: model.threads.tag), with the same
                                   .lock and .changes beside it, and .closed while it is closed

A write costs what it costs in a thread of that size, whatever the site holds: it
rewrites one thread's file (tens of kB), appends to the ids file, and nothing else. A
worker reads nothing at start; it reads a thread's file when the thread is first asked
for, keeps the versions of the threads it serves while they fit in CACHE_BYTES (the
least recently used dropped first), and reads the ids file when a comment is first
asked for by id.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path

from ...model.comment import PUBLISHED, full_view, is_deleted, public_view
from ...model.threads import DEFAULT, tag
from ..contract import CommentNotFound, Counts, Snapshot, ThreadInfo
from ..feed import Changes, Page
from ..layout import is_public_line, parse_list
from ..private import Contact
from . import keyfile, registry
from .idempotency import FileKeys, KeyedAdd
from .ids import DEFAULT_TAG, TAG_LENGTH, Ids
from .outbox import FileOutbox
from .private import FilePrivate
from .sidefile import SideFile
from .store import ThreadFile, exclusive
from .version import signature

# How many bytes of threads' files a worker keeps in memory (their parsed forms cost
# about as much again), and how many threads it keeps at most, read or not.
CACHE_BYTES = 8 << 20
CACHE_THREADS = 4096
# How many ids latest() looks at, at most, for each comment it returns: hidden and
# deleted comments are passed over, up to this bound.
LATEST_SCAN = 20
# How old the newest modification time must be for site_signature to vouch for it:
# timestamps come from a clock that may tick only every few milliseconds, so a change
# made in the same tick as the last look would not move them.
SETTLED_NS = 1_000_000_000
# Enough of a thread's file to hold its first record, nearly always.
FIRST_RECORD_BYTES = 1 << 16


class JsonFileStore:
    """The comments of a site in JSON files, one per thread, safe for many processes."""

    kind = "file"

    def __init__(
        self,
        path: Path | str,
        secret: bytes | None = None,
        cache_bytes: int = CACHE_BYTES,
        outbox: bool = False,
    ) -> None:
        self.path = Path(path)
        # What the threads' files must not hold (sidefile.py): authors' contacts (private.py)
        # and, when someone listens, the notifications each write owes (outbox.py).
        self._side = SideFile(self.path.with_name(self.path.name + ".outbox"))
        self._notifies = outbox
        self.outbox = FileOutbox(self._side, self._wrote) if outbox else None
        self.private = FilePrivate(self._side, self._wrote)
        # The Idempotency-Keys the adds kept with their comments (idempotency.py), and what
        # this context's next add does with its request's key (attach_key).
        self.keys = FileKeys(self._side, self._wrote)
        self._keyed: ContextVar[KeyedAdd | None] = ContextVar(f"comments_file_keyed_{id(self)}", default=None)
        self.threads_path = self.path.with_name(self.path.name + ".threads")
        self._threads_prefix = str(self.threads_path) + os.sep
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._key = keyfile.SiteKey(
            self.path.with_name(self.path.name + ".key"), secret, lambda: exclusive(self.lock_path)
        )
        self._ids = Ids(
            self.path.with_name(self.path.name + ".ids"),
            lambda: exclusive(self.lock_path),
            lambda lock_fd: sorted(self._default.version(lock_fd).positions),
        )
        self._default = ThreadFile(self.path, self._key, self._ids, side=self._side, notifies=outbox)
        self._cache_bytes = cache_bytes
        self._files: OrderedDict[str, ThreadFile] = OrderedDict()
        self._sizes: dict[str, int] = {}
        self._total = 0
        self._files_lock = threading.Lock()
        # {tag: (signature, published count)}: a count is known from a stat while its
        # file is unchanged.
        self._counts: dict[str, tuple[tuple[int, int, int], int]] = {}
        self._places: dict[str, tuple[str, str]] = {}
        self._counts_key: bytes | None = None

    def __repr__(self) -> str:
        return f"JsonFileStore({str(self.path)!r})"

    # The default thread's file, as tools and tests reach it.

    @property
    def journal_path(self) -> Path:
        return self._default.journal_path

    @property
    def _journal(self):
        return self._default._journal

    @property
    def _queue(self):
        return self._default._queue

    def _seal_time(self, mtime: int) -> str:
        return self._default._names.seal(mtime)

    def _open_time(self, sealed: str) -> int | None:
        return self._default._names.open(sealed)

    # Routing

    def _file(self, thread: str) -> ThreadFile:
        """Return the thread's file, kept while it fits in the cache."""
        if thread == DEFAULT:
            return self._default
        name, _ = self._where(thread)
        with self._files_lock:
            found = self._files.get(name)
            if found is not None:
                self._files.move_to_end(name)
                return found
        found = ThreadFile(
            self.threads_path / f"{name}.json", self._key, self._ids, thread, self._side, self._notifies
        )
        with self._files_lock:
            found = self._files.setdefault(name, found)
            self._files.move_to_end(name)
            self._evict()
        return found

    def _wrote(self, thread: str, version: int) -> bool:
        """Tell whether a thread's version (its modification time, ns) was renamed in (outbox.py)."""
        return self._file(thread).wrote(version)

    def _served(self, file: ThreadFile) -> None:
        """Count the bytes of the version a thread's file now holds; drop the least used past the budget."""
        if file.thread == DEFAULT:
            return
        version = file._version
        size = len(version.body) if version is not None else 0
        with self._files_lock:
            if self._files.get(file.tag) is file:
                self._total += size - self._sizes.get(file.tag, 0)
                self._sizes[file.tag] = size
                self._evict()

    def _evict(self) -> None:
        # Called holding _files_lock. A file dropped mid-write finishes its write: one
        # taken again meanwhile is another object, and the lock file orders the two. The
        # one just used stays, however large: it would be read again at once.
        while len(self._files) > 1 and (len(self._files) > CACHE_THREADS or self._total > self._cache_bytes):
            name, _ = self._files.popitem(last=False)
            self._total -= self._sizes.pop(name, 0)

    def _by_id(self, comment_id: int) -> ThreadFile | None:
        """Return the file of the thread that holds a comment, or None when none does."""
        found = self._ids.thread_of(comment_id) if self._ids.exists() else None
        if found is None or found == DEFAULT_TAG:
            return self._default
        return self._file_by_tag(found)

    def _file_by_tag(self, name: str) -> ThreadFile | None:
        with self._files_lock:
            found = self._files.get(name)
        if found is not None:
            return found
        # The thread's name is in its records: read the first to route by it.
        try:
            with open(self.threads_path / f"{name}.json", "rb") as file:
                thread = _thread_named_in(file.read(FIRST_RECORD_BYTES))
                if thread is None:
                    file.seek(0)
                    thread = _thread_named_in(file.read())
        except FileNotFoundError:
            return None
        return self._file(thread) if isinstance(thread, str) and tag(thread) == name else None

    # Reading

    def etag(self, thread: str = DEFAULT) -> str:
        return self._file(thread).etag()

    def snapshot(self, thread: str = DEFAULT) -> Snapshot:
        file = self._file(thread)
        snapshot = file.snapshot()
        self._served(file)
        return snapshot

    def page(self, limit: int, before: int | None = None, thread: str = DEFAULT) -> Page:
        file = self._file(thread)
        page = file.page(limit, before)
        self._served(file)
        return page

    def changes(self, since: str, thread: str = DEFAULT) -> Changes:
        file = self._file(thread)
        changes = file.changes(since)
        self._served(file)
        return changes

    def get(self, comment_id: int) -> dict | None:
        file = self._by_id(comment_id)
        return None if file is None else file.get(comment_id)

    def record(self, comment_id: int) -> dict | None:
        file = self._by_id(comment_id)
        return None if file is None else file.record(comment_id)

    def moderation(self, status: str | None = None, thread: str | None = None) -> list[dict]:
        if thread is not None:
            return self._file(thread).moderation(status)
        found = [comment for file in self._every_file() for comment in file.moderation(status)]
        return sorted(found, key=lambda comment: comment["id"])

    def counts(self, threads: list[str]) -> Counts:
        counts: dict[str, int] = {}
        signatures = []
        for thread in threads:
            name, sig, count = self._count(thread)
            counts[thread] = count
            signatures.append((name, sig))
        return Counts(self._counts_etag(signatures), counts)

    def counts_signature(self, threads: list[str]) -> tuple | None:
        """Return the signatures of the threads' files: a stat each, nothing read."""
        signatures = []
        for thread in threads:
            try:
                signatures.append(signature(os.stat(self._where(thread)[1])))
            except FileNotFoundError:
                signatures.append(None)
        return tuple(signatures)

    def site_signature(self) -> tuple | None:
        """Return the modification times of the default thread's file and of the threads'
        folder (a thread's file renamed in changes the folder's); None while either changed
        within SETTLED_NS, which the file system's clock may not tell apart from later."""
        stamps = []
        for path in (self.path, self.threads_path):
            try:
                stamps.append(os.stat(path).st_mtime_ns)
            except FileNotFoundError:
                stamps.append(0)
        if time.time_ns() - max(stamps) < SETTLED_NS:
            return None
        return tuple(stamps)

    def change_signature(self, thread: str) -> tuple | None:
        """Return the signature of the thread's file: a stat, nothing read."""
        return self.counts_signature([thread])

    def _count(self, thread: str) -> tuple[str, tuple | None, int]:
        name, file_path = self._where(thread)
        try:
            sig = signature(os.stat(file_path))
        except FileNotFoundError:
            return name, None, 0
        known = self._counts.get(name)
        if known is not None and known[0] == sig:
            return name, sig, known[1]
        file = self._file(thread)
        version = file.version()
        count = version.public.published
        self._served(file)
        if len(self._counts) > CACHE_THREADS * 4:
            self._counts.clear()
        self._counts[name] = (version.sig, count)
        return name, version.sig, count

    def _where(self, thread: str) -> tuple[str, str]:
        """Return a thread's tag and the path of its file, as strings: counts ask for 100
        threads at a time, and a stat is then the rest of a thread's cost."""
        found = self._places.get(thread)
        if found is None:
            if len(self._places) > CACHE_THREADS * 4:
                self._places.clear()
            name = DEFAULT_TAG if thread == DEFAULT else tag(thread)
            path = str(self.path) if thread == DEFAULT else f"{self._threads_prefix}{name}.json"
            found = self._places[thread] = (name, path)
        return found

    def _counts_etag(self, signatures: list) -> str:
        """Name the versions of the threads counted: keyed, so that it tells nothing of the files."""
        key = self._counts_key
        if key is None:
            secret = self._key.existing()
            key = hmac.digest(secret or b"", b"comments counts etag", "sha256")
            if secret is not None:
                self._counts_key = key
        return "c-" + hashlib.blake2b(repr(signatures).encode(), key=key, digest_size=12).hexdigest()

    def latest(self, limit: int) -> list[dict]:
        if not self._ids.exists():
            return [self._latest_view(comment, DEFAULT) for comment in self._default_latest(limit)]
        found: list[dict] = []
        for comment_id, name in itertools.islice(self._ids.newest(), limit * LATEST_SCAN):
            file = self._default if name == DEFAULT_TAG else self._file_by_tag(name)
            comment = None if file is None else file.get(comment_id)
            if comment is not None:
                found.append(self._latest_view(comment, file.thread))
                if len(found) == limit:
                    break
        return found

    def _default_latest(self, limit: int) -> list[dict]:
        lines = self._default.version().lines
        newest = [line for line in reversed(lines) if is_public_line(line)][:limit]
        return [json.loads(line) for line in newest]

    @staticmethod
    def _latest_view(comment: dict, thread: str) -> dict:
        return {**public_view(comment), "thread": thread if thread != DEFAULT else None}

    def thread_info(self, thread: str) -> ThreadInfo:
        _, _, count = self._count(thread)
        return ThreadInfo(thread, self._file(thread).closed(), count)

    def close_thread(self, thread: str, closed: bool) -> ThreadInfo:
        self._file(thread).close_thread(closed)
        return self.thread_info(thread)

    def closed_threads(self) -> list[str]:
        names = registry.closed_names(self.threads_path)
        if self._default.closed():
            names.append(DEFAULT)
        return sorted(names)

    # Writing

    def add(
        self,
        author: str,
        text: str,
        status: str = PUBLISHED,
        thread: str = DEFAULT,
        parent: int | None = None,
        contact: Contact | None = None,
    ) -> tuple[dict, Snapshot]:
        keyed = self._keyed.get()
        if keyed is not None and keyed.comment_id is not None:
            return self._stored(keyed.comment_id)
        file = self._file(thread)
        key = None if keyed is None else (keyed.key, keyed.stamp)
        answer = file.add(author, text, status, parent, contact, key)
        self._served(file)
        return answer

    def attach_key(self, keyed: KeyedAdd | None) -> None:
        """Say what this context's next add does with an Idempotency-Key (None: nothing)."""
        self._keyed.set(keyed)

    def _stored(self, comment_id: int) -> tuple[dict, Snapshot]:
        """Return a comment an earlier add stored, as add returned it, and its thread's list now."""
        file = self._by_id(comment_id)
        record = None if file is None else file.version().record(comment_id)
        if record is None:  # only a restore of an older backup could lose it
            raise CommentNotFound(comment_id)
        if is_deleted(record):
            # Deleted since: its tombstone, emptied, as a comment (the answer's shape).
            record = {"author": "", "text": "", **{k: v for k, v in record.items() if k != "deleted"}}
        snapshot = file.snapshot()
        self._served(file)
        return full_view(record), snapshot

    def update(self, comment_id: int, changes: Mapping[str, str]) -> tuple[dict, Snapshot]:
        file = self._by_id(comment_id)
        if file is None:
            raise CommentNotFound(comment_id)
        answer = file.update(comment_id, changes)
        self._served(file)
        return answer

    def delete(self, comment_id: int) -> Snapshot:
        file = self._by_id(comment_id)
        if file is None:
            raise CommentNotFound(comment_id)
        snapshot = file.delete(comment_id)
        self._served(file)
        return snapshot

    def secret_key(self) -> bytes:
        return self._key.make()

    def export_records(self) -> list[dict]:
        """Return every record of every thread, in id order: each thread's from one version."""
        records = [record for file in self._every_file() for record in file.export_records()]
        return sorted(records, key=lambda record: record.get("id") if type(record.get("id")) is int else -1)

    def import_records(self, records: list[dict]) -> tuple[int, int]:
        """Add the records whose ids the store lacks, each thread's in one write as durable
        as a POST; return (added, already there)."""
        by_thread: dict[str, list[dict]] = {}
        for record in records:
            thread = record.get("thread")
            by_thread.setdefault(thread if isinstance(thread, str) else DEFAULT, []).append(record)
        added = present = 0
        # The default thread first: the ids file, when a named thread makes it, then holds its ids.
        for thread in sorted(by_thread):
            more, there = self._file(thread).import_records(by_thread[thread])
            added, present = added + more, present + there
        return added, present

    def _every_file(self) -> list[ThreadFile]:
        """Return the default thread's file and every named thread's (the moderation list, a backup)."""
        files = [self._default]
        with contextlib.suppress(FileNotFoundError):
            for entry in sorted(os.scandir(self.threads_path), key=lambda entry: entry.name):
                name, _, rest = entry.name.partition(".")
                if rest == "json" and len(name) == TAG_LENGTH:
                    found = self._file_by_tag(name)
                    if found is not None:
                        files.append(found)
        return files

    def write_problem(self) -> str | None:
        return self._default.write_problem()

    def close(self) -> None:
        self._default._version = None
        with self._files_lock:
            self._files.clear()
            self._sizes.clear()
            self._total = 0
        self._counts.clear()


def _thread_named_in(body: bytes) -> object:
    """Return the thread its first record names, read from a thread file's first line."""
    first = body.find(b"\n{")
    end = body.find(b"\n", first + 1)
    with contextlib.suppress(ValueError):
        if first >= 0 and end > first:
            return json.loads(body[first + 1 : end].rstrip(b",")).get("thread")
    # Not in the layout stores write (edited by hand): parse it.
    with contextlib.suppress(ValueError):
        items = parse_list(body)
        return items[0].get("thread") if items else None
    return None
