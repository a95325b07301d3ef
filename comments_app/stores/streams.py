"""Every change of a thread as it happens, for the readers of its event stream.

One Streams per process watches the threads that have readers. Every TICK it asks the
store for each such thread's signature (the file store: a stat of the thread's file;
PostgreSQL: the version its LISTEN/NOTIFY listener heard, no query) and, when one moved,
reads the changes since the version it last sent (feed.py: the same answer a ?since=
gets, so a pending or hidden comment is never in it) and encodes them once, as one
text/event-stream event that every reader of the thread is handed as the same bytes.

Each reader has a queue of its own. A reader whose queue passes MAX_QUEUED events has
stopped reading: it is closed and forgotten, and delivery to the others never waits for
it (its socket's own timeout ends a send it blocks in, web/api/events.py).

A reader joins under its thread's lock, which the watcher holds while it sends: the
changes since the reader's version and its place in the thread's readers are taken at
one version, so nothing is missed or sent twice between the two.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable

from ..model.versions import VERSION_FORM, VersionGone, VersionUnknown
from .contract import Store, StoreError

log = logging.getLogger(__name__)

# How often the watcher looks at the watched threads' signatures, in seconds: a change
# reaches its readers within this (plus the time to read it) of being stored.
TICK = 0.1
# With no signature to go by (PostgreSQL while its listener reconnects), how often a
# thread's version is read instead: a query each.
SLOW_TICK = 1.0
# What a reader may have waiting before it is taken for one that stopped reading: far more
# than a reading client ever has (it takes each event as it comes).
MAX_QUEUED = 64
# How often a reader's connection is sent a line when nothing happens (EventSource's
# default is to wait 3 s before reconnecting, which the first line also says).
RETRY = b"retry: 3000\n"
PING = b": ping\n\n"
# How many times a reader's catching up is tried again when a write lands while it is;
# a thread written faster than that gets a reset (the client loads its page again).
CATCH_UP_TRIES = 20


class StreamRefused(Exception):
    """A stream the process does not open now: status is the HTTP answer's."""

    def __init__(self, status: int, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class Stopping(Exception):
    """The process is shutting down: the client should reconnect (elsewhere) at once."""


def event(kind: str, data: bytes, event_id: str | None = None) -> bytes:
    """Encode one event: its id (a version), its name, and its data a line per JSON line."""
    head = b"" if event_id is None else b"id: %s\n" % event_id.encode()
    lines = data.rstrip(b"\n").split(b"\n")
    return head + b"event: %s\n" % kind.encode() + b"".join(b"data: %s\n" % line for line in lines) + b"\n"


def version_event(kind: str, version: str) -> bytes:
    """Encode an event that says only a version: where a reader stands, or a reset."""
    return event(kind, json.dumps({"version": version}).encode(), version)


class Reader:
    """One open stream: the events waiting to be sent to it, and whether it is closed."""

    __slots__ = ("abort", "client", "closed", "counted", "queue", "thread", "wake")

    def __init__(self, thread: str, client: str, abort: Callable[[], None] | None = None) -> None:
        self.thread = thread
        self.client = client
        # Ends the connection at once (a send it is blocked in fails): for a reader that
        # stopped reading, whose sender may be waiting on a full socket.
        self.abort = abort
        # A list, not a deque: a deque's first block costs half a kilobyte per stream.
        self.queue: list[bytes] = []
        self.wake = threading.Event()
        self.closed = False
        # Whether the reader is counted among the open streams (until it leaves).
        self.counted = False

    def put(self, data: bytes) -> bool:
        """Queue an event; close the reader instead when it stopped reading. Return whether queued."""
        if self.closed:
            return False
        if len(self.queue) >= MAX_QUEUED:
            log.info("streams: dropped a reader that stopped reading")
            self.close()
            if self.abort is not None:
                self.abort()
            return False
        self.queue.append(data)
        self.wake.set()
        return True

    def close(self) -> None:
        """End the stream: its sender returns at its next wake."""
        self.closed = True
        self.queue.clear()
        self.wake.set()

    def next_chunk(self) -> bytes | None:
        """Wait for what to send next: the queued events (and pings) together; None once
        the reader is closed. No timeout of its own: the watcher pings every reader at
        once, which costs a wake of the readers' senders, not a timer each."""
        while not self.closed:
            self.wake.wait()
            self.wake.clear()
            queue = self.queue
            if queue and not self.closed:
                self.queue = []
                return b"".join(queue) if len(queue) > 1 else queue[0]
        return None


class Watched:
    """A thread with readers: the version they have been sent up to, and what signed it."""

    __slots__ = ("checked", "joining", "lock", "readers", "signature", "thread", "version")

    def __init__(self, thread: str) -> None:
        self.thread = thread
        self.readers: set[Reader] = set()
        # Readers counted in but not among readers yet: the thread is kept for them.
        self.joining = 0
        self.lock = threading.Lock()
        self.version: str | None = None
        self.signature: tuple | None = None
        self.checked = 0.0


# Every process's Streams, for stop_all (a worker's SIGTERM).
_ALL: weakref.WeakSet[Streams] = weakref.WeakSet()


def stop_all() -> None:
    """End every open stream of the process, and open no more: it is shutting down."""
    for streams in list(_ALL):
        streams.stop()


class Streams:
    """The open streams of one process and the watcher that feeds them."""

    def __init__(
        self, store: Store, limit: int, per_client: int, ping: float = 15, tick: float = TICK
    ) -> None:
        self.store = store
        self.limit = limit
        self.per_client = per_client
        self.ping = ping
        self.tick = tick
        # When the watcher last pinged every reader.
        self._pinged = time.monotonic()
        self._lock = threading.Lock()
        self._threads: dict[str, Watched] = {}
        self._clients: Counter[str] = Counter()
        self._open = 0
        self._stopping = False
        self._watcher: threading.Thread | None = None
        # The store's site signature when the watcher last looked at every thread.
        self._site: tuple | None = None
        # How many events were encoded, and handed to readers: for /healthz and the tests.
        self.encoded = 0
        self.delivered = 0
        _ALL.add(self)

    @property
    def open_count(self) -> int:
        return self._open

    def open(
        self, thread: str, since: str | None, client: str, abort: Callable[[], None] | None = None
    ) -> tuple[Reader, bytes]:
        """Open a reader of a thread; return it and the first bytes to send it: the retry
        time, then either the changes since the version given (or a reset, when the store
        no longer knows it) or, with none given, where the thread stands."""
        reader = Reader(thread, client, abort)
        watched = self._join(reader)
        try:
            with watched.lock:
                head = RETRY + self._catch_up(watched, since)
                watched.readers.add(reader)
        except BaseException:
            self._leave(reader)
            raise
        finally:
            with self._lock:
                watched.joining -= 1
        self._start_watcher()
        return reader, head

    def close(self, reader: Reader) -> None:
        """Forget a reader whose stream ended, however it ended."""
        reader.close()
        watched = self._threads.get(reader.thread)
        if watched is not None:
            watched.readers.discard(reader)
        self._leave(reader)

    def stop(self) -> None:
        """Close every reader and refuse new ones (the process is stopping)."""
        with self._lock:
            self._stopping = True
            watched = list(self._threads.values())
        for thread in watched:
            for reader in list(thread.readers):
                reader.close()

    # Counting readers

    def _join(self, reader: Reader) -> Watched:
        with self._lock:
            if self._stopping:
                raise Stopping
            if self._open >= self.limit:
                raise StreamRefused(503, f"this server holds its most open streams ({self.limit})", 5)
            if self._clients[reader.client] >= self.per_client:
                raise StreamRefused(
                    429, f"at most {self.per_client} streams are open at once from one address", 10
                )
            self._open += 1
            self._clients[reader.client] += 1
            reader.counted = True
            watched = self._threads.get(reader.thread)
            if watched is None:
                watched = self._threads[reader.thread] = Watched(reader.thread)
            watched.joining += 1
            return watched

    def _leave(self, reader: Reader) -> None:
        with self._lock:
            if not reader.counted:
                return  # left already
            reader.counted = False
            self._open -= 1
            self._clients[reader.client] -= 1
            if self._clients[reader.client] <= 0:
                del self._clients[reader.client]

    # Sending

    def _catch_up(self, watched: Watched, since: str | None) -> bytes:
        """Return what a joining reader is sent first, at the version the thread's readers
        have been sent up to (holding the thread's lock)."""
        for _ in range(CATCH_UP_TRIES):
            self._refresh(watched, force=True)
            if since is None or since == watched.version:
                # Said to a client that resumes too: the first event comes at once, so that
                # a proxy that holds events back is noticed (ui/src/stream.js).
                return version_event("version", watched.version)
            if not VERSION_FORM.fullmatch(since):
                return version_event("reset", watched.version)
            try:
                changes = self.store.changes(since, watched.thread)
            except (VersionUnknown, VersionGone):
                return version_event("reset", watched.version)
            if changes.version == watched.version:
                if changes.empty:
                    return version_event("version", watched.version)
                return event("changes", changes.body, changes.version)
            # A write landed between the two reads: send it to the others, then try again.
        return version_event("reset", watched.version)

    def _refresh(self, watched: Watched, force: bool = False) -> None:
        """Bring a thread's readers up to its current version, holding its lock: one event
        for all of them, encoded once (nothing when no public comment changed)."""
        now = time.monotonic()
        signature = self.store.change_signature(watched.thread)
        if not force and watched.version is not None:
            if signature is None and now - watched.checked < SLOW_TICK:
                return
            if signature is not None and signature == watched.signature:
                return
        watched.checked = now
        # Read before the version: a write between the two is seen again at the next tick.
        watched.signature = signature
        version = self.store.etag(watched.thread)
        if version == watched.version:
            return
        if watched.version is None:
            watched.version = version
            return
        try:
            changes = self.store.changes(watched.version, watched.thread)
        except (VersionUnknown, VersionGone):
            data = version_event("reset", version)
        else:
            version = changes.version
            data = None if changes.empty else event("changes", changes.body, version)
        watched.version = version
        if data is None:
            return
        self.encoded += 1
        for reader in list(watched.readers):
            if reader.put(data):
                self.delivered += 1
            else:
                watched.readers.discard(reader)

    def _start_watcher(self) -> None:
        with self._lock:
            if self._watcher is None and not self._stopping:
                self._watcher = threading.Thread(target=self._watch, name="comments-streams", daemon=True)
                self._watcher.start()

    def _ping_all(self, watched: list[Watched]) -> None:
        """Every ping seconds, hand every reader the ping line (so routers keep idle
        streams open, and a client that went away is noticed when it is sent)."""
        now = time.monotonic()
        if now - self._pinged < self.ping:
            return
        self._pinged = now
        for thread in watched:
            for reader in list(thread.readers):
                if not reader.put(PING):
                    thread.readers.discard(reader)

    def _watch(self) -> None:
        """Look at every watched thread each tick, while any thread has readers."""
        while True:
            time.sleep(self.tick)
            with self._lock:
                for thread, watched in list(self._threads.items()):
                    if not watched.readers and not watched.joining:
                        del self._threads[thread]
                if not self._threads or self._stopping:
                    self._watcher = None
                    return
                watched_now = list(self._threads.values())
            self._ping_all(watched_now)
            # Nothing written anywhere since every thread was looked at: one stat or none,
            # however many threads are watched.
            site = self.store.site_signature()
            if site is not None and site == self._site:
                continue
            for watched in watched_now:
                try:
                    with watched.lock:
                        self._refresh(watched)
                except StoreError as error:
                    # Tried again at the next tick: the version sent up to has not moved.
                    log.warning("streams: cannot read thread changes now: %s", error.detail)
                except Exception:
                    log.exception("streams: reading a thread's changes failed")
                else:
                    continue
                site = None  # a thread not brought up to date: look again at the next tick
            self._site = site
