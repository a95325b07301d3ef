"""The file store at site scale (issue 20): one file per thread, global ids, costs per thread.

What the thread contract (test_thread_contract.py) cannot show of the file store: ids
stay unique across threads and processes through kill -9, a thread's write waits for no
other thread, a tutorial's file is the default thread, a worker reads nothing it is not
asked for, and the memory it keeps is bounded.
"""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from comments_app.model.threads import tag
from comments_app.stores.contract import ParentRefused
from comments_app.stores.jsonfile import JsonFileStore
from comments_app.stores.layout import encode_comment, encode_list, parse_list

from ..storm import kill_9_once_logged

THREADS = ["/a", "/b/", "/c/d", "/e%20f"]


def thread_file(store_path: Path, thread: str) -> Path:
    return store_path.with_name(store_path.name + ".threads") / f"{tag(thread)}.json"


def run_storm(path: str, worker: int, log_path: str) -> None:
    """Post in turn to every thread (and the default one) until killed; log each acknowledgement."""
    store = JsonFileStore(path)
    threads = ["", *THREADS]
    with open(log_path, "a", buffering=1) as log:
        for number in range(100_000):
            thread = threads[(number + worker) % len(threads)]
            text = f"w{worker} n{number}"
            comment, _ = store.add(f"w{worker}", text, thread=thread)
            log.write(json.dumps([comment["id"], thread, text]) + "\n")


def stored(path: Path) -> dict[str, list[dict]]:
    """Return every thread's file as a process that never ran would read it: the bytes on disk."""
    found = {"": parse_list(path.read_bytes())}
    for thread in THREADS:
        file = thread_file(path, thread)
        found[thread] = parse_list(file.read_bytes()) if file.exists() else []
    return found


def test_kill_9_in_a_storm_over_threads_keeps_every_acknowledged_comment_with_unique_ids(tmp_path):
    path = tmp_path / "comments.json"
    log = tmp_path / "acknowledged.log"
    context = multiprocessing.get_context("spawn")
    for _ in range(3):
        processes = [context.Process(target=run_storm, args=(str(path), n, str(log))) for n in range(4)]
        for process in processes:
            process.start()
        assert kill_9_once_logged(processes, log, 60), "the storm acknowledged too little"
    acknowledged = [json.loads(line) for line in log.read_text().splitlines()]
    files = stored(path)
    # Every acknowledged comment is on disk, in its thread, under the id it was given.
    where = {
        comment["id"]: (thread, comment["text"]) for thread, comments in files.items() for comment in comments
    }
    for comment_id, thread, text in acknowledged:
        assert where.get(comment_id) == (thread, text), comment_id
    # No id twice, across every thread's file; at most one comment in flight per kill.
    ids = [comment["id"] for comments in files.values() for comment in comments]
    assert len(ids) == len(set(ids))
    assert len(ids) - len(acknowledged) <= 4 * 3
    for thread, comments in files.items():
        assert all(comment.get("thread") == (thread or None) for comment in comments), thread
    # And a store opened afterwards goes on from there, every comment found by its id.
    store = JsonFileStore(path)
    comment, _ = store.add("after", "the storm", thread="/a")
    assert comment["id"] > max(ids)
    assert store.get(acknowledged[-1][0])["text"] == acknowledged[-1][2]
    # What a killed writer left of a thread's file is gone once a process opens the thread.
    assert not thread_file(path, "/a").with_suffix(".json.tmp").exists()


def test_a_tutorial_file_is_the_default_thread_and_its_ids_are_never_given_again(tmp_path):
    path = tmp_path / "comments.json"
    tutorial = [
        {"id": 1388534400000, "author": "Pete Hunt", "text": "Hey there!"},
        {"id": 1420070400000, "author": "Paul O'Shannessy", "text": "React is *great*!"},
    ]
    path.write_text(json.dumps(tutorial, indent=4))
    store = JsonFileStore(path)
    assert json.loads(store.snapshot().body) == tutorial
    assert json.loads(store.snapshot("/a").body) == []
    comment, _ = store.add("Ann", "on a page", thread="/a")
    assert comment["id"] == 1420070400001
    # The tutorial's file is untouched by another thread's write, and still found by id.
    assert json.loads(path.read_bytes()) == tutorial
    assert store.get(1388534400000)["text"] == "Hey there!"
    reply, _ = store.add("Bob", "to Pete", parent=1388534400000)
    assert reply["id"] == 1420070400002
    assert [c.get("parent") for c in json.loads(store.snapshot().body)] == [None, None, 1388534400000]


def test_a_store_of_the_default_thread_alone_keeps_the_files_it_had(tmp_path):
    path = tmp_path / "comments.json"
    store = JsonFileStore(path)
    for number in range(3):
        store.add("a", f"comment {number}")
    store.etag("/a"), store.snapshot("/a"), store.counts(["/a", ""])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "comments.json",
        "comments.json.changes",
        "comments.json.key",
        "comments.json.lock",
    ]


def test_an_id_given_to_a_write_killed_before_its_file_is_never_given_again(tmp_path):
    path = tmp_path / "comments.json"
    store = JsonFileStore(path)
    store.add("a", "one", thread="/a")
    # What a writer killed after its ids line and before its rename leaves.
    with open(path.with_name("comments.json.ids"), "a") as ids:
        ids.write(f"2 {tag('/b')}\n")
    assert JsonFileStore(path).add("b", "two", thread="/b")[0]["id"] == 3
    assert store.get(2) is None


def test_a_thread_writes_while_another_threads_lock_is_held(tmp_path):
    """Writes to different threads wait for each other only to take their ids."""
    path = tmp_path / "comments.json"
    store = JsonFileStore(path)
    store.add("a", "one", thread="/a")
    store.add("b", "one", thread="/b")
    holder = os.open(thread_file(path, "/b").with_suffix(".json.lock"), os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)  # as if another worker were writing /b
    try:
        done: list = []
        writer = threading.Thread(target=lambda: done.append(store.add("a", "two", thread="/a")), daemon=True)
        writer.start()
        writer.join(20)
        assert done, "a write to /a waited for /b's lock"
        waiting = threading.Thread(
            target=lambda: done.append(store.add("b", "two", thread="/b")), daemon=True
        )
        waiting.start()
        waiting.join(0.3)
        assert len(done) == 1, "a write to /b did not wait for /b's lock"
    finally:
        fcntl.flock(holder, fcntl.LOCK_UN)
        os.close(holder)
    waiting.join(20)
    assert [c["text"] for c in json.loads(store.snapshot("/b").body)] == ["one", "two"]


def test_a_reply_queued_after_its_parent_is_hidden_is_refused(tmp_path):
    """The parent is checked in the write, after the changes queued before the reply."""
    path = tmp_path / "comments.json"
    store = JsonFileStore(path)
    top, _ = store.add("a", "top", thread="/a")
    file = store._file("/a")
    holder = os.open(file.lock_path, os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)
    answers: dict = {}

    def run(name, call):
        try:
            answers[name] = call()
        except Exception as error:  # the answer, whatever it is, is what is tested
            answers[name] = error

    hide = threading.Thread(target=run, args=("hide", lambda: store.update(top["id"], {"status": "hidden"})))
    hide.start()
    until(lambda: len(file._queue) == 1)
    reply = threading.Thread(
        target=run, args=("reply", lambda: store.add("b", "re", thread="/a", parent=top["id"]))
    )
    reply.start()
    until(lambda: len(file._queue) == 2)
    fcntl.flock(holder, fcntl.LOCK_UN)
    os.close(holder)
    hide.join(20), reply.join(20)
    assert isinstance(answers["reply"], ParentRefused)
    assert [c["id"] for c in json.loads(store.snapshot("/a").body)] == []
    assert len(parse_list(thread_file(path, "/a").read_bytes())) == 1


def until(condition) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def write_site(path: Path, threads: int, per_thread: int) -> list[str]:
    """Write a site's files as the store would have (each thread's file, the ids file): quickly."""
    from comments_app.model.comment import new_comment

    folder = path.with_name(path.name + ".threads")
    folder.mkdir()
    names, ids, next_id = [], [], 1
    for number in range(threads):
        thread = f"/posts/{number}/"
        records = []
        for _ in range(per_thread):
            records.append(new_comment(next_id, "Ann", "A comment of some length. " * 6, thread=thread))
            ids.append(f"{next_id} {tag(thread)}\n")
            next_id += 1
        (folder / f"{tag(thread)}.json").write_bytes(encode_list(encode_comment(r) for r in records))
        names.append(thread)
    path.with_name(path.name + ".ids").write_text("".join(ids))
    path.write_bytes(b"[]\n")
    return names


@pytest.fixture
def opened():
    """Record the paths this process opens while recording is on (an audit hook stays installed)."""
    paths: list[str] = []
    state = {"on": False}

    def hook(event, args):
        if state["on"] and event == "open" and isinstance(args[0], str | bytes | os.PathLike):
            paths.append(os.fsdecode(args[0]))

    sys.addaudithook(hook)

    class Recorder:
        def __enter__(self):
            paths.clear()
            state["on"] = True
            return paths

        def __exit__(self, *exc):
            state["on"] = False

    return Recorder()


def test_a_worker_reads_nothing_at_start_and_one_thread_file_for_a_thread(tmp_path, opened):
    path = tmp_path / "comments.json"
    names = write_site(path, threads=1000, per_thread=2)
    with opened as paths:
        store = JsonFileStore(path)
    assert paths == [], "the store read files at start"
    with opened as paths:
        body = json.loads(store.snapshot(names[500]).body)
    assert len(body) == 2
    threads_folder = str(path.with_name("comments.json.threads"))
    read = {p for p in paths if p.startswith(threads_folder) and p.endswith(".json")}
    assert read == {str(thread_file(path, names[500]))}
    etag = store.etag(names[500])
    # A conditional GET of another worker (a fresh store) is a stat: no file is opened.
    with opened as paths:
        assert JsonFileStore(path).etag(names[500]) == etag
    assert [p for p in paths if not p.endswith(".key")] == []
    # Counts of 50 threads read each of their files once, then stat them.
    store.counts(names[:50])
    with opened as paths:
        assert store.counts(names[:50]).counts == dict.fromkeys(names[:50], 2)
    assert [p for p in paths if not p.endswith(".key")] == []


def test_a_worker_keeps_the_versions_of_the_threads_it_serves_within_its_budget(tmp_path):
    path = tmp_path / "comments.json"
    names = write_site(path, threads=200, per_thread=10)
    size = thread_file(path, names[0]).stat().st_size
    store = JsonFileStore(path, cache_bytes=20 * size)
    for name in names:
        store.snapshot(name)
    assert store._total <= 20 * size
    assert len(store._files) <= 21
    # Dropped from memory is not lost: read again when asked.
    assert len(json.loads(store.snapshot(names[0]).body)) == 10


# Run in a process of its own: gevent's monkey-patching, as gunicorn's gevent worker does it.
THREADS_OFF_THE_LOOP = """
from gevent import monkey

monkey.patch_all()
import json, os, sys, threading

from comments_app.stores.jsonfile import JsonFileStore

loop = threading.get_native_id()
on_loop = []
real = {name: getattr(os, name) for name in ("fsync", "replace", "write", "mkdir")}


def watched(name):
    def call(*args, **kwargs):
        if threading.get_native_id() == loop:
            on_loop.append(name)
        return real[name](*args, **kwargs)

    return call


store = JsonFileStore(sys.argv[1])
store.secret_key()  # made once, at the first write of a new store: not what is measured
for name in real:
    setattr(os, name, watched(name))
comment, _ = store.add("a", "first", thread="/a")  # makes the threads' folder and the ids file
store.add("b", "reply", thread="/a", parent=comment["id"])
store.update(comment["id"], {"text": "edited"})
store.delete(comment["id"])
store.close_thread("/a", True)
store.import_records([{"id": 90, "author": "c", "text": "imported", "thread": "/b"}])
print(json.dumps(on_loop))
"""


def test_a_named_threads_writes_fsync_and_rename_off_the_event_loop(tmp_path):
    """Under gevent, the ids file's, a thread's file's and a closed flag's fsyncs run in the pool."""
    from ..conftest import run_script

    assert run_script(THREADS_OFF_THE_LOOP, str(tmp_path / "comments.json")) == []


def test_the_default_threads_etags_keep_their_form_so_clients_etags_stay_valid(tmp_path):
    """An ETag a worker gave before threads names the same version after the upgrade."""
    import hashlib
    import hmac

    path = tmp_path / "comments.json"
    store = JsonFileStore(path)
    store.add("a", "one")
    store.add("b", "on a", thread="/a")
    secret = store.secret_key()

    def digest(file: Path, purpose: bytes) -> str:
        st = os.stat(file)
        key = hmac.digest(secret, purpose, "sha256")
        sig = repr((st.st_ino, st.st_mtime_ns, st.st_size)).encode()
        return hashlib.blake2b(sig, key=key, digest_size=12).hexdigest()

    assert store.etag().split("-")[1] == digest(path, b"comments list etag")
    named = store.etag("/a").split("-")[1]
    assert named == digest(thread_file(path, "/a"), b"comments list etag " + tag("/a").encode())


def test_another_worker_answers_since_for_a_thread_it_did_not_write(tmp_path):
    """Each thread's journal is read by every process, as the default thread's is."""
    path = tmp_path / "comments.json"
    writer, reader = JsonFileStore(path), JsonFileStore(path)
    top, _ = writer.add("a", "top", thread="/a")
    writer.add("b", "on b", thread="/b")
    since, other = reader.etag("/a"), reader.etag("/b")
    reply, _ = writer.add("c", "reply", thread="/a", parent=top["id"])
    writer.update(top["id"], {"status": "hidden"})
    changes = json.loads(reader.changes(since, "/a").body)
    # The hidden parent is named as the placeholder its reply keeps in its place.
    assert [(c["id"], c.get("removed", False)) for c in changes["comments"]] == [
        (top["id"], True),
        (reply["id"], False),
    ]
    assert reader.etag("/b") == other
    assert json.loads(reader.changes(other, "/b").body)["comments"] == []
