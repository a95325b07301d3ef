"""PostgreSQL behind real gunicorn servers: two "dynos", outages, the CLI."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from ..conftest import eventually, flask_cli, require_postgres
from ..pgcluster import Cluster
from .test_server import post_many

# A PostgreSQL server's life: real gunicorns, a cluster stopped and started, commands.
pytestmark = pytest.mark.server

SECRET = "pw-hunter2-secret"


def test_two_dynos_share_one_database(start_server, pg_url, tmp_path):
    comments_file = tmp_path / "comments.json"
    comments_file.write_bytes(b"[]\n")
    before = comments_file.stat()
    dynos = [start_server(workers=2, DATABASE_URL=pg_url, COMMENTS_FILE=str(comments_file)) for _ in range(2)]
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda n: post_many(dynos[n % 2].url, n, 10), range(12)))
    acknowledged = {c["id"]: c for result in results for c in result}
    assert len(acknowledged) == 120
    # Each dyno hears the other's last writes through NOTIFY, milliseconds later.
    for dyno in dynos:
        assert eventually(lambda url=dyno.url: len(requests.get(url + "/api/comments").json()), 120) == 120
    bodies = {requests.get(dyno.url + "/api/comments").content for dyno in dynos for _ in range(4)}
    assert len(bodies) == 1
    stored = json.loads(bodies.pop())
    assert [c["id"] for c in stored] == list(range(1, 121))
    assert {c["id"]: c for c in stored} == acknowledged
    etags = {requests.get(dyno.url + "/api/comments").headers["ETag"] for dyno in dynos}
    assert len(etags) == 1
    assert (
        requests.get(dynos[0].url + "/api/comments", headers={"If-None-Match": etags.pop()}).status_code
        == 304
    )
    assert comments_file.read_bytes() == b"[]\n"
    assert comments_file.stat().st_mtime_ns == before.st_mtime_ns
    assert not comments_file.with_name("comments.json.lock").exists()


def test_init_db_and_import_json_round_trip(pg_url, tmp_path):
    source = [
        {"id": 1388534400000, "author": "Pete Hunt", "text": "Hey there!"},
        {
            "id": 1420070400000,
            "author": "Paul",
            "text": "React is *great*!",
            "created": "2015-01-01T00:00:00.000Z",
        },
    ]
    path = tmp_path / "tutorial.json"
    path.write_text(json.dumps(source, indent=2))
    settings = {"DATABASE_URL": pg_url, "COMMENTS_FILE": str(tmp_path / "unused.json")}
    init = flask_cli("init-db", **settings)
    assert init.returncode == 0, init.stderr
    assert flask_cli("init-db", **settings).returncode == 0
    first = flask_cli("import-json", str(path), **settings)
    assert first.returncode == 0, first.stderr
    assert "imported 2 comments" in first.stdout
    second = flask_cli("import-json", str(path), **settings)
    assert "imported 0 comments" in second.stdout and "2 were already there" in second.stdout

    from comments_app import create_app

    client = create_app(settings).test_client()
    assert client.get("/api/comments").get_json() == source
    added = client.post("/api/comments", data={"author": "new", "text": "one"}).get_json()
    assert added[-1]["id"] == 1420070400001
    assert not (tmp_path / "unused.json").exists()


def test_import_json_defaults_to_comments_file_and_refuses_bad_items(pg_url, tmp_path):
    path = tmp_path / "comments.json"
    path.write_text(json.dumps([{"id": 1, "author": "a", "text": "b"}, {"author": "no id", "text": "x"}]))
    result = flask_cli("import-json", DATABASE_URL=pg_url, COMMENTS_FILE=str(path))
    assert result.returncode != 0
    assert "item 1 has no whole-number id from 1 up; nothing was imported" in result.stderr
    path.write_text(json.dumps([{"id": 1, "author": "a", "text": "b"}]))
    result = flask_cli("import-json", DATABASE_URL=pg_url, COMMENTS_FILE=str(path))
    assert "imported 1 comments" in result.stdout


def test_init_db_needs_database_url(tmp_path):
    result = flask_cli("init-db", COMMENTS_FILE=str(tmp_path / "c.json"))
    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr


@pytest.fixture
def own_cluster():
    """A cluster of the test's own, so that it can be stopped and started."""
    require_postgres()
    try:
        cluster = Cluster().init().start()
    except RuntimeError as error:
        pytest.fail(f"cannot start a PostgreSQL cluster: {error}")
    yield cluster
    cluster.remove()


def timed_get(url: str) -> tuple[int, float, str]:
    started = time.monotonic()
    response = requests.get(url, timeout=30)
    return response.status_code, time.monotonic() - started, response.text


def test_outage_answers_503_fast_and_heals_without_restart(start_server, own_cluster, tmp_path):
    url = own_cluster.url(password=SECRET)
    server = start_server(
        workers=2, DATABASE_URL=url, COMMENTS_FILE=str(tmp_path / "c.json"), COMMENTS_DB_TIMEOUT="2"
    )
    acknowledged = post_many(server.url, 0, 5)
    own_cluster.stop("fast")
    for path in ("/api/comments", "/healthz"):
        status, seconds, body = timed_get(server.url + path)
        assert status == 503, body
        assert seconds < 5
        assert "comments database is unavailable" in json.loads(body)["error"]
        assert SECRET not in body
        # Where the database is, and why it failed, is for the log only.
        assert "127.0.0.1" not in body and str(own_cluster.port) not in body
    started = time.monotonic()
    failed = requests.post(server.url + "/api/comments", data={"author": "a", "text": "lost?"}, timeout=30)
    assert failed.status_code == 503 and time.monotonic() - started < 5
    own_cluster.start()
    deadline = time.monotonic() + 30
    while requests.get(server.url + "/api/comments", timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "the server did not heal"
        time.sleep(0.2)
    print(f"healed {time.monotonic() - deadline + 30:.1f} s after PostgreSQL started")
    # Every worker heals, and nothing acknowledged was lost.
    for _ in range(6):
        response = requests.get(server.url + "/api/comments", timeout=30)
        assert response.status_code == 200
        assert [c["id"] for c in response.json()] == [c["id"] for c in acknowledged]
    assert requests.get(server.url + "/healthz").status_code == 200
    assert (
        requests.post(server.url + "/api/comments", data={"author": "a", "text": "back"}).status_code == 201
    )
    assert SECRET not in server.output()
    assert "comments database is unavailable" in server.output() or "database error" in server.output()


def test_outage_answers_503_within_the_database_timeout(start_server, own_cluster, tmp_path):
    """COMMENTS_DB_TIMEOUT is the whole wait for the database: the pool's and the connection's."""
    server = start_server(
        workers=1,
        DATABASE_URL=own_cluster.url(password=SECRET),
        COMMENTS_FILE=str(tmp_path / "c.json"),
        COMMENTS_DB_TIMEOUT="1",
    )
    post_many(server.url, 0, 2)
    own_cluster.stop("fast")
    # The first requests find the pool's connections dead, the later ones none at all.
    for path in ("/api/comments", "/api/comments", "/healthz", "/api/comments?since=x-1", "/api/comments"):
        status, seconds, body = timed_get(server.url + path)
        assert status == 503, body
        assert seconds < 1.5, f"{path}: {seconds:.1f} s"
    started = time.monotonic()
    assert (
        requests.post(server.url + "/api/comments", data={"author": "a", "text": "lost?"}).status_code == 503
    )
    assert time.monotonic() - started < 1.5
