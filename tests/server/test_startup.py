"""What a real gunicorn says, or refuses, as it starts: the store's place and the risks to it."""

from __future__ import annotations

import subprocess

import pytest
import requests

from ..conftest import GUNICORN, ROOT, free_port, server_env

pytestmark = pytest.mark.server


def run_gunicorn(**settings: str) -> subprocess.CompletedProcess:
    """Start gunicorn expecting it to stop by itself."""
    return subprocess.run(
        [GUNICORN, "wsgi:app", "--bind", "127.0.0.1:0"],
        cwd=ROOT,
        env=server_env(**settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_missing_store_folder_stops_start_up_and_creates_nothing(tmp_path):
    missing = tmp_path / "coments"
    result = run_gunicorn(COMMENTS_FILE=str(missing / "comments.json"))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(f"Configuration error: COMMENTS_FILE: the folder {missing} does not exist")
    assert "Traceback" not in result.stderr
    assert "Booting worker" not in result.stdout + result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_file_as_the_store_folder_stops_start_up(tmp_path):
    (tmp_path / "data").write_text("")
    result = run_gunicorn(COMMENTS_FILE=str(tmp_path / "data" / "comments.json"))
    assert result.returncode != 0
    assert "Configuration error: COMMENTS_FILE: " in result.stderr
    assert "is not a folder" in result.stderr


def test_the_first_start_on_a_new_file_says_where_the_store_is(start_server, comments_file):
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    assert server.output().count(f"comments will be stored in {comments_file}, a new file") == 1
    assert not comments_file.exists()
    assert requests.get(server.url + "/api/comments").json() == []
    assert requests.post(server.url + "/api/comments", data={"author": "a", "text": "b"}).status_code == 201
    server.stop()
    again = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    assert f"comments are stored in {comments_file}\n" in again.output()
    assert "DYNO" not in again.output()


def test_dyno_with_the_file_store_warns_once_naming_database_url(start_server, comments_file):
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file), DYNO="web.1")
    warnings = [line for line in server.output().splitlines() if "DYNO is set" in line]
    assert len(warnings) == 1
    assert "[WARNING]" in warnings[0]
    assert "lost at the next restart" in warnings[0]
    assert "DATABASE_URL" in warnings[0]
    assert str(comments_file) in warnings[0]


def test_dyno_with_postgresql_does_not_warn(start_server, pg_url, tmp_path):
    # The test cluster trusts every login: the password is there to be hidden.
    url = pg_url.replace("postgresql://postgres@", "postgresql://postgres:hunter2@")
    server = start_server(workers=1, COMMENTS_FILE=str(tmp_path / "c.json"), DATABASE_URL=url, DYNO="web.1")
    assert "DYNO is set" not in server.output()
    assert "comments are stored in PostgreSQL at postgresql://postgres:***@127.0.0.1:" in server.output()
    assert "hunter2" not in server.output()


def test_bind_listens_on_loopback_only_whatever_port_says(start_server, comments_file):
    port = free_port()
    server = start_server(
        workers=1, bind=f"127.0.0.1:{port}", PORT=str(free_port()), COMMENTS_FILE=str(comments_file)
    )
    assert f"Listening at: http://127.0.0.1:{port}" in server.output()
    assert "0.0.0.0" not in server.output()
    assert requests.get(server.url + "/healthz").status_code == 200
