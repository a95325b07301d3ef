"""The API contract, through the Flask test client."""

from __future__ import annotations

import json

import pytest

from comments_app import create_app
from comments_app.state import app_state

LIST_PATHS = ["/api/comments", "/comments.json"]


def post(client, path="/api/comments", **fields):
    return client.post(path, data=fields)


@pytest.mark.parametrize("path", LIST_PATHS)
def test_missing_file_lists_nothing(client, path, comments_file):
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_json() == []
    assert not comments_file.exists()


@pytest.mark.parametrize("path", LIST_PATHS)
def test_every_api_response_has_the_api_headers(client, path):
    for response in (client.get(path), post(client, path, author="a", text="b"), post(client, path)):
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "send",
    [
        lambda c: c.post("/api/comments", data={"author": " Ann ", "text": " Hi *there* "}),
        lambda c: c.post(
            "/api/comments",
            data={"author": " Ann ", "text": " Hi *there* "},
            content_type="multipart/form-data",
        ),
        lambda c: c.post("/api/comments", json={"author": " Ann ", "text": " Hi *there* "}),
        lambda c: c.post("/comments.json", data={"author": " Ann ", "text": " Hi *there* "}),
    ],
    ids=["form", "multipart", "json", "seed-path"],
)
def test_post_stores_a_trimmed_comment_and_answers_the_list(client, comments_file, send):
    response = send(client)
    assert response.status_code == 201
    [comment] = response.get_json()
    assert comment["id"] == 1
    assert (comment["author"], comment["text"]) == ("Ann", "Hi *there*")
    assert comment["created"].endswith("Z")
    assert response.headers["Location"] == "/api/comments/1"
    assert json.loads(comments_file.read_bytes()) == [comment]
    assert client.get("/api/comments/1").get_json() == comment


def test_unknown_fields_are_dropped(client, comments_file):
    response = client.post(
        "/api/comments", json={"author": "a", "text": "b", "id": 99, "admin": True, "created": "x"}
    )
    [comment] = response.get_json()
    assert set(comment) == {"id", "author", "text", "created"}
    assert comment["id"] == 1 and comment["created"] != "x"
    assert b"admin" not in comments_file.read_bytes()


def test_ids_increase_and_order_is_oldest_first(client):
    for number in range(5):
        post(client, author="a", text=f"comment {number}")
    comments = client.get("/api/comments").get_json()
    assert [c["id"] for c in comments] == [1, 2, 3, 4, 5]
    assert [c["text"] for c in comments] == [f"comment {n}" for n in range(5)]


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"text": "hi"}, "author", "author is missing"),
        ({"author": "   ", "text": "hi"}, "author", "author must not be empty"),
        ({"author": "a" * 101, "text": "hi"}, "author", "the limit is 100"),
        ({"author": "a\nb", "text": "hi"}, "author", "single line"),
        ({"author": "a", "text": ""}, "text", "text must not be empty"),
        ({"author": "a", "text": "x" * 10_001}, "text", "the limit is 10,000"),
        ({"author": "a", "text": "bell \x07"}, "text", "control characters"),
    ],
)
def test_invalid_fields_are_refused_with_reasons(client, comments_file, fields, field, words):
    response = post(client, **fields)
    assert response.status_code == 400
    body = response.get_json()
    assert words in body["error"]
    assert words in body["fields"][field]
    assert not comments_file.exists()


def test_limits_are_inclusive(client):
    response = post(client, author="a" * 100, text="x" * 10_000)
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"author": "a", "text": ', "not valid JSON"),
        (b'["a", "b"]', "must be an object"),
        (b'{"author": 5, "text": "b"}', "author must be a string"),
        (b'{"author": "a", "text": "\\ud800"}', "invalid Unicode"),
    ],
)
def test_bad_json_is_refused(client, comments_file, body, words):
    response = client.post("/api/comments", data=body, content_type="application/json")
    assert response.status_code == 400
    assert words in response.get_json()["error"]
    assert not comments_file.exists()


def test_unsupported_content_type_is_415(client):
    response = client.post("/api/comments", data="author=a", content_type="text/plain")
    assert response.status_code == 415
    assert "text/plain" in response.get_json()["error"]


def test_body_over_64_kib_is_413(client, comments_file):
    response = post(client, author="a", text="x" * (64 * 1024))
    assert response.status_code == 413
    assert "64 KiB" in response.get_json()["error"]
    assert not comments_file.exists()


def test_other_methods_are_405_with_allow(client):
    response = client.delete("/api/comments")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert "error" in response.get_json()


@pytest.mark.parametrize("method", ["get", "post", "put"])
def test_unknown_api_paths_are_json_404(client, method):
    response = getattr(client, method)("/api/nothing/here")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert "error" in response.get_json()


def test_unknown_comment_is_404(client):
    response = client.get("/api/comments/7")
    assert response.status_code == 404
    assert "7" in response.get_json()["error"]


def test_etag_and_304(client):
    first = client.get("/api/comments")
    etag = first.headers["ETag"]
    assert etag.startswith('"')
    again = client.get("/api/comments", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    added = post(client, author="a", text="b")
    assert added.headers["ETag"] != etag
    changed = client.get("/api/comments", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] == added.headers["ETag"]
    assert (
        client.get("/api/comments", headers={"If-None-Match": "W/" + added.headers["ETag"]}).status_code
        == 304
    )


def test_304_is_answered_without_reading_the_file(app, client, comments_file):
    post(client, author="a", text="b")
    etag = client.get("/api/comments").headers["ETag"]
    # A fresh app has nothing in memory; its 304 must come from a stat alone.
    fresh = create_app({"COMMENTS_FILE": str(comments_file)})
    store = app_state(fresh).store

    def must_not_read(*args, **kwargs):
        raise AssertionError("the list was read for a 304")

    store._default._current = must_not_read
    response = fresh.test_client().get("/api/comments", headers={"If-None-Match": etag})
    assert response.status_code == 304


def test_tutorial_file_is_served_as_it_is_and_extended(client, comments_file):
    tutorial = [
        {"id": 1388534400000, "author": "Pete Hunt", "text": "Hey there!"},
        {"id": 1420070400000, "author": "Paul O'Shannessy", "text": "React is *great*!"},
    ]
    comments_file.write_text(json.dumps(tutorial, indent=4))
    assert client.get("/api/comments").get_json() == tutorial
    response = post(client, author="New", text="one")
    comments = response.get_json()
    assert comments[:2] == tutorial
    assert comments[2]["id"] == 1420070400001
    assert json.loads(comments_file.read_bytes()) == comments


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'[{"id": 1, "author": "a", "text": "b"},', "not valid JSON"),
        (b'{"comments": []}', "not a JSON array"),
        (b"[1, 2]", "item 0 is not an object"),
        (b"\xff\xfe[]", "not UTF-8"),
    ],
)
def test_unreadable_file_answers_503_and_is_never_overwritten(client, comments_file, content, reason):
    comments_file.write_bytes(content)
    for response in (client.get("/api/comments"), post(client, author="a", text="b"), client.get("/healthz")):
        assert response.status_code == 503
        message = response.get_json()["error"]
        assert message.startswith("the comments store cannot be read: it is ")
        assert reason in message
        assert str(comments_file.parent) not in response.get_data(as_text=True)
    assert comments_file.read_bytes() == content


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_a_folder_removed_after_start_up_is_not_created_again(tmp_path):
    folder = tmp_path / "volume"
    folder.mkdir()
    client = create_app({"COMMENTS_FILE": str(folder / "comments.json")}).test_client()
    folder.rmdir()
    response = post(client, author="a", text="b")
    assert response.status_code == 503
    assert response.get_json()["error"] == "the comments store cannot be written"
    assert not folder.exists()


def test_relative_comments_file_is_resolved_from_the_project_not_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = create_app({"COMMENTS_FILE": "comments.json"})
    assert app_state(app).settings.file.parent == __import__("comments_app").config.PROJECT_ROOT


@pytest.mark.parametrize("path", ["/", "/moderate"])
def test_page_note_when_the_page_is_not_built(tmp_path, comments_file, path):
    app = create_app({"COMMENTS_FILE": str(comments_file), "PUBLIC_FOLDER": str(tmp_path / "public")})
    response = app.test_client().get(path)
    assert response.status_code == 200
    assert b"make ui" in response.data
    assert app.test_client().get("/api/comments").status_code == 200


def test_public_files_are_served(tmp_path, comments_file):
    public = tmp_path / "public"
    (public / "assets").mkdir(parents=True)
    (public / "index.html").write_text("<!doctype html><title>box</title>")
    (public / "moderate.html").write_text("<!doctype html><title>moderation</title>")
    (public / "assets" / "app-1234.js").write_text("console.log(1)")
    app = create_app({"COMMENTS_FILE": str(comments_file), "PUBLIC_FOLDER": str(public)})
    client = app.test_client()
    assert b"<title>box</title>" in client.get("/").data
    moderate = client.get("/moderate")
    assert b"<title>moderation</title>" in moderate.data
    assert moderate.headers["Content-Type"].startswith("text/html")
    asset = client.get("/assets/app-1234.js")
    assert asset.status_code == 200
    assert (
        "immutable" in asset.headers["Cache-Control"] or "max-age=31536000" in asset.headers["Cache-Control"]
    )
    assert client.get("/../comments.json").status_code == 404


def test_failed_write_answers_503_and_leaves_the_file_as_it_was(client, comments_file):
    assert post(client, author="a", text="first").status_code == 201
    before = comments_file.read_bytes()
    # A folder where the temporary file goes: the write fails as a full disk would.
    comments_file.with_name("comments.json.tmp").mkdir()
    response = post(client, author="a", text="second")
    assert response.status_code == 503
    assert response.get_json()["error"] == "the comments store cannot be written"
    assert comments_file.read_bytes() == before
    comments_file.with_name("comments.json.tmp").rmdir()
    assert post(client, author="a", text="third").status_code == 201
    assert [c["text"] for c in client.get("/api/comments").get_json()] == ["first", "third"]
