"""One contract, both stores: the JSON file and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time

import pytest

from comments_app import create_app
from comments_app.stores import StoreError
from comments_app.stores.jsonfile import JsonFileStore
from comments_app.stores.postgres import PostgresStore


@pytest.fixture(params=["json", "postgresql"])
def settings(request, tmp_path):
    if request.param == "json":
        return {"COMMENTS_FILE": str(tmp_path / "comments.json")}
    return {
        "COMMENTS_FILE": str(tmp_path / "untouched.json"),
        "DATABASE_URL": request.getfixturevalue("pg_url"),
    }


@pytest.fixture
def store_app(settings):
    app = create_app(settings)
    yield app
    app.extensions["comments_store"].close()


@pytest.fixture
def store(store_app):
    return store_app.extensions["comments_store"]


def test_empty_store_lists_nothing(store):
    snapshot = store.snapshot()
    assert json.loads(snapshot.body) == []
    assert store.etag() == snapshot.etag


def test_add_returns_the_comment_and_the_new_list(store):
    comment, snapshot = store.add("Ann", "Hello")
    assert comment["id"] == 1
    assert comment["created"].endswith("Z") and len(comment["created"]) == 24
    assert json.loads(snapshot.body) == [comment]
    assert store.snapshot() == snapshot
    assert store.get(1) == comment
    assert store.get(2) is None


def test_ids_are_unique_and_increasing_across_store_instances(settings):
    stores = [create_app(settings).extensions["comments_store"] for _ in range(3)]
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


def test_another_instances_write_is_seen(settings):
    first, second = (create_app(settings).extensions["comments_store"] for _ in range(2))
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
    assert json.loads(store.snapshot().body)[0] == comment


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
            if comment["text"] != text or comment not in json.loads(snapshot.body):
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


def test_open_store_picks_the_backend_from_the_settings(settings, store):
    expected = PostgresStore if settings.get("DATABASE_URL") else JsonFileStore
    assert type(store) is expected
