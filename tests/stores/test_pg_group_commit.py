"""PostgreSQL's group commit: one process's concurrent adds to a thread share one transaction.

While one add to a thread is being sent, the others a process receives for that thread
wait and go together, in one transaction, each with its own version, its refusal its own.
The thread's version row is held from outside, as another worker's add would hold it,
so that the batch forms whatever the timing. Each script runs in a process of its own,
under gevent (the gunicorn worker's model) or with plain threads.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import psycopg
import pytest

from comments_app.stores.contract import StoreError
from comments_app.stores.postgres import PostgresStore

from ..conftest import ROOT, run_script

BATCHED = """
import sys

if sys.argv[2] == "gevent":
    from gevent import monkey

    monkey.patch_all()
import json, threading, time, uuid

import psycopg

from comments_app.stores.contract import ParentRefused
from comments_app.stores.postgres import PostgresStore
from comments_app.stores.postgres.idempotency import PostgresRecords
from comments_app.stores.postgres.store import KeyTaken
from comments_app.stores.private import Contact

url, THREAD = sys.argv[1], f"/grouped/{uuid.uuid4().hex}/"
store = PostgresStore(url)
first, _ = store.add("a", "first", thread=THREAD)  # the schema and the thread's row
records = PostgresRecords(store)
records.claim("claimed-key", "print")
listener = psycopg.connect(url, autocommit=True)
listener.execute("LISTEN comments_changed")
# Another worker's add to the thread, holding its version row.
holder = psycopg.connect(url)
holder.execute("SELECT 1 FROM comments_threads WHERE thread = %s FOR UPDATE", (THREAD,))
outcomes = {}


def until(condition):
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def post(text, parent=None, key=None, contact=None):
    if key:
        records.attach(key)
    try:
        comment, _ = store.add("a", text, thread=THREAD, parent=parent, contact=contact)
        outcomes[text] = comment["id"]
    except (ParentRefused, KeyTaken) as error:
        outcomes[text] = type(error).__name__
    finally:
        records.detach()


def started(*args, **kwargs):
    thread = threading.Thread(target=post, args=args, kwargs=kwargs, daemon=True)
    thread.start()
    return thread


posters = [started("alone")]  # sent at once: it waits for the holder's lock
until(lambda: THREAD in store._batches._sending)
posters += [
    started("plain"),
    started("orphan", parent=10**9),
    started("reply", parent=first["id"]),
    started("keyed", key="claimed-key"),
    started("unclaimed", key="nobody-claimed-it"),
    started("contact", contact=Contact("someone@example.org", True)),
]
until(lambda: len(store._batches._waiting.get(THREAD, [])) == 6)
holder.commit()
for poster in posters:
    poster.join(20)
# A NOTIFY per write transaction, in commit order: count the thread's before this one.
holder.execute("SELECT pg_notify('comments_changed', 'the end')")
holder.commit()
announced = 0
for notify in listener.notifies(timeout=10):
    if notify.payload == "the end":
        break
    announced += notify.payload == THREAD
with psycopg.connect(url) as conn:
    rows = conn.execute(
        "SELECT text, id, changed FROM comments WHERE thread = %s ORDER BY id", (THREAD,)
    ).fetchall()
    version, published = conn.execute(
        "SELECT version, published FROM comments_threads WHERE thread = %s", (THREAD,)
    ).fetchone()
    contacts = conn.execute("SELECT id, email, replies FROM comments_contacts").fetchall()
    keys = conn.execute("SELECT key, comment_id FROM comments_idempotency ORDER BY key").fetchall()
# What this process's copy of the thread shows against a fresh process's.
mine = json.loads(bytes(store.snapshot(THREAD).body))
fresh = PostgresStore(url)
theirs = json.loads(bytes(fresh.snapshot(THREAD).body))
print(json.dumps({
    "outcomes": outcomes, "announced": announced, "rows": rows, "version": version,
    "published": published, "contacts": contacts, "keys": keys,
    "mine": [c["id"] for c in mine], "theirs": [c["id"] for c in theirs],
}))
"""


@pytest.mark.parametrize("model", ["gevent", "threads"])
def test_adds_waiting_for_a_thread_go_in_one_transaction(pg_url: str, model: str) -> None:
    result = run_script(BATCHED, pg_url, model)
    outcomes = result["outcomes"]
    # The refused ones alone are refused: a bad parent, a key claimed by nobody.
    assert outcomes["orphan"] == "ParentRefused"
    assert outcomes["unclaimed"] == "KeyTaken"
    stored = ["alone", "plain", "reply", "keyed", "contact"]
    assert all(isinstance(outcomes[text], int) for text in stored), outcomes
    # Seven adds, two write transactions: the one sent alone, then the other six together.
    assert result["announced"] == 2
    # Each stored comment has its own version, in id order, none lost to a refusal.
    rows = result["rows"]
    assert [text for text, _, _ in rows] == ["first", "alone", *sorted(stored[1:], key=outcomes.get)]
    assert [changed for _, _, changed in rows] == list(range(1, 7))
    assert result["version"] == 6 and result["published"] == 6
    # The contact and the key's record were written with their comments.
    assert result["contacts"] == [[outcomes["contact"], "someone@example.org", True]]
    assert ["claimed-key", outcomes["keyed"]] in result["keys"]
    assert all(key != "nobody-claimed-it" for key, _ in result["keys"])
    # The process's copy, appended to comment by comment, is the thread as stored.
    assert result["mine"] == result["theirs"] == [row[1] for row in rows]


KILLED = """
import sys

from gevent import monkey

monkey.patch_all()
import threading

from comments_app.stores.postgres import PostgresStore

store = PostgresStore(sys.argv[1])
store.add("a", "first", thread=sys.argv[2])


def poster(number):
    for count in range(100000):
        text = f"{number}-{count}"
        comment, _ = store.add("a", text, thread=sys.argv[2])
        print(comment["id"], text, flush=True)


for number in range(12):
    threading.Thread(target=poster, args=(number,), daemon=True).start()
threading.Event().wait()
"""


def test_a_worker_killed_mid_batch_loses_no_acknowledged_comment(pg_url: str) -> None:
    thread = f"/killed/{uuid.uuid4().hex}/"
    listener = psycopg.connect(pg_url, autocommit=True)
    listener.execute("LISTEN comments_changed")
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED, pg_url, thread], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    acknowledged = {}
    try:
        assert process.stdout is not None
        for line in process.stdout:
            comment_id, text = line.split()
            acknowledged[int(comment_id)] = text
            if len(acknowledged) == 300:
                break
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    # One snapshot: the server finishes a message whose client died, so a batch sent just
    # before the kill may still commit while this reads.
    with psycopg.connect(pg_url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        rows = conn.execute(
            "SELECT id, text, changed FROM comments WHERE thread = %(thread)s ORDER BY id", {"thread": thread}
        ).fetchall()
        version, published = conn.execute(
            "SELECT version, published FROM comments_threads WHERE thread = %(thread)s", {"thread": thread}
        ).fetchone()
    stored = {comment_id: text for comment_id, text, _ in rows}
    assert len(acknowledged) == 300
    # Every acknowledged comment is there as acknowledged; none twice; no batch stored in
    # part: the thread's version counts its rows, each its own version.
    assert all(stored.get(comment_id) == text for comment_id, text in acknowledged.items())
    assert len({text for _, text, _ in rows}) == len(rows)
    assert [changed for _, _, changed in rows] == list(range(1, len(rows) + 1))
    assert version == published == len(rows)
    # And the adds went in batches: fewer write transactions (each announced) than adds.
    listener.execute("SELECT pg_notify('comments_changed', 'the end')")
    announced = 0
    for notify in listener.notifies(timeout=10):
        if notify.payload == "the end":
            break
        announced += notify.payload == thread
    listener.close()
    assert 1 <= announced < len(rows) / 2


def test_adds_waiting_through_an_outage_fail_within_the_database_timeout() -> None:
    """COMMENTS_DB_TIMEOUT is a request's whole wait: the adds queued behind one that found
    the database unreachable fail when it does, not after a wait of their own."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    store = PostgresStore(f"postgresql://nobody@127.0.0.1:{port}/none", timeout=1.0)
    waits, errors = [], []

    def post() -> None:
        started = time.monotonic()
        try:
            store.add("a", "lost?", thread="/down/")
        except StoreError as error:
            errors.append(error)
        waits.append(time.monotonic() - started)

    posters = [threading.Thread(target=post) for _ in range(6)]
    try:
        for poster in posters:
            poster.start()
        for poster in posters:
            poster.join(30)
    finally:
        store.close()
    assert len(errors) == 6 and all("unavailable" in str(error) for error in errors)
    assert max(waits) < 1.6, waits


def test_the_previous_releases_schema_gains_the_batch_function(pg_url: str) -> None:
    before = PostgresStore(pg_url)
    before.add("a", "made by the previous release", thread="/a/")
    before.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        # What the previous release left: no comments_add_many, its mark on comments_change.
        conn.execute("DROP FUNCTION comments_add_many")
        conn.execute(
            "COMMENT ON FUNCTION comments_change(bigint, text, text, text, timestamptz, timestamptz) IS "
            "'comments schema: threads 1, keyed adds, outbox 2, private 1'"
        )
    store = PostgresStore(pg_url)
    try:
        store.add("a", "after the upgrade", thread="/a/")
    finally:
        store.close()
    with psycopg.connect(pg_url) as conn:
        assert conn.execute(
            "SELECT count(*) FROM pg_proc WHERE proname = 'comments_add_many' "
            "AND pronamespace = current_schema()::regnamespace"
        ).fetchone() == (1,)
