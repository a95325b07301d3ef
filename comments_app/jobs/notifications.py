"""The sender: delivers the outbox's items, in one worker of the instance at a time.

Every worker runs a sender (a thread, a greenlet under gevent); each tries, once a
second, to take the outbox's sender lock without waiting (a flock on the file store, a
session advisory lock on PostgreSQL, shared by every instance on the database). The one
that holds it keeps it while it lives, asking the outbox every POLL seconds for the items
that are due and delivering them one by one: a delivered item goes, a failed one waits
(the first retry after COMMENTS_NOTIFY_FIRST_RETRY, each wait twice the last, at most an
hour) and after 24 hours is kept as failed. A kill -9 frees the lock (the kernel closes
the file, the database ends the session), so another worker takes over within a second;
an item being delivered then is sent again (at least once, with the same id).

Never inside a request: started by gunicorn.conf.py's post_worker_init, stopped by
worker_exit between two deliveries; a stopping worker waits for its sender a second at
most (jobs/__init__.py's STOP_WAIT), not for a delivery under way (a webhook waits 5 s for
its answer, an SMTP server 10 s for each step): that one is sent again by the next sender.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from ..cooperative import blocking
from ..notify import Destination
from ..stores.contract import StoreError
from ..stores.outbox import Item, Outbox, retry_at
from .periodic import Background

# How often the elected sender looks for new items; how often the others try the lock.
POLL = 0.25
ELECTION_WAIT = 1.0
# Items taken per look.
BATCH = 50


class Sender(Background):
    """Delivers an outbox's items to its destinations while this worker holds the sender lock.

    Each item goes to every destination that wants it; one that failed is tried again
    later with the destinations that did not have it yet (the item's done).
    """

    name = "notifications"

    def __init__(self, outbox: Outbox, destinations: list[Destination], log: Any, first_retry: float) -> None:
        super().__init__("notifications sender")
        self.outbox = outbox
        self.destinations = destinations
        self.log = log
        self.first_retry = first_retry
        self._lock = outbox.sender()
        self._held = False
        self._trouble: str | None = None

    def _loop(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    delay = self._turn()
                    self._trouble = None
                except StoreError as error:
                    # The store away (the database down, the outbox file unusable): said
                    # once, not every second, until it changes; another worker may try.
                    if error.detail != self._trouble:
                        self.log.error("notifications: the outbox cannot be read: %s", error.detail)
                    self._trouble = error.detail
                    self._give_up_lock()
                    delay = ELECTION_WAIT
                except Exception:
                    # A fault of ours: say it, let another worker try.
                    self.log.exception("notifications: sending failed; trying again in %g s", ELECTION_WAIT)
                    self._give_up_lock()
                    delay = ELECTION_WAIT
                self._stopping.wait(delay)
        finally:
            self._give_up_lock()

    def _turn(self) -> float:
        """Take the lock if free, deliver what is due; return how long to wait before the next turn."""
        if not self._held:
            self._held = blocking(self._lock.acquire)
            if not self._held:
                return ELECTION_WAIT
            self.log.info("notifications: this worker sends the outbox")
        self.send_due()
        return POLL

    def _give_up_lock(self) -> None:
        if self._held:
            self._held = False
            blocking(self._lock.release)

    def send_due(self) -> int:
        """Deliver the items due now, oldest first; return how many were delivered."""
        sent = 0
        for item in blocking(self.outbox.due, time.time(), BATCH):
            if self._stopping.is_set():
                break
            sent += self._deliver(item)
        return sent

    def _deliver(self, item: Item) -> int:
        done = list(item.done)
        problems = []
        for destination in self.destinations:
            if destination.name in item.done or not destination.wants(item):
                continue
            try:
                problem = destination.deliver(item)
            except Exception:
                # A fault of ours, or a store's refusal: this item waits and is tried again
                # like any failure, and the items behind it go on.
                self.log.exception("notifications: %s %s to %s failed", item.id, item.type, destination.name)
                problem = "an unexpected error (see the log)"
            if problem is None:
                done.append(destination.name)
            else:
                problems.append(f"{destination.name}: {problem}")
        if not problems:
            blocking(self.outbox.delivered, item.id)
            self.log.info(
                "notifications: %s %s of comment %s delivered", item.id, item.type, item.comment["id"]
            )
            return 1
        problem = "; ".join(problems)
        now = time.time()
        attempts = item.attempts + 1
        later = retry_at(replace(item, attempts=attempts), now, self.first_retry)
        if later is None:
            blocking(self.outbox.fail, item.id, attempts, problem, now, tuple(done))
            self.log.error(
                "notifications: %s %s failed for good after %d attempts: %s",
                item.id,
                item.type,
                attempts,
                problem,
            )
            return 0
        blocking(self.outbox.retry, item.id, attempts, later, problem, tuple(done))
        self.log.warning(
            "notifications: %s %s not delivered (attempt %d): %s; trying again in %.1f s",
            item.id,
            item.type,
            attempts,
            problem,
            later - now,
        )
        return 0
