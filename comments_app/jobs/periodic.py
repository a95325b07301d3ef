"""The runner of a periodic job: sleep until it is due, win its lock, run one round, log it."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..stores.contract import StoreError

# When another worker holds the lock (it is running the round), look again after this.
BUSY_WAIT = 1.0
# The longest sleep: a clock set back, or files removed by hand, are seen within this.
LONGEST_SLEEP = 300.0


class Job(Protocol):
    """Work done every so often by one worker of the instance."""

    name: str
    """What the log calls it: "backup"."""

    lock_path: Path
    """The file whose flock elects the worker that runs a round."""

    retry: float
    """Seconds before a failed round is tried again."""

    def due_in(self, now: float) -> float:
        """Return the seconds from now (a time.time()) until the next round, from what is on disk."""

    def run(self, stopped: Callable[[], bool]) -> str:
        """Do one round and return what the log says of it; give up when stopped() turns true."""


class Background:
    """A loop (_loop) in a thread of its own (a greenlet under gevent), stopped by asking."""

    def __init__(self, thread_name: str) -> None:
        # threading's, looked up now: under the gevent worker they are gevent's, so the
        # loop is a greenlet and its waits let the requests go on.
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=thread_name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop_soon(self) -> None:
        """Ask the loop to stop: it leaves its sleep at once, its work at its next step."""
        self._stopping.set()

    def wait(self, timeout: float) -> bool:
        """Wait up to timeout seconds for the loop to end; tell whether it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _loop(self) -> None:
        raise NotImplementedError


class Runner(Background):
    """Runs one job in a thread of its own (a greenlet under gevent) until stopped."""

    def __init__(self, job: Job, log: Any) -> None:
        super().__init__(f"{job.name} job")
        self.job = job
        self.log = log
        # This worker's own earliest next try, for when the shared note cannot be written.
        self._not_before = 0.0

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                delay = self._due_in(time.time())
                if delay <= 0:
                    self._round()
                    continue
            except Exception:
                # A fault of ours must not end the job for the worker's life: say it, go on.
                self.log.exception("%s job failed; trying again in %g s", self.job.name, self.job.retry)
                delay = self.job.retry
            self._stopping.wait(min(delay, LONGEST_SLEEP))

    def _due_in(self, now: float) -> float:
        """Return the seconds until a round should be tried: when due, and not too soon after a failure."""
        failed_at = self._failed_at()
        return max(
            self.job.due_in(now),
            failed_at + self.job.retry - now if failed_at else 0.0,
            self._not_before - now,
        )

    def _round(self) -> None:
        """Run a round if this worker wins the lock and the round is still due."""
        try:
            self._try_round()
        finally:
            # Whatever happened, not again at once: a round that found nothing to do,
            # or whose file the disk does not show, must not spin.
            self._not_before = max(self._not_before, time.time() + BUSY_WAIT)

    def _try_round(self) -> None:
        try:
            fd = os.open(self.job.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as error:
            self._failed(error, None)
            return
        try:
            try:
                # Never waits: a worker that loses looks at the disk again later.
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return
            # Another worker may have run the round between our look and our lock.
            if self._due_in(time.time()) > 0:
                return
            self._run(fd)
        finally:
            os.close(fd)  # and with it the flock

    def _run(self, fd: int) -> None:
        try:
            said = self.job.run(self._stopping.is_set)
        except Exception as error:
            if self._stopping.is_set():
                self.log.info("%s stopped with the worker before it was written", self.job.name)
                return
            self._failed(error, fd)
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        self.log.info("%s", said)

    def _failed(self, error: Exception, fd: int | None) -> None:
        """Log why a round failed, once, and put the next try off by the job's retry delay."""
        now = time.time()
        self._not_before = now + self.job.retry
        later = f"trying again in {self.job.retry:g} s"
        why = reason(error)
        if why is None:
            self.log.exception("%s failed; %s", self.job.name, later)
        else:
            self.log.error("%s failed: %s; %s", self.job.name, why, later)
        if fd is None:
            return
        # Noted in the lock file, which every worker reads, so that they wait too:
        # one try per retry delay for the instance, not one per worker.
        note = f"{now!r} failed\n".encode()
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, note, 0)

    def _failed_at(self) -> float:
        """Return when the last round of any worker failed, from the lock file; 0 if it did not."""
        try:
            with open(self.job.lock_path, "rb") as file:
                return float(file.read(64).split()[0])
        except (OSError, ValueError, IndexError):
            return 0.0


def reason(error: Exception) -> str | None:
    """Say why a round failed, for the operator's log and without secrets; None when unexpected."""
    if isinstance(error, StoreError):
        # The database's reason with the password left out (stores/postgres).
        return error.detail
    if isinstance(error, OSError):
        what = error.strerror or type(error).__name__
        return f"{error.filename}: {what}" if error.filename else what
    return None
