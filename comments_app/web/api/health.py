"""GET /healthz: 200 only when the store can be read and written, 503 saying why otherwise.

Cheap enough for a platform that asks every few seconds: the list comes from the
store's cache, the comments are counted once per version, and writability is asked
of the file system or the database, never tried by writing. With automatic backups on,
it says how old the newest one is, from one listing of their folder; with notifications
on, how many wait in the outbox, how many failed, and how old the oldest waiting one is.
"""

from __future__ import annotations

import json
import threading
import time

from flask import Blueprint, current_app, jsonify

from ...config import Settings
from ...model.comment import stamp
from ...state import app_state
from ...stores.backup import newest_backup
from ...stores.contract import Snapshot, StoreError

bp = Blueprint("health", __name__)

_counted: tuple[str, int] = ("", 0)
_count_lock = threading.Lock()


def count(snapshot: Snapshot) -> int:
    """Return how many comments the list holds, parsing it once per version."""
    global _counted
    with _count_lock:
        if _counted[0] != snapshot.etag:
            _counted = (snapshot.etag, len(json.loads(snapshot.body)))
        return _counted[1]


def backup_facts(settings: Settings) -> dict | None:
    """Return when the newest automatic backup began and its age, or None when they are off.

    An old backup does not make the answer 503: the service still serves, and a
    restart would not mend what stops the backups (the log says what does).
    """
    if settings.backup_dir is None:
        return None
    began = newest_backup(settings.backup_dir)
    if began is None:
        return {"last": None, "age_seconds": None}
    age = max(0, round(time.time() - began.timestamp()))
    return {"last": stamp(began), "age_seconds": age}


def outbox_facts(store: object) -> dict | None:
    """Return the outbox's items waiting, failed, and the age of the oldest waiting, or None
    when nothing is sent. A late outbox does not make the answer 503 either: the log says why.
    """
    outbox = getattr(store, "outbox", None)
    if outbox is None:
        return None
    pending, failed = outbox.counts()
    oldest = outbox.oldest()
    age = None if oldest is None else max(0, round(time.time() - oldest))
    return {"pending": pending, "failed": failed, "age_seconds": age}


@bp.get("/healthz")
def healthz():
    state = app_state()
    store = state.store
    facts: dict = {"store": store.kind, "writable": False}
    backups = backup_facts(state.settings)
    if backups is not None:
        facts["backup"] = backups
    problem = None
    try:
        # Asked first, so that a 503 names what stops writes even when reads fail
        # too: it is the more useful reason.
        problem = store.write_problem()
        outbox = outbox_facts(store)
        if outbox is not None:
            facts["outbox"] = outbox
        snapshot = store.snapshot()
        facts.update(comments=count(snapshot), version=snapshot.etag)
    except StoreError as error:
        current_app.logger.error("health check failed: %s", error.detail)
        message = f"the comments store cannot be written: {problem}" if problem else str(error)
        return answer(503, error=message, status="failing", **facts)
    if problem is not None:
        current_app.logger.error("health check failed: %r cannot be written: %s", store, problem)
        message = f"the comments store cannot be written: {problem}"
        return answer(503, error=message, status="failing", **facts)
    return answer(200, status="ok", **{**facts, "writable": True})


def answer(code: int, **body):
    """Return the health report; a 503 has the one error shape, {"error": …}, and the facts.

    Like every JSON answer it is marked no-cache by the headers hook (web/headers.py).
    """
    response = jsonify(body)
    response.status_code = code
    return response
