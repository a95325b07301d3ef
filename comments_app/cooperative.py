"""Cooperate with gunicorn's gevent worker: keep blocking calls off the event loop, bound waits.

Under the gevent worker (the default, see gunicorn.conf.py) every request of a process
runs in one OS thread; a call that blocks in the kernel (flock, fsync) or holds the
CPU (scrypt) would stall every other client of that worker. Such calls go through
blocking(), which runs them in gevent's pool of real threads while the other
requests go on. Elsewhere (the Flask test client, a threaded server, the CLI) both
helpers fall back to plain calls.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


class DeadlinePassed(Exception):
    """A client did not send what it owed in time.

    An Exception, not a BaseException like gevent's own Timeout: gunicorn marks a body
    whose read raised one as failed and closes the connection after the answer.
    """


def under_gevent() -> bool:
    """Tell whether gevent has patched this process (gunicorn's gevent worker does)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("threading")


def blocking(func: Callable[..., T], *args) -> T:
    """Call func(*args) where it cannot stall the other requests of this process."""
    if not under_gevent():
        return func(*args)
    import gevent

    return _raised(gevent.get_hub().threadpool.apply(_outcome, (func, args)))


def unstoppable(func: Callable[[], T]) -> T:
    """Call func() through to its end even if the caller is stopped meanwhile.

    Under gevent func runs in a greenlet of its own, which the caller waits for: a
    timeout or a kill that stops the caller (a worker's graceful timeout) leaves it
    running. A thread cannot be stopped from outside: elsewhere it is a plain call.
    """
    if not under_gevent():
        return func()
    import gevent

    return _raised(gevent.spawn(_outcome, func, ()).get())


# gevent reports an exception that leaves a pool's thread or a greenlet to its hub, which
# prints the traceback; an expected failure (a store that cannot be written) must cost
# its one log line, so it comes back as a value and is raised in the caller.


def _outcome(func: Callable[..., T], args: tuple) -> tuple[bool, T | Exception]:
    try:
        return False, func(*args)
    except Exception as error:
        return True, error


def _raised(outcome: tuple[bool, T | Exception]) -> T:
    failed, value = outcome
    if failed:
        raise value
    return value


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise DeadlinePassed in the block when it takes longer than seconds in all.

    Only under gevent, where waiting on a socket yields and can be interrupted; a
    threaded server has no way to interrupt a thread blocked in recv.
    """
    if not under_gevent():
        yield
        return
    import gevent

    timeout = gevent.Timeout(seconds, DeadlinePassed)
    timeout.start()
    try:
        yield
    finally:
        timeout.close()


def serialized(method):
    """Run a method under its object's self._lock, off the event loop: one request at a time
    on a shared SQLite connection, whose statements fsync (the Idempotency-Key records) or
    sleep in SQLite's busy handler while another worker writes."""

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self._lock:
            return blocking(functools.partial(method, self, *args, **kwargs))

    return run
