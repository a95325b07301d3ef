"""The file store's group commit: a request whose change was written leaves at once.

Several requests of one worker that post at the same time share one write. Those whose
change the write took must answer as soon as it is on disk, not after the next write
(a later request's, which may wait for another process holding the lock). When they
waited for a lock instead, fresh requests kept taking it first: under a stream of POSTs
answers waited 100 ms and more, and the batches shrank to one change each.

The script runs in a process of its own, under gevent (the gunicorn worker's model) or
with plain threads (the test client's, the CLI's).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ROOT

TAKEN_LEAVES_AT_ONCE = """
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
answered = []


def writer():
    store.add("a", "one")  # waits for the lock, then writes "one" and "two" together
    answered.append("one")
    fcntl.flock(holder, fcntl.LOCK_EX)  # another worker writes again
    store.add("a", "three")  # the next write, which waits for it
    answered.append("three")


def queued():
    store.add("b", "two")
    answered.append("two")


first = threading.Thread(target=writer)
first.start()
time.sleep(0.3)  # the writer waits for the lock
second = threading.Thread(target=queued)
second.start()
time.sleep(0.3)  # "two" is queued behind it
fcntl.flock(holder, fcntl.LOCK_UN)
second.join(10)
while_three_waits = sorted(answered)
fcntl.flock(holder, fcntl.LOCK_UN)
first.join(10)
stored = [comment["text"] for comment in json.loads(open(sys.argv[1], "rb").read())]
print(json.dumps({"while_three_waits": while_three_waits, "answered": sorted(answered), "stored": stored}))
"""


@pytest.mark.parametrize("model", ["gevent", "threads"])
def test_a_change_taken_by_a_write_is_answered_before_the_next_write(tmp_path, model):
    done = subprocess.run(
        [sys.executable, "-c", TAKEN_LEAVES_AT_ONCE, str(tmp_path / "comments.json"), model],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["while_three_waits"] == ["one", "two"], "'two' was written but waited for the next write"
    assert result["answered"] == ["one", "three", "two"]
    assert result["stored"] == ["first", "one", "two", "three"]
