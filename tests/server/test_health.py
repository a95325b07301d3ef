"""/healthz and the store's failures on a real gunicorn: the truth for monitors, no paths for visitors."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
import requests

from ..conftest import unprivileged


def post(url: str, text: str = "b") -> requests.Response:
    return requests.post(url + "/api/comments", data={"author": "a", "text": text}, timeout=30)


def health(url: str) -> tuple[int, dict]:
    response = requests.get(url + "/healthz", timeout=30)
    assert response.headers["Content-Type"] == "application/json"
    return response.status_code, response.json()


def assert_writes_refused(server) -> tuple[requests.Response, dict]:
    """A POST and /healthz answer 503 for a folder the server cannot write; return both answers."""
    refused = post(server.url)
    assert refused.status_code == 503
    assert refused.json() == {"error": "the comments store cannot be written"}
    status, body = health(server.url)
    assert status == 503
    assert body["error"].startswith("the comments store cannot be written: its folder is not writable")
    assert body["writable"] is False
    return refused, body


def test_healthz_reports_the_store_and_its_version(start_server, comments_file):
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    assert health(server.url) == (
        200,
        {"status": "ok", "store": "file", "writable": True, "comments": 0, "version": "0-0"},
    )
    post(server.url)
    post(server.url)
    # The version is the uncompressed list's ETag.
    listed = requests.get(server.url + "/api/comments", headers={"Accept-Encoding": "identity"})
    status, body = health(server.url)
    assert status == 200
    assert body["comments"] == 2
    assert f'"{body["version"]}"' == listed.headers["ETag"]


def test_a_folder_the_server_cannot_write_fails_the_health_check(start_server, tmp_path):
    folder = tmp_path / "volume"
    folder.mkdir()
    comments_file = folder / "comments.json"
    comments_file.write_text(json.dumps([{"id": 1, "author": "a", "text": "kept"}]))
    folder.chmod(0o555)
    try:
        # With a key of its own the store needs no key file beside it to serve reads.
        server = start_server(
            workers=2, prefix=unprivileged(), COMMENTS_FILE=str(comments_file), COMMENTS_SECRET_KEY="k" * 32
        )
        assert requests.get(server.url + "/api/comments").json()[0]["text"] == "kept"
        refused, body = assert_writes_refused(server)
        assert body["status"] == "failing"
        assert body["comments"] == 1
        assert str(tmp_path) not in refused.text + json.dumps(body)
        # The log names the file, in a line of its own.
        assert str(folder) in server.output()
        assert "Traceback" not in server.output()
        # Fixed while it runs: healthy again, and writes work.
        folder.chmod(0o755)
        assert health(server.url)[0] == 200
        assert post(server.url, "after").status_code == 201
    finally:
        folder.chmod(0o755)
    assert [c["text"] for c in json.loads(comments_file.read_bytes())] == ["kept", "after"]


@pytest.mark.parametrize("lock_file", [False, True], ids=["no-lock-file", "writable-lock-file"])
def test_a_folder_the_server_cannot_write_still_serves_reads_without_a_key_file(
    start_server, tmp_path, lock_file
):
    """No COMMENTS_SECRET_KEY and no key file yet: reads go on, writes and /healthz say why not."""
    folder = tmp_path / "volume"
    folder.mkdir()
    comments_file = folder / "comments.json"
    comments_file.write_text(json.dumps([{"id": 1, "author": "a", "text": "kept"}]))
    if lock_file:  # the write then gets as far as making the key
        lock = folder / "comments.json.lock"
        lock.write_bytes(b"")
        lock.chmod(0o666)
    folder.chmod(0o555)
    try:
        server = start_server(workers=2, prefix=unprivileged(), COMMENTS_FILE=str(comments_file))
        listed = requests.get(server.url + "/api/comments")
        assert listed.status_code == 200, listed.text
        assert [c["text"] for c in listed.json()] == ["kept"]
        # One version in every worker: its ETag answers 304, and nothing changed since it.
        version = listed.headers["Comments-Version"]
        for _ in range(4):
            again = requests.get(
                server.url + "/api/comments", headers={"If-None-Match": listed.headers["ETag"]}
            )
            assert again.status_code == 304
            since = requests.get(server.url + "/api/comments", params={"since": version})
            assert since.status_code == 200 and since.json()["comments"] == []
        refused, body = assert_writes_refused(server)
        assert body["comments"] == 1
        assert str(tmp_path) not in refused.text + json.dumps(body)
        assert "Traceback" not in server.output()
        assert not (folder / "comments.json.key").exists()
        # Fixed while it runs: the first write makes the key, and the list goes on.
        folder.chmod(0o755)
        assert post(server.url, "after").status_code == 201
        assert health(server.url)[0] == 200
        assert [c["text"] for c in requests.get(server.url + "/api/comments").json()] == ["kept", "after"]
    finally:
        folder.chmod(0o755)


def test_a_lock_file_the_server_cannot_write_fails_the_health_check(start_server, comments_file):
    lock = comments_file.with_name("comments.json.lock")
    lock.write_bytes(b"")
    lock.chmod(0o444)
    server = start_server(workers=2, prefix=unprivileged(), COMMENTS_FILE=str(comments_file))
    assert post(server.url).status_code == 503
    status, body = health(server.url)
    assert status == 503
    assert "its lock file is not writable" in body["error"]
    assert "Traceback" not in server.output()


def test_a_file_the_server_cannot_read_names_no_path(start_server, comments_file):
    comments_file.write_text("[]")
    comments_file.chmod(0o000)
    server = start_server(workers=2, prefix=unprivileged(), COMMENTS_FILE=str(comments_file))
    for response in (
        requests.get(server.url + "/api/comments"),
        post(server.url),
        requests.get(server.url + "/healthz"),
    ):
        assert response.status_code == 503
        assert response.json()["error"] == "the comments store cannot be read"
        assert str(comments_file.parent) not in response.text
        assert "Permission denied" not in response.text
    assert f"comments store {comments_file} cannot be read: Permission denied" in server.output()
    assert "Traceback" not in server.output()
    assert comments_file.read_bytes() == b"[]"


def test_an_empty_file_is_an_empty_list_and_the_first_post_writes_a_store(start_server, comments_file):
    comments_file.write_bytes(b"")
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    listed = requests.get(server.url + "/api/comments")
    assert listed.status_code == 200
    assert listed.json() == []
    assert health(server.url)[1]["comments"] == 0
    assert health(server.url)[0] == 200
    posted = post(server.url, "first")
    assert posted.status_code == 201
    stored = json.loads(comments_file.read_bytes())
    assert [c["text"] for c in stored] == ["first"]
    assert stored[0]["id"] == 1
    assert post(server.url, "second").status_code == 201
    assert [c["id"] for c in json.loads(comments_file.read_bytes())] == [1, 2]


def test_a_read_only_database_fails_the_health_check(start_server, pg_url, tmp_path):
    writable = start_server(workers=1, DATABASE_URL=pg_url, COMMENTS_FILE=str(tmp_path / "c.json"))
    assert post(writable.url, "before").status_code == 201
    assert health(writable.url)[1] == {
        "status": "ok",
        "store": "postgresql",
        "writable": True,
        "comments": 1,
        "version": health(writable.url)[1]["version"],
    }
    read_only_url = pg_url + "%20-cdefault_transaction_read_only%3Don"
    server = start_server(workers=2, DATABASE_URL=read_only_url, COMMENTS_FILE=str(tmp_path / "c.json"))
    status, body = health(server.url)
    assert status == 503, body
    assert "the database is read-only" in body["error"]
    assert body["comments"] == 1 and body["writable"] is False
    refused = post(server.url, "lost")
    assert refused.status_code == 503
    assert refused.json() == {"error": "the comments database is unavailable"}
    assert "read-only transaction" in server.output()


def test_a_role_that_may_only_read_fails_the_health_check(start_server, pg_url, database_url, tmp_path):
    writable = start_server(workers=1, DATABASE_URL=pg_url, COMMENTS_FILE=str(tmp_path / "c.json"))
    assert post(writable.url).status_code == 201
    role = f"reader_{uuid.uuid4().hex[:8]}"
    schema = pg_url.rpartition("search_path%3D")[2]
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}")
    try:
        reader_url = pg_url.replace("postgresql://postgres@", f"postgresql://{role}@")
        server = start_server(workers=1, DATABASE_URL=reader_url, COMMENTS_FILE=str(tmp_path / "c.json"))
        status, body = health(server.url)
        assert status == 503, body
        assert "the database role may not write the comments tables" in body["error"]
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")
