"""The file store's group commit: a request whose change was written leaves at once.

Several requests of one worker that post at the same time share one write. Those whose
change the write took must answer as soon as it is on disk, not after the next write
(a later request's, which may wait for another process holding the lock). When they
waited for a lock instead, fresh requests kept taking it first: under a stream of POSTs
answers waited 100 ms and more, and the batches shrank to one change each.

Each script runs in a process of its own, under gevent (the gunicorn worker's model) or
with plain threads (the test client's, the CLI's). The lock is held from outside, as
another worker would, so the order of events does not depend on timing.
"""

from __future__ import annotations

import pytest

from ..conftest import run_script

PRELUDE = """
import sys

if sys.argv[2] == "gevent":
    from gevent import monkey

    monkey.patch_all()
import fcntl, json, os, threading, time

from comments_app.stores.jsonfile import JsonFileStore

store = JsonFileStore(sys.argv[1])
store.add("a", "first")  # the key and the file: made once, not what is tested
holder = os.open(store.lock_path, os.O_RDWR | os.O_CLOEXEC)
fcntl.flock(holder, fcntl.LOCK_EX)  # as if another worker were writing
answers = {}


def until(condition):
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def post(text):
    answers[text] = store.add("a", text)


def started(target, *args):
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def stored():
    return [comment["text"] for comment in json.loads(open(sys.argv[1], "rb").read())]


def journal():
    return open(sys.argv[1] + ".changes", "rb").read().decode().splitlines()
"""

TAKEN_LEAVES_AT_ONCE = (
    PRELUDE
    + """
relocked = threading.Event()


def writer():
    post("one")  # waits for the lock, then writes "one" and "two" together
    fcntl.flock(holder, fcntl.LOCK_EX)  # another worker writes again
    relocked.set()
    post("three")  # the next write, which waits for it


first = started(writer)
until(lambda: len(store._queue) == 1)  # the writer waits for the lock, its change queued
second = started(post, "two")
until(lambda: len(store._queue) == 2)
fcntl.flock(holder, fcntl.LOCK_UN)
second.join(20)
# Only once "three" waits behind the lock taken again: unlocked before, it would hang.
relocked.wait(20)
until(lambda: len(store._queue) == 1)
while_three_waits = sorted(answers)
fcntl.flock(holder, fcntl.LOCK_UN)
first.join(20)
print(json.dumps({"while_three_waits": while_three_waits, "answered": sorted(answers), "stored": stored()}))
"""
)


@pytest.mark.parametrize("model", ["gevent", "threads"])
def test_a_change_taken_by_a_write_is_answered_before_the_next_write(tmp_path, model):
    result = run_script(TAKEN_LEAVES_AT_ONCE, str(tmp_path / "comments.json"), model)
    # Under threads "one" may not be recorded yet; "two" must be, and "three" not.
    assert "two" in result["while_three_waits"], "'two' was written but waited for the next write"
    assert "three" not in result["while_three_waits"]
    assert result["answered"] == ["one", "three", "two"]
    assert result["stored"] == ["first", "one", "two", "three"]


WRITER_STOPPED = (
    PRELUDE
    + """
import gevent

writer = gevent.spawn(post, "one")
until(lambda: len(store._queue) == 1)  # the writer waits for the lock
waiter = gevent.spawn(post, "two")
until(lambda: len(store._queue) == 2)
writer.kill()  # a worker's graceful timeout stops the request mid-write
fcntl.flock(holder, fcntl.LOCK_UN)
waiter.join(20)
comment, snapshot = answers["two"]
print(json.dumps({
    "writer_answered": "one" in answers,
    "two_id": comment["id"],
    "snapshot": [c["text"] for c in json.loads(snapshot.body)],
    "stored": stored(),
    "journal": journal(),
}))
"""
)


def test_a_writer_stopped_mid_write_still_answers_the_changes_it_took(tmp_path):
    result = run_script(WRITER_STOPPED, str(tmp_path / "comments.json"), "gevent")
    assert not result["writer_answered"]
    # Its write went on: both changes are stored, in one version, and the waiter is
    # answered from it, with no second, empty version after it.
    assert result["stored"] == ["first", "one", "two"]
    assert result["snapshot"] == ["first", "one", "two"]
    assert result["two_id"] == 3
    assert [line.split()[-1] for line in result["journal"]] == ["1", "2,3"]
