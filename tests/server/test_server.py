"""What only a real gunicorn with several workers shows."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from werkzeug.security import generate_password_hash

from ..conftest import GUNICORN, ROOT, free_port, server_env, storm_then_kill

pytestmark = pytest.mark.server


def post_many(url: str, client: int, count: int) -> list[dict]:
    """Post count comments as one client; return the acknowledged ones."""
    acknowledged = []
    with requests.Session() as session:
        for number in range(count):
            text = f"client {client} comment {number}"
            response = session.post(
                url + "/api/comments", data={"author": f"c{client}", "text": text}, timeout=30
            )
            assert response.status_code == 201, response.text
            [mine] = [c for c in response.json() if c["text"] == text]
            acknowledged.append(mine)
    return acknowledged


def test_concurrent_posts_from_16_clients_lose_nothing(start_server, comments_file):
    server = start_server(workers=4, COMMENTS_FILE=str(comments_file))
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda n: post_many(server.url, n, 15), range(16)))
    acknowledged = [comment for result in results for comment in result]
    stored = json.loads(comments_file.read_bytes())
    assert len(stored) == 16 * 15
    ids = [comment["id"] for comment in stored]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert {c["id"]: c for c in stored} == {c["id"]: c for c in acknowledged}
    # Every worker serves the same list, byte for byte.
    bodies = {requests.get(server.url + "/api/comments").content for _ in range(12)}
    assert bodies == {comments_file.read_bytes()}


def storm(url: str, client: int, stop: threading.Event, acknowledged: list[str]) -> None:
    """Post until the server dies; remember each text the server acknowledged."""
    number = 0
    while not stop.is_set():
        text = f"storm {client}-{number}"
        number += 1
        try:
            response = requests.post(url + "/api/comments", data={"author": "s", "text": text}, timeout=10)
        except requests.RequestException:
            continue
        if response.status_code == 201:
            acknowledged.append(text)


def test_kill_9_during_a_post_storm_loses_nothing_acknowledged(start_server, comments_file):
    acknowledged: list[str] = []
    for _ in range(4):
        server = start_server(workers=4, COMMENTS_FILE=str(comments_file))
        # The store removes what a killed writer left once a worker has started.
        assert not comments_file.with_name("comments.json.tmp").exists()
        storm_then_kill(server, storm, acknowledged, seconds=20)
        stored = json.loads(comments_file.read_bytes())
        texts = [comment["text"] for comment in stored]
        assert set(acknowledged) <= set(texts)
        ids = [comment["id"] for comment in stored]
        assert len(set(ids)) == len(ids)
        server.stop()
    assert len(acknowledged) >= 4 * 60
    final = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    names = sorted(p.name for p in comments_file.parent.iterdir() if p.name.startswith("comments"))
    assert names == ["comments.json", "comments.json.changes", "comments.json.key", "comments.json.lock"]
    assert (
        requests.post(final.url + "/api/comments", data={"author": "a", "text": "after"}).status_code == 201
    )


def test_corrupt_file_is_left_as_it_is(start_server, comments_file):
    content = b'[{"id": 1, "author": "a", "text": "half'
    comments_file.write_bytes(content)
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    for response in (
        requests.get(server.url + "/api/comments"),
        requests.post(server.url + "/api/comments", data={"author": "a", "text": "b"}),
        requests.get(server.url + "/healthz"),
    ):
        assert response.status_code == 503
        assert response.json()["error"].startswith("the comments store cannot be read: it is not valid JSON")
        assert str(comments_file.parent) not in response.text
    assert comments_file.read_bytes() == content
    # The log says which file, and why.
    assert f"comments store {comments_file} cannot be read: not valid JSON" in server.output()


def test_auth_scope_write_on_a_live_server(start_server, comments_file):
    users = f"alice:{generate_password_hash('pw')}"
    server = start_server(
        workers=2, COMMENTS_FILE=str(comments_file), COMMENTS_AUTH_USERS=users, COMMENTS_AUTH_SCOPE="write"
    )
    assert requests.get(server.url + "/api/comments").status_code == 200
    denied = requests.post(server.url + "/api/comments", data={"author": "a", "text": "b"})
    assert denied.status_code == 401
    assert denied.headers["WWW-Authenticate"] == 'Basic realm="Comments"'
    allowed = requests.post(
        server.url + "/api/comments", data={"author": "a", "text": "b"}, auth=("alice", "pw")
    )
    assert allowed.status_code == 201


def test_auth_all_on_a_live_server(start_server, comments_file):
    server = start_server(
        workers=2,
        COMMENTS_FILE=str(comments_file),
        COMMENTS_AUTH_USERS=f"alice:{generate_password_hash('pw')}",
    )
    assert requests.get(server.url + "/api/comments").status_code == 401
    assert requests.get(server.url + "/api/comments", auth=("alice", "pw")).status_code == 200
    assert requests.get(server.url + "/").status_code == 200


def test_plain_port_binds_every_interface(start_server, comments_file):
    port = free_port()
    server = start_server(workers=2, bind=None, PORT=str(port), COMMENTS_FILE=str(comments_file))
    assert f"Listening at: http://0.0.0.0:{port}" in server.output()
    assert server.url == f"http://127.0.0.1:{port}"
    response = requests.post(server.url + "/api/comments", data={"author": "a", "text": "b"})
    assert response.status_code == 201
    # The access log goes to stdout.
    deadline = time.monotonic() + 5
    while '"POST /api/comments' not in server.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert '"POST /api/comments' in server.output()


def test_defaults_port_3000_and_two_workers():
    result = subprocess.run(
        [GUNICORN, "wsgi:app", "--print-config"],
        cwd=ROOT,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    settings = {
        key.strip(): value.strip()
        for key, _, value in (line.partition(" = ") for line in result.stdout.splitlines())
    }
    assert settings["bind"] == "['0.0.0.0:3000']"
    assert settings["workers"] == "2"
    assert settings["worker_class"] == "comments_app.serving.worker.Worker"
    assert settings["keepalive"] == "5"


def test_web_concurrency_sets_the_workers(start_server, comments_file):
    port = free_port()
    server = start_server(
        workers=None, bind=None, PORT=str(port), WEB_CONCURRENCY="3", COMMENTS_FILE=str(comments_file)
    )
    deadline = time.monotonic() + 20
    while server.output().count("Booting worker") < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.output().count("Booting worker") == 3


@pytest.mark.parametrize(
    ("settings", "name"),
    [
        ({"COMMENTS_AUTH_USERS": "alice"}, "COMMENTS_AUTH_USERS"),
        ({"COMMENTS_AUTH_USERS": "alice:sha1$x$y"}, "COMMENTS_AUTH_USERS"),
        ({"COMMENTS_AUTH_SCOPE": "everything"}, "COMMENTS_AUTH_SCOPE"),
        ({"COMMENTS_RATE_LIMIT": "fast"}, "COMMENTS_RATE_LIMIT"),
        ({"COMMENTS_ADMIN_USERS": "mod"}, "COMMENTS_ADMIN_USERS"),
        ({"COMMENTS_EDIT_WINDOW": "soon"}, "COMMENTS_EDIT_WINDOW"),
        ({"DATABASE_URL": "mysql://db/x"}, "DATABASE_URL"),
        ({"COMMENTS_TRUSTED_PROXIES": "yes"}, "COMMENTS_TRUSTED_PROXIES"),
        ({"PORT": "http"}, "PORT"),
        ({"WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY"),
        ({"COMMENTS_CLIENT_TIMEOUT": "0"}, "COMMENTS_CLIENT_TIMEOUT"),
        ({"COMMENTS_CLIENT_TIMEOUT": "2.5"}, "COMMENTS_CLIENT_TIMEOUT"),
        ({"COMMENTS_CLIENT_TIMEOUT": "soon"}, "COMMENTS_CLIENT_TIMEOUT"),
        ({"COMMENTS_ACCESS_LOG": "sometimes"}, "COMMENTS_ACCESS_LOG"),
    ],
)
def test_bad_configuration_stops_gunicorn(tmp_path, settings, name):
    env = server_env(COMMENTS_FILE=str(tmp_path / "c.json"), **settings)
    result = subprocess.run(
        [GUNICORN, "wsgi:app", "--bind", "127.0.0.1:0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert f"Configuration error: {name}: " in result.stderr
    assert "Booting worker" not in result.stdout + result.stderr


# The access log: one line per request on stdout by default, off where the platform's
# router logs requests already (Heroku sets DYNO), and either way by COMMENTS_ACCESS_LOG.
@pytest.mark.parametrize(
    ("settings", "logged"),
    [
        ({}, True),
        ({"COMMENTS_ACCESS_LOG": "off"}, False),
        ({"DYNO": "web.1"}, False),
        ({"DYNO": "web.1", "COMMENTS_ACCESS_LOG": "on"}, True),
    ],
)
def test_access_log_setting(start_server, tmp_path, settings, logged):
    server = start_server(workers=1, COMMENTS_FILE=str(tmp_path / "c.json"), **settings)
    assert requests.get(server.url + "/api/comments?marker=access-log-test", timeout=10).status_code == 200
    server.stop()  # the log is complete once the server has exited
    assert ("GET /api/comments?marker=access-log-test" in server.output()) is logged
