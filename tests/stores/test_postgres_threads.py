"""What the PostgreSQL store guarantees of threads beyond the contract: a version per thread
that no other thread's write waits for, refusals decided under the thread's lock, the
upgrade of a database made before threads, and no acknowledged write lost to kill -9."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from pathlib import Path

import psycopg
import pytest

from comments_app.stores.contract import ParentRefused, ThreadClosed
from comments_app.stores.postgres import PostgresStore

from ..storm import kill_9_once_logged

# The tables as the release before threads made them, with what it wrote.
BEFORE_THREADS = """
CREATE TABLE comments (
    id bigint PRIMARY KEY, author text NOT NULL, text text NOT NULL, created timestamptz,
    status text NOT NULL DEFAULT 'published', edited timestamptz, deleted timestamptz,
    changed bigint NOT NULL DEFAULT 0
);
CREATE TABLE comments_secret (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), key text NOT NULL);
CREATE TABLE comments_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), epoch text NOT NULL,
    version bigint NOT NULL, last_id bigint NOT NULL, history_from bigint DEFAULT 0
);
CREATE INDEX comments_changed ON comments (changed);
INSERT INTO comments (id, author, text, created, status, edited, deleted, changed) VALUES
    (1, 'Ann', 'first', '2026-01-01T10:00:00.123Z', 'published', NULL, NULL, 1),
    (2, 'Bob', 'held', '2026-01-01T10:01:00Z', 'hidden', NULL, NULL, 4),
    (3, '', '', '2026-01-01T10:02:00Z', 'published', NULL, '2026-01-02T00:00:00Z', 5),
    (4, 'Cy', 'fixed', '2026-01-01T10:03:00Z', 'published', '2026-01-01T11:00:00Z', NULL, 6);
INSERT INTO comments_version (epoch, version, last_id, history_from)
    VALUES ('0123456789abcdef0123456789abcdef', 6, 4, 0);
"""


def listed(store: PostgresStore, thread: str = "") -> list[dict]:
    return json.loads(store.snapshot(thread).body)


@pytest.fixture
def store(pg_url):
    made = PostgresStore(pg_url)
    yield made
    made.close()


def test_a_database_made_before_threads_keeps_its_comments_and_versions(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(BEFORE_THREADS)
    store = PostgresStore(pg_url)
    try:
        # The version every page and cache holds is still the list's.
        assert store.etag() == "0123456789abcdef0123456789abcdef-6"
        assert listed(store) == [
            {"id": 1, "author": "Ann", "text": "first", "created": "2026-01-01T10:00:00.123Z"},
            {
                "id": 4,
                "author": "Cy",
                "text": "fixed",
                "created": "2026-01-01T10:03:00.000Z",
                "edited": "2026-01-01T11:00:00.000Z",
            },
        ]
        changes = json.loads(store.changes("0123456789abcdef0123456789abcdef-3").body)
        assert ([c["id"] for c in changes["comments"]], changes["removed"]) == ([4], [2, 3])
        assert store.thread_info("").count == 2
        assert store.export_records()[2] == {"deleted": "2026-01-02T00:00:00.000Z", "id": 3}
        # Ids go on after the largest, in the default thread and in a named one.
        comment, snapshot = store.add("Di", "after the upgrade")
        assert comment["id"] == 5 and snapshot.etag == "0123456789abcdef0123456789abcdef-7"
        assert store.add("Eve", "elsewhere", thread="/a")[0]["id"] == 6
        assert store.etag() == "0123456789abcdef0123456789abcdef-7"
    finally:
        store.close()
    # A second start finds the schema current and changes nothing.
    again = PostgresStore(pg_url)
    assert again.etag() == "0123456789abcdef0123456789abcdef-7"
    assert [c["id"] for c in listed(again)] == [1, 4, 5]
    again.close()


def hold_thread(pg_url: str, thread: str) -> psycopg.Connection:
    """Open a transaction that holds a thread's version row, as a writer in it does."""
    conn = psycopg.connect(pg_url)
    if thread:
        conn.execute("SELECT 1 FROM comments_threads WHERE thread = %s FOR UPDATE", (thread,))
    else:
        conn.execute("SELECT 1 FROM comments_version FOR UPDATE")
    return conn


def in_background(work) -> tuple[threading.Thread, list]:
    result: list = []

    def run() -> None:
        try:
            result.append(work())
        except Exception as error:  # handed to the test to assert on
            result.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


@pytest.mark.parametrize("held", ["/a", ""])
def test_a_write_waits_only_for_writers_of_its_own_thread(store, pg_url, held):
    others = sorted({"/a", "/b", ""} - {held})
    for thread in ("/a", "/b", ""):
        store.add("w", "first", thread=thread)
    conn = hold_thread(pg_url, held)
    try:
        waiting, result = in_background(lambda: store.add("w", "waits", thread=held))
        time.sleep(0.3)  # long enough for the write to reach the lock
        # Every other thread's writes go on meanwhile (a global lock would hold them too).
        writers = [
            in_background(lambda thread=thread: store.add("w", "free", thread=thread)) for thread in others
        ]
        for writer, _ in writers:
            writer.join(5)
        assert [len(done) for _, done in writers] == [1] * len(others), "another thread's write waited"
        assert all(done[0][0]["text"] == "free" for _, done in writers)
        assert not result, "the write did not wait for its thread's lock"
    finally:
        conn.rollback()
        conn.close()
    waiting.join(10)
    assert result[0][0]["text"] == "waits"
    for _, done in writers:
        thread = done[0][0].get("thread", "")
        assert [c["text"] for c in listed(store, thread)] == ["first", "free"]


def test_a_close_committed_while_a_comment_waited_refuses_it(store, pg_url):
    store.add("a", "first", thread="/a")
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE comments_threads SET closed = true WHERE thread = '/a'")
        waiting, result = in_background(lambda: store.add("b", "late", thread="/a"))
        time.sleep(0.3)
        assert not result
        conn.commit()
    waiting.join(10)
    assert isinstance(result[0], ThreadClosed)
    assert [c["text"] for c in listed(store, "/a")] == ["first"]


def test_a_hide_committed_while_a_reply_waited_refuses_it(store, pg_url):
    top, _ = store.add("a", "top", thread="/a")
    version = store.etag("/a")
    with psycopg.connect(pg_url) as conn:
        # The moderator's hide, as the store makes it, not yet committed.
        conn.execute("SELECT * FROM comments_change(%s, NULL, NULL, 'hidden', NULL, NULL)", (top["id"],))
        conn.execute("NOTIFY comments_changed, '/a'")
        waiting, result = in_background(lambda: store.add("b", "reply", thread="/a", parent=top["id"]))
        time.sleep(0.3)
        assert not result
        conn.commit()
    waiting.join(10)
    assert isinstance(result[0], ParentRefused)
    deadline = time.monotonic() + 5
    while listed(store, "/a") != []:  # once the listener hears the hide
        assert time.monotonic() < deadline
        time.sleep(0.01)
    # The refusal moved no version: only the hide did.
    assert int(store.etag("/a").rsplit("-", 1)[1], 16) == int(version.rsplit("-", 1)[1], 16) + 1


def test_two_instances_writing_to_two_threads_move_only_their_own_versions(pg_url):
    first, second = PostgresStore(pg_url), PostgresStore(pg_url)
    try:
        first.add("a", "a0", thread="/a")
        second.add("b", "b0", thread="/b")
        versions = {"/a": [first.etag("/a")], "/b": [second.etag("/b")]}
        problems: list = []

        def write(store: PostgresStore, thread: str) -> None:
            for number in range(25):
                try:
                    _, snapshot = store.add("w", f"{thread} {number}", thread=thread)
                    versions[thread].append(snapshot.etag)
                except Exception as error:  # collected: every write must succeed
                    problems.append(error)

        writers = [
            threading.Thread(target=write, args=(first, "/a")),
            threading.Thread(target=write, args=(second, "/b")),
        ]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(60)
        assert problems == []
        for thread, store in (("/a", second), ("/b", first)):
            numbers = [int(etag.rsplit("-", 1)[1], 16) for etag in versions[thread]]
            # One version per write of the thread, whatever the other thread did.
            assert numbers == list(range(1, 27)), thread
            assert store.etag(thread) == versions[thread][-1]
            assert [c["text"] for c in listed(store, thread)] == [
                f"{thread[1]}0",
                *(f"{thread} {number}" for number in range(25)),
            ]
        ids = [c["id"] for thread in ("/a", "/b") for c in listed(first, thread)]
        assert sorted(ids) == list(range(1, 53))
    finally:
        first.close()
        second.close()


def test_a_commit_heard_drops_only_its_threads_copy(pg_url):
    reader, writer = PostgresStore(pg_url), PostgresStore(pg_url)
    try:
        writer.add("a", "on a", thread="/a")
        writer.add("b", "on b", thread="/b")
        deadline = time.monotonic() + 5
        # Listening first: a listener that connects drops every copy (it may have missed
        # commits while it was not), which would drop /b's below for another reason.
        while not reader._listening:
            reader.snapshot("/a")
            assert time.monotonic() < deadline, "the listener did not connect"
            time.sleep(0.01)
        while reader._cache.current("/b") is None or reader._cache.current("/a") is None:
            reader.snapshot("/a"), reader.snapshot("/b")
            assert time.monotonic() < deadline
            time.sleep(0.01)
        writer.add("a", "again", thread="/a")
        while reader._cache.current("/a") is not None:
            assert time.monotonic() < deadline, "the listener did not hear the commit"
            time.sleep(0.01)
        assert reader._cache.current("/b") is not None
        assert [c["text"] for c in listed(reader, "/a")] == ["on a", "again"]
    finally:
        reader.close()
        writer.close()


THREADS = ("", "/a", "/b/", "/c%20d")


def storm(url: str, worker: int, log_path: str) -> None:
    """Add top comments and replies over several threads, edit, delete; log each acknowledged."""
    store = PostgresStore(url)
    with open(log_path, "a", buffering=1) as log:
        for number in range(100_000):
            thread = THREADS[(worker + number) % len(THREADS)]
            text = f"w{worker} n{number}"
            top, _ = store.add(f"w{worker}", text, thread=thread)
            # "doomed": deleted below, perhaps unacknowledged when the kill comes.
            log.write(f"{'doomed' if number % 3 == 0 else 'add'} {top['id']} {thread or '-'} {text}\n")
            reply, _ = store.add(f"w{worker}", text + " reply", thread=thread, parent=top["id"])
            log.write(f"add {reply['id']} {thread or '-'} {text} reply\n")
            store.update(reply["id"], {"text": text + " reply edited"})
            log.write(f"edit {reply['id']} {thread or '-'} {text} reply edited\n")
            if number % 3 == 0:
                store.delete(top["id"])
                log.write(f"delete {top['id']} {thread or '-'} -\n")
    os._exit(0)


def test_kill_9_in_a_storm_over_several_threads_loses_nothing_acknowledged(pg_url, tmp_path):
    log = tmp_path / "acknowledged.log"
    context = multiprocessing.get_context("spawn")
    for _ in range(2):
        processes = [context.Process(target=storm, args=(pg_url, n, str(log))) for n in range(4)]
        for process in processes:
            process.start()
        kill_9_once_logged(processes, log, 60)
        check_threads(pg_url, read_log(log))
    assert len(read_log(log)) >= 120


def read_log(path: Path) -> list[tuple[str, int, str, str]]:
    if not path.exists():
        return []
    entries = []
    for line in path.read_text().splitlines():
        kind, number, thread, text = line.split(" ", 3)
        entries.append((kind, int(number), "" if thread == "-" else thread, text))
    return entries


def check_threads(url: str, acknowledged: list[tuple[str, int, str, str]]) -> None:
    """Every acknowledged change is in its thread; each thread's list and count agree."""
    store = PostgresStore(url)
    try:
        final: dict[int, tuple[str, str]] = {}
        kinds: dict[int, str] = {}
        for kind, number, thread, text in acknowledged:
            final[number] = (thread, "deleted" if kind == "delete" else text)
            kinds.setdefault(number, kind)
        for number, (thread, state) in final.items():
            found = store.record(number)
            if found is None and kinds[number] == "doomed":
                continue
            if state == "deleted":
                assert found is None, number
            else:
                # An edit in flight when the kill came may have committed unacknowledged.
                assert found is not None and found.get("thread", "") == thread, number
                assert found["text"] in (state, state + " edited"), number
        for thread in THREADS:
            shown = listed(store, thread)
            published = [c for c in store.moderation(thread=thread) if c["status"] == "published"]
            assert [c["id"] for c in shown if not c.get("removed")] == [c["id"] for c in published]
            assert store.thread_info(thread).count == len(published)
            # Every reply shown answers a comment shown (itself or its place).
            ids = {c["id"] for c in shown}
            assert all(c.get("parent") in (None, *ids) for c in shown)
    finally:
        store.close()


def test_counts_kept_by_a_process_follow_another_instances_writes(pg_url):
    reader, writer = PostgresStore(pg_url), PostgresStore(pg_url)
    try:
        writer.add("a", "one", thread="/a")
        first = reader.counts(["/a", "/b"])
        assert first.counts == {"/a": 1, "/b": 0}
        writer.add("b", "two", thread="/b")
        deadline = time.monotonic() + 5
        while (later := reader.counts(["/a", "/b"])).counts != {"/a": 1, "/b": 1}:
            assert time.monotonic() < deadline, "the count of /b did not follow"
            time.sleep(0.01)
        assert later.etag != first.etag
        # This process's own write counts at once.
        reader.add("c", "three", thread="/a")
        assert reader.counts(["/a"]).counts == {"/a": 2}
    finally:
        reader.close()
        writer.close()


def test_an_export_of_the_file_store_imports_with_its_threads(pg_url, tmp_path):
    from comments_app.stores.jsonfile import JsonFileStore

    source = JsonFileStore(tmp_path / "comments.json")
    top, _ = source.add("Ann", "Top", thread="/a")
    source.add("Bob", "Reply", thread="/a", parent=top["id"])
    source.add("Cy", "Default")
    source.add("Di", "Held", thread="/b", status="pending")
    source.delete(top["id"])
    records = source.export_records()
    views = {thread: listed(source, thread) for thread in ("", "/a", "/b")}
    target = PostgresStore(pg_url)
    try:
        before = target.etag("/a")
        assert target.import_records(records) == (4, 0)
        assert {thread: listed(target, thread) for thread in ("", "/a", "/b")} == views
        assert target.export_records() == records
        assert target.counts(["/a", "/b", ""]).counts == {"/a": 1, "/b": 0, "": 1}
        # A new epoch: every version from before the import is unknown, not misread.
        assert target.etag("/a").split("-")[0] != before.split("-")[0]
        assert target.add("Eve", "after", thread="/b")[0]["id"] == 5
        assert target.import_records(records) == (0, 4)
    finally:
        target.close()


def test_a_poller_following_changes_ends_with_the_thread_as_it_shows(pg_url):
    """Changes read by one instance while another writes (replies, hides, deletions) add up
    to the thread's list: placeholders appear and vanish with the replies under them."""
    import random

    writer, poller = PostgresStore(pg_url), PostgresStore(pg_url)
    try:
        writer.add("w", "first", thread="/a")
        version = poller.etag("/a")
        state = {c["id"]: c for c in listed(poller, "/a")}
        done = threading.Event()

        def write() -> None:
            chance = random.Random(20)
            published: list[int] = []
            for number in range(80):
                parent = chance.choice(published) if published and number % 2 else None
                comment, _ = writer.add("w", f"n{number}", thread="/a", parent=parent)
                published.append(comment["id"])
                if number % 4 == 3:
                    writer.update(published.pop(chance.randrange(len(published))), {"status": "hidden"})
                if number % 6 == 5:
                    writer.delete(published.pop(chance.randrange(len(published))))
            done.set()

        writing = threading.Thread(target=write)
        writing.start()
        while True:
            finished = done.is_set()
            answer = json.loads(poller.changes(version, "/a").body)
            for comment in answer["comments"]:
                state[comment["id"]] = comment
            for comment_id in answer["removed"]:
                state.pop(comment_id, None)
            version = answer["version"]
            if finished and version == writer.etag("/a"):
                break
            time.sleep(0.005)
        writing.join()
        assert [state[key] for key in sorted(state)] == listed(writer, "/a")
        assert any(c.get("removed") for c in state.values()), "no placeholder was exercised"
    finally:
        writer.close()
        poller.close()
