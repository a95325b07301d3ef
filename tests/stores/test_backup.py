"""export-json and import-json: every direction on both stores, moderation state, live writers."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from comments_app import create_app
from comments_app.model.comment import MAX_ID
from comments_app.state import app_state

from ..conftest import flask_cli, new_schema
from ..server.test_server import storm

# Runs the flask command line in processes of its own: not in make test-fast.
pytestmark = pytest.mark.commands


@pytest.fixture
def new_store(tmp_path, request):
    """new_store("file" | "postgresql") -> the settings of a new, empty store of that kind."""
    made = []

    def make(kind: str) -> dict[str, str]:
        number = len(made)
        made.append(kind)
        if kind == "file":
            return {"COMMENTS_FILE": str(tmp_path / f"store-{number}.json")}
        first = made.count("postgresql") == 1
        return {
            "COMMENTS_FILE": str(tmp_path / f"unused-{number}.json"),
            "DATABASE_URL": request.getfixturevalue("pg_url") if first else fresh_schema(request),
        }

    return make


def fresh_schema(request) -> str:
    """A second PostgreSQL schema within one test: pg_url is one per test."""
    return new_schema(request.getfixturevalue("database_url"), request.getfixturevalue("schemas_to_drop"))


def fill(settings: dict[str, str]) -> None:
    """Give a store comments in every state moderation leaves: edited, hidden, pending, deleted."""
    app = create_app(settings)
    store = app_state(app).store
    try:
        store.add("Ann", "first")
        store.add("Bob", "to be *edited*")
        store.add("Cy", "to be hidden")
        store.add("Dee", "to be deleted, words and all")
        store.add("Eve", "waiting", status="pending")
        store.add("Fay", "Zoë ✍️ 日本語\nsecond line")
        store.update(2, {"text": "edited"})
        store.update(3, {"status": "hidden"})
        store.delete(4)
    finally:
        store.close()


def export(settings: dict[str, str], *args: str) -> bytes:
    result = flask_cli("export-json", *args, **settings)
    assert result.returncode == 0, result.stderr
    return result.stdout.encode()


def import_file(settings: dict[str, str], path) -> str:
    result = flask_cli("import-json", str(path), **settings)
    assert result.returncode == 0, result.stderr
    return result.stdout


DIRECTIONS = [("file", "file"), ("file", "postgresql"), ("postgresql", "file"), ("postgresql", "postgresql")]


@pytest.mark.parametrize(("source", "target"), DIRECTIONS)
def test_export_then_import_copies_every_comment_and_its_state(new_store, tmp_path, source, target):
    origin = new_store(source)
    fill(origin)
    backup = tmp_path / "backup.json"
    result = flask_cli("export-json", str(backup), **origin)
    assert result.returncode == 0, result.stderr
    assert "exported 6 comments" in result.stdout
    records = json.loads(backup.read_bytes())
    assert [r["id"] for r in records] == [1, 2, 3, 4, 5, 6]
    assert records[1]["text"] == "edited" and "edited" in records[1]
    assert records[2]["status"] == "hidden"
    assert set(records[3]) == {"id", "deleted"}
    assert b"to be deleted" not in backup.read_bytes()
    assert records[4]["status"] == "pending"
    assert records[5]["text"] == "Zoë ✍️ 日本語\nsecond line"
    # Standard output and the file hold the same bytes.
    assert export(origin) == backup.read_bytes()

    copy = new_store(target)
    assert "imported 6 comments" in import_file(copy, backup)
    assert export(copy) == backup.read_bytes()
    # A second run adds nothing.
    assert "imported 0 comments" in import_file(copy, backup)
    assert "6 were already there" in import_file(copy, backup)
    assert export(copy) == backup.read_bytes()

    # The copy serves what the original served, and new ids continue after the last.
    before = create_app(origin).test_client().get("/api/comments").get_json()
    client = create_app(copy).test_client()
    assert client.get("/api/comments").get_json() == before
    assert [c["text"] for c in before] == ["first", "edited", "Zoë ✍️ 日本語\nsecond line"]
    added = client.post("/api/comments", data={"author": "new", "text": "after"})
    assert added.status_code == 201
    assert added.headers["Location"] == "/api/comments/7"


def test_round_trip_file_to_postgresql_to_file_keeps_every_comment(new_store, tmp_path):
    first, database, last = new_store("file"), new_store("postgresql"), new_store("file")
    fill(first)
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    export(first, str(one))
    import_file(database, one)
    export(database, str(two))
    import_file(last, two)
    assert export(last) == export(first)
    # The file made by import is the export, byte for byte: a valid COMMENTS_FILE.
    with open(last["COMMENTS_FILE"], "rb") as restored:
        assert restored.read() == one.read_bytes()


@pytest.mark.parametrize("target", ["file", "postgresql"])
def test_import_merges_into_a_store_in_use_and_keeps_id_order(new_store, tmp_path, target):
    settings = new_store(target)
    client = create_app(settings).test_client()
    client.post("/api/comments", data={"author": "a", "text": "one"})
    client.post("/api/comments", data={"author": "a", "text": "two"})
    tutorial = tmp_path / "tutorial.json"
    tutorial.write_text(
        json.dumps(
            [
                {"id": 2, "author": "clash", "text": "an id the store already has"},
                {"id": 1388534400000, "author": "Pete Hunt", "text": "Hey there!"},
                {"id": 10, "author": "Paul", "text": "hi", "created": "2015-01-01T01:00:00+01:00"},
            ]
        )
    )
    output = import_file(settings, tutorial)
    assert "imported 2 comments" in output and "1 were already there" in output
    listed = create_app(settings).test_client().get("/api/comments").get_json()
    assert [c["id"] for c in listed] == [1, 2, 10, 1388534400000]
    assert [c["text"] for c in listed][:2] == ["one", "two"]
    assert listed[2]["created"] == "2015-01-01T00:00:00.000Z"
    added = create_app(settings).test_client().post("/api/comments", data={"author": "b", "text": "next"})
    assert added.headers["Location"] == "/api/comments/1388534400001"


@pytest.mark.parametrize("kind", ["file", "postgresql"])
def test_an_export_taken_while_posts_land_holds_every_acknowledged_comment(start_server, new_store, kind):
    settings = new_store(kind)
    server = start_server(workers=4, **settings)
    acknowledged: list[str] = []
    stop = threading.Event()
    threads = [threading.Thread(target=storm, args=(server.url, n, stop, acknowledged)) for n in range(6)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 30
        while len(acknowledged) < 30:
            assert time.monotonic() < deadline, "the posts did not land"
            time.sleep(0.01)
        exports = []
        for _ in range(3):
            before = set(acknowledged)
            body = export(settings)
            exports.append((before, body))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    final = len(acknowledged)
    for before, body in exports:
        records = json.loads(body)
        texts = {record["text"] for record in records}
        assert before <= texts
        ids = [record["id"] for record in records]
        assert ids == sorted(set(ids))
    # Posts kept landing during the exports: they were taken from a live store.
    assert final > len(exports[0][0])
    assert requests.get(server.url + "/healthz").status_code == 200


@pytest.mark.parametrize("kind", ["file", "postgresql"])
def test_an_import_leaves_room_for_the_next_id(new_store, tmp_path, kind):
    """Issue 24, item 9: an imported id of 2**63 - 1 left no id for a new comment."""
    settings = new_store(kind)
    largest = tmp_path / "largest.json"
    largest.write_text(json.dumps([{"id": MAX_ID, "author": "a", "text": "the very last id"}]))
    result = flask_cli("import-json", str(largest), **settings)
    assert result.returncode == 1
    assert f"the largest an import may keep is {MAX_ID - 1}" in result.stderr
    client = create_app(settings).test_client()
    added = client.post("/api/comments", data={"author": "b", "text": "still room"})
    assert added.status_code == 201 and added.headers["Location"] == "/api/comments/1"

    other = new_store(kind)
    below = tmp_path / "below.json"
    below.write_text(json.dumps([{"id": MAX_ID - 1, "author": "a", "text": "one before the last"}]))
    assert "imported 1 comments" in import_file(other, below)
    client = create_app(other).test_client()
    added = client.post("/api/comments", data={"author": "b", "text": "the last"})
    assert added.status_code == 201, added.get_json()
    assert added.headers["Location"] == f"/api/comments/{MAX_ID}"
    assert [c["id"] for c in client.get("/api/comments").get_json()] == [MAX_ID - 1, MAX_ID]
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(("source", "target"), [("file", "postgresql"), ("postgresql", "file")])
def test_threads_replies_and_closed_threads_survive_a_backup(new_store, tmp_path, source, target):
    origin = new_store(source)
    store = app_state(create_app(origin)).store
    try:
        top = store.add("Ann", "On a page", thread="/blog/a/")[0]["id"]
        store.add("Bob", "A reply", thread="/blog/a/", parent=top)
        store.add("Cy", "Elsewhere", thread="/blog/b/")
        store.add("Dee", "In the default thread")
        store.close_thread("/blog/a/", True)
    finally:
        store.close()
    backup = tmp_path / "backup.json"
    export(origin, str(backup))

    copy = new_store(target)
    assert "1 threads closed" in import_file(copy, backup)
    assert export(copy) == backup.read_bytes()
    client = create_app(copy).test_client()
    page = client.get("/api/comments", query_string={"thread": "/blog/a/"}).get_json()
    assert [(c["text"], c.get("parent")) for c in page] == [("On a page", None), ("A reply", top)]
    assert [
        c["text"] for c in client.get("/api/comments", query_string={"thread": "/blog/b/"}).get_json()
    ] == ["Elsewhere"]
    assert [c["text"] for c in client.get("/api/comments").get_json()] == ["In the default thread"]
    assert client.get("/api/threads", query_string={"thread": "/blog/a/"}).get_json()["closed"] is True
    assert client.get("/api/threads", query_string={"thread": "/blog/b/"}).get_json()["closed"] is False
