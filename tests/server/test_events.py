"""GET /api/comments/events against real gunicorns: what a stream carries, resuming it,
limits, a reader that stops reading, and SIGTERM."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest
import requests
from werkzeug.security import generate_password_hash

from ..conftest import eventually
from ..sse import EventStream

MOD = ("mod", "mod-secret")
ORIGIN = "https://blog.example"
EVENTS = "/api/comments/events"
DROPPED = "Closed a stream whose client stopped reading"


@pytest.fixture(scope="module")
def site(start_shared_server, tmp_path_factory):
    """Two instances (gunicorns of two workers each) on one file store: a change made
    through one reaches the streams of the other's workers through the file alone."""
    folder = tmp_path_factory.mktemp("events")
    settings = {
        "COMMENTS_FILE": str(folder / "comments.json"),
        "COMMENTS_STREAM_PING": "1",
        "COMMENTS_ADMIN_USERS": f"mod:{generate_password_hash(MOD[1])}",
        "COMMENTS_CORS_ORIGINS": ORIGIN,
    }
    writer = start_shared_server(workers=2, **settings)
    reader = start_shared_server(workers=2, **settings)
    return writer, reader


def post(url: str, thread: str, text: str = "Hello", status: int = 201) -> requests.Response:
    response = requests.post(
        f"{url}/api/comments", json={"author": "Ann", "text": text, "thread": thread}, timeout=30
    )
    assert response.status_code == status, response.text
    return response


def version(url: str, thread: str) -> str:
    return requests.get(f"{url}/api/comments", params={"thread": thread}, timeout=30).headers[
        "Comments-Version"
    ]


def moderate(url: str, comment_id: int, status: str) -> None:
    response = requests.patch(
        f"{url}/api/comments/{comment_id}", json={"status": status}, auth=MOD, timeout=30
    )
    assert response.status_code == 200, response.text


def test_a_stream_says_where_the_thread_stands_then_brings_each_new_comment(site):
    writer, reader = site
    post(writer.url, "/stands")
    with EventStream(reader.url, f"{EVENTS}?thread=/stands") as stream:
        assert stream.status == 200
        assert stream.headers["Content-Type"] == "text/event-stream"
        assert stream.headers["Cache-Control"] == "no-cache"
        assert stream.headers["X-Accel-Buffering"] == "no"
        first = stream.next()
        assert stream.retry == 3000
        assert first["event"] == "version"
        assert first["id"] == first["data"]["version"] == version(reader.url, "/stands")

        added = post(writer.url, "/stands", "Second").json()[-1]
        event = stream.next()
        assert event["event"] == "changes"
        since = requests.get(
            f"{reader.url}/api/comments", params={"thread": "/stands", "since": first["id"]}, timeout=30
        )
        # The same object a ?since= answer holds, and the version after the change as its id.
        assert event["data"] == since.json()
        assert event["id"] == since.headers["Comments-Version"] == event["data"]["version"]
        assert [comment["id"] for comment in event["data"]["comments"]] == [added["id"]]


def test_every_worker_of_every_instance_delivers_every_change(site):
    writer, reader = site
    streams = [
        EventStream(server.url, f"{EVENTS}?thread=/everyone") for server in (writer, reader) for _ in range(4)
    ]
    try:
        for stream in streams:
            assert stream.next()["event"] == "version"
        added = [post(writer.url, "/everyone", f"Number {n}").json()[-1]["id"] for n in range(3)]
        for stream in streams:
            seen: list[int] = []
            while len(seen) < 3:
                event = stream.next()
                assert event["event"] == "changes"
                seen += [comment["id"] for comment in event["data"]["comments"]]
            assert seen == added  # in order, each once
    finally:
        for stream in streams:
            stream.close()


def test_pending_and_hidden_comments_never_stream_and_removals_do(site):
    writer, reader = site
    thread = "/moderated"
    with EventStream(reader.url, f"{EVENTS}?thread={thread}") as stream:
        stream.next()
        # Past COMMENTS_MAX_LINKS: held for a moderator, never shown.
        links = " ".join(f"https://spam.example/{n}" for n in range(5))
        held = post(writer.url, thread, links, status=202).json()
        assert held["status"] == "pending"
        published = post(writer.url, thread, "Plain").json()[-1]
        event = stream.next()
        if event["data"]["comments"] == []:
            # As a ?since= answer does, the held comment's id may be named among the ids
            # not public: nothing of it but its id.
            assert event["data"]["removed"] == [held["id"]]
            event = stream.next()
        assert [comment["id"] for comment in event["data"]["comments"]] == [published["id"]]
        assert "spam.example" not in str(event["data"])

        moderate(writer.url, published["id"], "hidden")
        event = stream.next()
        assert event["data"]["comments"] == []
        assert event["data"]["removed"] == [published["id"]]
        assert stream.nothing_within(0.5)


def test_a_client_resuming_from_its_last_event_misses_nothing_and_gets_nothing_twice(site):
    writer, reader = site
    thread = "/resume"
    with EventStream(reader.url, f"{EVENTS}?thread={thread}") as stream:
        last = stream.next()["id"]
    missed = [post(writer.url, thread, f"While away {n}").json()[-1]["id"] for n in range(2)]
    with EventStream(reader.url, f"{EVENTS}?thread={thread}", {"Last-Event-ID": last}) as stream:
        caught_up = stream.next()
        assert caught_up["event"] == "changes"
        assert [comment["id"] for comment in caught_up["data"]["comments"]] == missed
        live = post(writer.url, thread, "Live").json()[-1]["id"]
        event = stream.next()
        assert [comment["id"] for comment in event["data"]["comments"]] == [live]
        assert stream.nothing_within(0.5)
    # A first connection resumes from the list it loaded, with ?since=.
    since = caught_up["id"]
    with EventStream(reader.url, f"{EVENTS}?thread={thread}&since={since}") as stream:
        assert [comment["id"] for comment in stream.next()["data"]["comments"]] == [live]


def test_a_version_the_store_does_not_know_gets_a_reset(site):
    writer, reader = site
    post(writer.url, "/reset")
    current = version(reader.url, "/reset")
    for last in ("not-a-version", "0" * 40, "%%%"):
        with EventStream(reader.url, f"{EVENTS}?thread=/reset", {"Last-Event-ID": last}) as stream:
            event = stream.next()
            assert event["event"] == "reset"
            assert event["id"] == event["data"]["version"] == current
    response = requests.get(f"{reader.url}{EVENTS}", params={"since": "%%%"}, timeout=30)
    assert response.status_code == 400
    assert "since" in response.json()["error"]


def test_an_idle_stream_is_pinged(site):
    _, reader = site
    with EventStream(reader.url, f"{EVENTS}?thread=/idle") as stream:
        stream.next()
        ping = stream.next(timeout=5, skip_pings=False)
        assert ping["event"] == "comment"
        assert ping["comments"] == ["ping"]


def test_the_stream_follows_the_lists_cors_rules(site):
    _, reader = site
    with EventStream(reader.url, f"{EVENTS}?thread=/cors", {"Origin": ORIGIN}) as stream:
        assert stream.headers["Access-Control-Allow-Origin"] == ORIGIN
    with EventStream(reader.url, f"{EVENTS}?thread=/cors", {"Origin": "https://evil.example"}) as stream:
        assert "Access-Control-Allow-Origin" not in stream.headers


def stalled_reader(url: str, thread: str) -> socket.socket:
    """Open a stream and never read it."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port))
    sock.sendall(f"GET {EVENTS}?thread={thread} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
    return sock


def test_a_reader_that_stops_reading_is_dropped_and_never_holds_up_the_others(site):
    writer, reader = site
    thread = "/stalled"
    stalled = [stalled_reader(reader.url, thread) for _ in range(4)]
    try:
        with EventStream(reader.url, f"{EVENTS}?thread={thread}") as stream:
            stream.next()
            # More than the stalled readers' buffers hold, on both sides of their sockets:
            # their senders now wait on full sockets.
            text = "x" * 9_000
            filling = {post(writer.url, thread, f"{n} {text}").json()[-1]["id"] for n in range(45)}
            while filling:
                filling -= {comment["id"] for comment in stream.next(timeout=5)["data"]["comments"]}
            # Meanwhile (before they are hung up on) each new comment reaches the others at once.
            for n in range(5):
                posted = time.monotonic()
                added = post(writer.url, thread, f"Small {n}").json()[-1]["id"]
                event = stream.next(timeout=5)
                assert [comment["id"] for comment in event["data"]["comments"]] == [added]
                assert event["at"] - posted < 1, f"comment {n} took {event['at'] - posted:.2f} s"
        # Every stalled reader is hung up on, a few seconds after its socket filled up
        # (and not before: reading it now would make it a reader again).
        closed = eventually(lambda: reader.output().count(DROPPED), len(stalled), seconds=20)
        assert closed == len(stalled)
        for sock in stalled:
            sock.settimeout(10)
            while sock.recv(1 << 20):
                pass
    finally:
        for sock in stalled:
            sock.close()
    assert "Traceback" not in reader.output()


def test_too_many_streams_are_refused_per_client_and_per_worker(start_server, tmp_path):
    server = start_server(
        workers=1,
        COMMENTS_FILE=str(tmp_path / "comments.json"),
        COMMENTS_STREAM_LIMIT="3",
        COMMENTS_STREAM_LIMIT_PER_CLIENT="2",
        COMMENTS_TRUSTED_PROXIES="1",
        # A client that hangs up is noticed when its stream is next written to.
        COMMENTS_STREAM_PING="1",
    )
    mine = [EventStream(server.url, EVENTS, {"X-Forwarded-For": "203.0.113.1"}) for _ in range(2)]
    try:
        assert [stream.status for stream in mine] == [200, 200]
        refused = requests.get(
            f"{server.url}{EVENTS}", headers={"X-Forwarded-For": "203.0.113.1"}, timeout=10
        )
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert "streams" in refused.json()["error"]
        other = EventStream(server.url, EVENTS, {"X-Forwarded-For": "203.0.113.2"})
        assert other.status == 200
        full = requests.get(f"{server.url}{EVENTS}", headers={"X-Forwarded-For": "203.0.113.3"}, timeout=10)
        assert full.status_code == 503
        assert int(full.headers["Retry-After"]) >= 1
        # The rest of the worker still answers.
        assert requests.get(f"{server.url}/api/comments", timeout=10).status_code == 200
        other.close()
        # A stream that ends makes room again.
        assert _eventually_status(server.url, "203.0.113.3") == 200
    finally:
        for stream in mine:
            stream.close()


def _eventually_status(url: str, client: str) -> int:
    deadline = time.monotonic() + 10
    while True:
        with EventStream(url, EVENTS, {"X-Forwarded-For": client}) as stream:
            if stream.status == 200 or time.monotonic() > deadline:
                return stream.status
        time.sleep(0.1)


def test_sigterm_ends_every_stream_at_once(start_server, tmp_path):
    server = start_server(workers=2, COMMENTS_FILE=str(tmp_path / "comments.json"))
    streams = [EventStream(server.url, EVENTS) for _ in range(6)]
    for stream in streams:
        stream.next()
    stopped = time.monotonic()
    server.stop_soon()
    for stream in streams:
        assert stream.next(timeout=10)["event"] == "closed"
    closed = time.monotonic() - stopped
    server.process.wait(10)
    exited = time.monotonic() - stopped
    # Well within gunicorn's graceful timeout (30 s): a worker notices SIGTERM within 1 s.
    assert closed < 3, closed
    assert exited < 5, (closed, exited)
    assert "graceful timeout" not in server.output()


def test_two_instances_on_one_database_deliver_each_others_changes(start_server, pg_url, tmp_path):
    settings = {"DATABASE_URL": pg_url, "COMMENTS_FILE": str(tmp_path / "untouched.json")}
    first = start_server(workers=2, **settings)
    second = start_server(workers=2, **settings)
    streams = [
        EventStream(server.url, f"{EVENTS}?thread=/pg") for server in (first, second) for _ in range(3)
    ]
    try:
        for stream in streams:
            assert stream.next()["event"] == "version"
        # Through LISTEN/NOTIFY: a post on either instance reaches the streams of both.
        added = [
            post(server.url, "/pg", f"Through {n}").json()[-1]["id"]
            for n, server in enumerate((first, second))
        ]
        for stream in streams:
            seen: list[int] = []
            while len(seen) < 2:
                event = stream.next()
                assert event["event"] == "changes"
                seen += [comment["id"] for comment in event["data"]["comments"]]
            assert seen == added
        # Resuming on the other instance from an event id one instance sent.
        last = event["id"]
        missed = post(first.url, "/pg", "While away").json()[-1]["id"]
        with EventStream(second.url, f"{EVENTS}?thread=/pg", {"Last-Event-ID": last}) as resumed:
            assert [comment["id"] for comment in resumed.next()["data"]["comments"]] == [missed]
    finally:
        for stream in streams:
            stream.close()
