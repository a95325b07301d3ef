"""Background jobs: work done on a schedule, beside the requests, never inside one.

A job (periodic.Job) says how long until it is due, reading that from what it left on
disk (the newest backup's name), and does one round of its work. Every worker of an
instance runs each job in a runner of its own (periodic.Runner): a thread, which under
gunicorn's gevent worker is a greenlet that sleeps cooperatively; the job sends what
blocks (reading the store, encoding, writing and fsyncing) to cooperative.blocking().

Elected by a lock: when a job is due, the workers try a non-blocking flock on the job's
lock file; the one that takes it looks at the disk again (another worker may have just
done the round) and runs it, the others look again a moment later and find it done. A
flock dies with its holder, so a kill -9 frees it for another worker; and since the
schedule is what is on disk, a restart or a new holder neither repeats a round nor
skips one. A failed round is logged once, noted in the lock file so that the other
workers wait too, and tried again after the job's retry delay; it never stops the service.

The notifications' sender (notifications.py) is elected the same way but keeps its lock
while it lives, delivering the store's outbox (stores/outbox.py) to notify/'s destinations.

Started in each gunicorn worker by the post_worker_init hook (gunicorn.conf.py), once
the app is loaded; stopped by the worker_exit hook, within about a second, a round cut
off leaving no part of a file behind. Never started by create_app: the tests' apps, the
test client and the commands run no jobs.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask

from ..notify import destinations
from ..state import app_state
from .backups import BackupJob
from .notifications import Sender
from .periodic import Runner

__all__ = ["Runner", "start", "stop"]

# How long a stopping worker waits for its jobs: a round notices a stop between two
# steps or two chunks of its file, so this is rarely reached.
STOP_WAIT = 1.0


def start(app: Flask, log: Any) -> list[Runner | Sender]:
    """Start the jobs the app's settings turn on, logging to log (gunicorn's); return their runners."""
    state = app_state(app)
    settings = state.settings
    runners: list[Runner | Sender] = []
    if settings.backup_dir is not None:
        job = BackupJob(state.store, settings.backup_dir, settings.backup_every, settings.backup_keep)
        runners.append(Runner(job, log))
    outbox = getattr(state.store, "outbox", None)
    sent_to = destinations(settings, state.store, log)
    if outbox is not None and sent_to:
        runners.append(Sender(outbox, sent_to, log, settings.notify_first_retry))
    for runner in runners:
        runner.start()
    return runners


def stop(runners: list[Runner | Sender]) -> None:
    """Stop the runners and wait for them, STOP_WAIT seconds at most in all."""
    deadline = time.monotonic() + STOP_WAIT
    for runner in runners:
        runner.stop_soon()
    for runner in runners:
        runner.wait(max(0.0, deadline - time.monotonic()))
