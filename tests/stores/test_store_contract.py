"""One contract, both stores: the JSON file and PostgreSQL."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from comments_app import create_app
from comments_app.state import app_state
from comments_app.stores import StoreError
from comments_app.stores.contract import CommentNotFound
from comments_app.stores.jsonfile import JsonFileStore
from comments_app.stores.layout import parse_list
from comments_app.stores.postgres import PostgresStore

from .. import storm


@pytest.fixture
def store_app(store_settings):
    app = create_app(store_settings)
    yield app
    app_state(app).store.close()


@pytest.fixture
def store(store_app):
    return app_state(store_app).store


def test_empty_store_lists_nothing(store):
    snapshot = store.snapshot()
    assert json.loads(snapshot.body) == []
    assert store.etag() == snapshot.etag


def public(comment: dict) -> dict:
    """A comment as the public list shows it: without its status."""
    return {key: value for key, value in comment.items() if key != "status"}


def test_add_returns_the_comment_and_the_new_list(store):
    comment, snapshot = store.add("Ann", "Hello")
    assert comment["id"] == 1
    assert comment["status"] == "published"
    assert comment["created"].endswith("Z") and len(comment["created"]) == 24
    assert json.loads(snapshot.body) == [public(comment)]
    assert store.snapshot() == snapshot
    assert store.get(1) == public(comment)
    assert store.get(2) is None


def test_ids_are_unique_and_increasing_across_store_instances(store_settings):
    stores = [app_state(create_app(store_settings)).store for _ in range(3)]
    results: list[int] = []

    def write(store):
        for number in range(10):
            results.append(store.add("w", f"{number}")[0]["id"])

    threads = [threading.Thread(target=write, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(1, 31))
    bodies = {store.snapshot().body for store in stores}
    assert len(bodies) == 1
    assert [c["id"] for c in json.loads(bodies.pop())] == list(range(1, 31))
    for store in stores:
        store.close()


def test_etag_changes_with_every_write_and_only_then(store):
    tags = {store.etag()}
    for number in range(3):
        _, snapshot = store.add("a", str(number))
        assert snapshot.etag not in tags
        tags.add(snapshot.etag)
        assert store.etag() == snapshot.etag


def texts(store) -> list[str]:
    return [c["text"] for c in json.loads(store.snapshot().body)]


def await_seen(store, check) -> None:
    """Assert check(store): at once for the file store (a stat tells), and for
    PostgreSQL as soon as its listener hears the NOTIFY (within a second here)."""
    deadline = time.monotonic() + (1 if isinstance(store, PostgresStore) else 0)
    while not check(store):
        assert time.monotonic() < deadline, texts(store)
        time.sleep(0.001)


def test_another_instances_write_is_seen(store_settings):
    first, second = (app_state(create_app(store_settings)).store for _ in range(2))
    first.snapshot()
    time.sleep(0.2)  # let PostgreSQL's listener start, so that it is what is tested
    second.add("b", "from the second")
    await_seen(first, lambda store: texts(store) == ["from the second"])
    _, snapshot = first.add("a", "from the first")
    await_seen(second, lambda store: store.snapshot() == snapshot)
    first.close()
    second.close()


def test_unicode_round_trips(store):
    comment, _ = store.add("Zoë ✍️", "日本語 and emoji 🎉\nsecond line")
    assert json.loads(store.snapshot().body)[0] == public(comment)


def test_the_api_works_the_same_on_both(store_app):
    client = store_app.test_client()
    posted = client.post("/api/comments", data={"author": "a", "text": "b"})
    assert posted.status_code == 201
    assert posted.headers["Location"] == "/api/comments/1"
    etag = posted.headers["ETag"]
    assert client.get("/api/comments", headers={"If-None-Match": etag}).status_code == 304
    listed = client.get("/api/comments")
    assert listed.data == posted.data
    assert listed.headers["ETag"] == etag
    assert client.get("/api/comments/1").get_json() == listed.get_json()[0]
    assert client.get("/healthz").status_code == 200


def test_json_store_refuses_to_overwrite_an_unreadable_file(tmp_path):
    path = tmp_path / "comments.json"
    path.write_bytes(b"not json")
    store = JsonFileStore(path)
    with pytest.raises(StoreError):
        store.add("a", "b")
    assert path.read_bytes() == b"not json"


def test_threads_of_one_store_each_get_their_own_comment(store):
    """Threads share a write (group commit); each still gets its own comment back."""
    problems: list[str] = []

    def write(worker: int) -> None:
        for number in range(10):
            text = f"thread {worker} comment {number}"
            comment, snapshot = store.add(f"t{worker}", text)
            if comment["text"] != text or public(comment) not in json.loads(snapshot.body):
                problems.append(text)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    stored = json.loads(store.snapshot().body)
    assert [c["id"] for c in stored] == list(range(1, 81))
    assert sorted(c["text"] for c in stored) == sorted(
        f"thread {w} comment {n}" for w in range(8) for n in range(10)
    )


def test_open_store_picks_the_backend_from_the_settings(store_settings, store):
    expected = PostgresStore if store_settings.get("DATABASE_URL") else JsonFileStore
    assert type(store) is expected


def stored_words(store_settings: dict) -> bytes:
    """Everything the store holds, as bytes: the file, or every row of the table."""
    if not store_settings.get("DATABASE_URL"):
        path = Path(store_settings["COMMENTS_FILE"])
        return path.read_bytes() if path.exists() else b""
    import psycopg

    with psycopg.connect(store_settings["DATABASE_URL"]) as conn:
        rows = conn.execute("SELECT * FROM comments ORDER BY id").fetchall()
    return repr(rows).encode()


def public_ids(store) -> list[int]:
    return [c["id"] for c in json.loads(store.snapshot().body)]


def test_only_published_comments_are_public(store):
    shown, _ = store.add("a", "shown")
    held, snapshot = store.add("b", "held", status="pending")
    assert held["status"] == "pending"
    assert json.loads(snapshot.body) == [public(shown)]
    assert store.get(held["id"]) is None
    assert [(c["id"], c["status"]) for c in store.moderation()] == [(1, "published"), (2, "pending")]
    assert [c["id"] for c in store.moderation("pending")] == [2]
    published, snapshot = store.update(2, {"status": "published"})
    assert published == {**held, "status": "published"}
    assert "edited" not in published
    assert public_ids(store) == [1, 2]
    assert store.get(2) == public(published)
    hidden, _ = store.update(1, {"status": "hidden"})
    assert hidden["status"] == "hidden"
    assert public_ids(store) == [2]
    assert store.get(1) is None
    assert [c["status"] for c in store.moderation()] == ["hidden", "published"]
    assert store.moderation("hidden") == [hidden]


def test_an_edit_changes_the_words_and_stamps_the_time(store):
    original, _ = store.add("Ann", "typo")
    edited, snapshot = store.update(1, {"text": "fixed", "author": "Anne"})
    assert (edited["author"], edited["text"]) == ("Anne", "fixed")
    assert edited["created"] == original["created"]
    assert edited["edited"].endswith("Z") and edited["edited"] >= original["created"]
    assert json.loads(snapshot.body) == [public(edited)]
    assert store.get(1) == public(edited)
    assert json.loads(store.snapshot().body) == [public(edited)]


@pytest.mark.parametrize("changes", [{"status": "spam!"}, {"id": 5}, {"created": "x"}, {}])
def test_a_bad_change_is_refused_and_changes_nothing(store, changes):
    store.add("a", "b")
    before = store.snapshot()
    with pytest.raises(ValueError):
        store.update(1, changes)
    assert store.snapshot() == before


def test_deleting_leaves_a_tombstone_and_no_words(store_settings, store):
    store.add("Secret Author", "secret words")
    store.add("b", "kept")
    snapshot = store.delete(1)
    assert [c["text"] for c in json.loads(snapshot.body)] == ["kept"]
    assert store.get(1) is None
    assert [c["id"] for c in store.moderation()] == [2]
    assert b"secret words" not in stored_words(store_settings)
    assert b"Secret Author" not in stored_words(store_settings)
    for change in (lambda: store.delete(1), lambda: store.update(1, {"text": "back"})):
        with pytest.raises(CommentNotFound):
            change()
    assert store.snapshot() == snapshot


def test_unknown_ids_are_not_found(store):
    store.add("a", "b")
    with pytest.raises(CommentNotFound):
        store.update(9, {"text": "x"})
    with pytest.raises(CommentNotFound):
        store.delete(9)


def test_ids_are_never_reused_after_deleting_the_last(store_settings, store):
    store.add("a", "one")
    store.add("a", "two")
    store.delete(2)
    assert store.add("a", "three")[0]["id"] == 3
    store.delete(3)
    fresh = app_state(create_app(store_settings)).store
    assert fresh.add("a", "four")[0]["id"] == 4
    fresh.close()


def test_every_change_changes_the_etag(store):
    tags = [store.etag()]
    store.add("a", "one")
    tags.append(store.etag())
    store.add("a", "two", status="pending")
    tags.append(store.etag())
    for change in (
        lambda: store.update(1, {"text": "one, edited"}),
        lambda: store.update(2, {"status": "published"}),
        lambda: store.update(2, {"status": "hidden"}),
        lambda: store.delete(1),
    ):
        change()
        assert store.etag() == store.snapshot().etag
        tags.append(store.etag())
    assert len(set(tags)) == len(tags)


def test_changes_made_by_another_instance_are_seen(store_settings):
    first, second = (app_state(create_app(store_settings)).store for _ in range(2))
    first.add("a", "one")
    first.add("a", "two")
    first.snapshot()
    second.update(1, {"text": "one, edited"})
    await_seen(first, lambda store: texts(store) == ["one, edited", "two"])
    second.update(2, {"status": "hidden"})
    await_seen(first, lambda store: texts(store) == ["one, edited"])
    second.delete(1)
    await_seen(first, lambda store: texts(store) == [])
    assert first.get(1) is None and first.get(2) is None
    assert [c["id"] for c in first.moderation()] == [2]
    first.close()
    second.close()


def test_secret_key_is_shared_by_the_instances_of_one_store(store_settings, tmp_path):
    first, second = (app_state(create_app(store_settings)).store for _ in range(2))
    assert len(first.secret_key()) >= 32
    assert first.secret_key() == second.secret_key()
    configured = app_state(create_app({**store_settings, "COMMENTS_SECRET_KEY": "k" * 20})).store
    assert configured.secret_key() == b"k" * 20
    for store in (first, second, configured):
        store.close()


def test_json_store_keeps_its_key_beside_the_file_readable_by_its_owner_only(tmp_path):
    store = JsonFileStore(tmp_path / "comments.json")
    key = store.secret_key()
    key_file = tmp_path / "comments.json.key"
    assert key_file.read_bytes().strip() == key
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert JsonFileStore(tmp_path / "comments.json").secret_key() == key


def test_json_etag_says_nothing_about_the_file(tmp_path):
    path = tmp_path / "comments.json"
    store = JsonFileStore(path)
    # Long enough that its size has more digits than chance puts in a digest.
    store.add("a", "b" * 100_000)
    st = path.stat()
    etag = store.etag()
    # Inode and time are long enough that a random tag never holds them by chance; the
    # size is short, so it must only not be one of the tag's parts.
    for number in (st.st_ino, st.st_mtime_ns):
        assert f"{number:x}" not in etag and str(number) not in etag
    parts = etag.replace('"', "").split("-")
    assert f"{st.st_size:x}" not in parts and str(st.st_size) not in parts


def test_json_versions_do_not_tell_when_writes_happened(tmp_path):
    """Known versions and their times (one's own POST's created) decode no other's time."""
    path = tmp_path / "comments.json"
    store = JsonFileStore(path)
    known = []
    for number in range(8):
        store.add("a", f"comment {number}")
        known.append((store.etag(), path.stat().st_mtime_ns))
    parts = [[int(part, 16) for part in etag.split("-")] for etag, _ in known]
    times = [mtime for _, mtime in known]
    for position in range(len(parts[0])):
        column = [numbers[position] for numbers in parts]
        # No part changes with time: neither ordered as the writes were, nor a time
        # under a mask (XOR) or an offset learned from one pair and used on another.
        assert column != sorted(column) and column != sorted(column, reverse=True)
        xor_mask, offset = column[0] ^ times[0], column[0] - times[0]
        for value, mtime in zip(column[1:], times[1:], strict=True):
            assert value ^ xor_mask != mtime
            assert value - offset != mtime


def test_json_a_version_read_before_the_first_write_stays_good_after_it(tmp_path):
    """A read makes the key when it can (a folder the server cannot write still serves reads,
    tests/server/test_health.py): the version a page holds before the first comment is
    still one the store knows after it, and the page is sent the changes, not a 410."""
    path = tmp_path / "comments.json"
    path.write_text(json.dumps([{"id": 1, "author": "a", "text": "kept"}]))
    store, other = JsonFileStore(path), JsonFileStore(path)
    version = store.etag()
    assert store.snapshot().etag == version == other.snapshot().etag  # one name in every worker
    store.add("a", "after")
    changes = json.loads(other.changes(version).body)
    assert [c["text"] for c in changes["comments"]] == ["after"]
    assert other.etag() == store.etag()


def test_tutorial_comments_are_published_and_can_be_changed(tmp_path):
    path = tmp_path / "comments.json"
    tutorial = [
        {"id": 1388534400000, "author": "Pete Hunt", "text": "Hey there!"},
        {"id": 1420070400000, "author": "Paul", "text": "React is *great*!"},
    ]
    path.write_text(json.dumps(tutorial, indent=4))
    store = JsonFileStore(path)
    assert store.get(1388534400000) == tutorial[0]
    assert [c["status"] for c in store.moderation()] == ["published", "published"]
    store.update(1388534400000, {"status": "hidden"})
    store.delete(1420070400000)
    assert json.loads(store.snapshot().body) == []
    assert store.add("a", "b")[0]["id"] == 1420070400001
    assert b"great" not in path.read_bytes()


def test_a_file_edited_by_hand_is_read_whole(tmp_path):
    """Records in another key order (no hint vouches for the layout) are still told apart."""
    path = tmp_path / "comments.json"
    path.write_text(
        json.dumps(
            [
                {"author": "a", "text": "hidden", "id": 1, "status": "hidden"},
                {"text": "shown", "id": 2, "author": "b"},
                {"id": 3, "deleted": "2026-01-01T00:00:00.000Z"},
            ]
        )
    )
    store = JsonFileStore(path)
    assert texts(store) == ["shown"]
    assert store.get(1) is None and store.get(3) is None
    assert [c["id"] for c in store.moderation()] == [1, 2]
    assert store.add("c", "new")[0]["id"] == 4
    assert texts(store) == ["shown", "new"]
    assert store.get(2)["text"] == "shown"


def read_log(path: Path) -> list[tuple[str, int, str]]:
    if not path.exists():
        return []
    entries = []
    for line in path.read_text().splitlines():
        kind, number, text = line.split(" ", 2)
        entries.append((kind, int(number), text))
    return entries


def start_storm(store_settings: dict, log: Path, workers: int, rounds: int) -> list:
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=storm.run, args=(store_settings, number, rounds, str(log)))
        for number in range(workers)
    ]
    for process in processes:
        process.start()
    return processes


def check_storm(store, acknowledged: list[tuple[str, int, str]], complete: bool) -> None:
    """The store holds every acknowledged change; without complete, also perhaps one in flight each."""
    final: dict[int, str] = {}
    for kind, number, text in acknowledged:
        final[number] = "deleted" if kind == "delete" else text
    comments = {c["id"]: c for c in store.moderation()}
    assert len(comments) == len(store.moderation())
    public_list = json.loads(store.snapshot().body)
    assert [c["id"] for c in public_list] == sorted(comments)
    for number, state in final.items():
        shown = comments[number]["text"] if number in comments else "deleted"
        if complete:
            assert shown == state, number
        elif state == "deleted":
            assert shown == "deleted", number
        elif state.endswith(" edited"):
            assert shown in (state, "deleted"), number
        else:
            assert shown in (state, state + " edited"), number
    if complete:
        assert set(comments) == {n for n, state in final.items() if state != "deleted"}


def test_storm_of_adds_edits_and_deletes_from_several_processes(store_settings, tmp_path):
    log = tmp_path / "acknowledged.log"
    processes = start_storm(store_settings, log, workers=4, rounds=12)
    for process in processes:
        process.join(120)
        assert process.exitcode == 0
    acknowledged = read_log(log)
    assert len(acknowledged) == 4 * (12 * 2 + 4)
    store = app_state(create_app(store_settings)).store
    check_storm(store, acknowledged, complete=True)
    ids = [number for kind, number, _ in acknowledged if kind == "add"]
    assert sorted(ids) == list(range(1, 4 * 12 + 1))
    store.close()


def test_kill_9_in_a_storm_leaves_a_valid_store_with_everything_acknowledged(store_settings, tmp_path):
    log = tmp_path / "acknowledged.log"
    for _ in range(3):
        processes = start_storm(store_settings, log, workers=4, rounds=1000)
        storm.kill_9_once_logged(processes, log, 40)
        store = app_state(create_app(store_settings)).store
        check_storm(store, read_log(log), complete=False)
        store.close()
    assert len(read_log(log)) >= 3 * 40
    if not store_settings.get("DATABASE_URL"):
        path = Path(store_settings["COMMENTS_FILE"])
        parse_list(path.read_bytes())
        assert not path.with_name("comments.json.tmp").exists() or JsonFileStore(path)


def test_json_get_by_id_never_parses_the_whole_file(tmp_path, monkeypatch):
    """Another process's version is read, not parsed: one comment costs one line's parse."""
    path = tmp_path / "comments.json"
    writer = JsonFileStore(path)
    for number in range(50):
        writer.add("a", f"comment {number}", status="hidden" if number == 7 else "published")
    reader = JsonFileStore(path)

    def must_not_parse(body):
        raise AssertionError("the whole file was parsed")

    monkeypatch.setattr("comments_app.stores.jsonfile.store.parse_list", must_not_parse)
    assert reader.get(30)["text"] == "comment 29"
    assert reader.get(8) is None
    assert len(json.loads(reader.snapshot().body)) == 49


@pytest.mark.parametrize("first", ["add", "update", "delete"])
def test_json_store_makes_its_key_when_the_first_request_on_an_old_file_is_a_change(tmp_path, first):
    """A store from before keys existed: its first write must make the key, not wait on itself."""
    path = tmp_path / "comments.json"
    path.write_text(json.dumps([{"id": 1, "author": "a", "text": "old"}]))
    store = JsonFileStore(path)
    result: list = []
    worker = threading.Thread(
        target=lambda: result.append(
            {
                "add": lambda: store.add("b", "new"),
                "update": lambda: store.update(1, {"text": "x"}),
                "delete": lambda: store.delete(1),
            }[first]()
        ),
        daemon=True,
    )
    worker.start()
    worker.join(20)
    assert result, "the first write did not finish"
    assert (tmp_path / "comments.json.key").stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / "comments.json.key.tmp").exists()


def test_json_store_removes_a_key_half_made_by_a_killed_worker(tmp_path):
    partial = tmp_path / "comments.json.key.tmp"
    partial.write_bytes(b"12")
    store = JsonFileStore(tmp_path / "comments.json")
    assert not partial.exists()
    assert len(store.secret_key()) == 64


def test_a_record_is_found_by_id_whatever_its_status(store):
    for number, status in enumerate(("published", "hidden", "pending", "spam"), start=1):
        store.add(f"a{number}", f"text {number}", status)
    store.delete(2)
    found = {number: store.record(number) for number in range(1, 6)}
    assert found[1]["status"] == "published" and found[1]["text"] == "text 1"
    assert found[2] is None  # deleted
    assert (found[3]["status"], found[4]["status"]) == ("pending", "spam")
    assert found[3] == next(c for c in store.moderation() if c["id"] == 3)
    assert found[5] is None  # never was
