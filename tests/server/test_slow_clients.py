"""Hostile clients at the HTTP layer, against a real gunicorn with the project's settings."""

from __future__ import annotations

import contextlib
import fcntl
import json
import selectors
import socket
import threading
import time
from urllib.parse import urlsplit

import requests

from comments_app.model.comment import new_comment
from comments_app.stores.layout import encode_comment, encode_list

from ..conftest import run_script


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def timed(call, *args, **kwargs) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = call(*args, timeout=10, **kwargs)
    return response, time.monotonic() - started


class SlowClients:
    """Connections that send a few bytes at a time and note when the server cuts them off."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.socks: list[socket.socket] = []
        self.received: dict[socket.socket, bytes] = {}
        # Seconds from each connection's first bytes to the server's close.
        self.closed_after: dict[socket.socket, float] = {}
        self.opened_at: dict[socket.socket, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def open(self, first: bytes, count: int) -> list[socket.socket]:
        opened = []
        for _ in range(count):
            sock = connect(self.url)
            sock.sendall(first)
            self.opened_at[sock] = time.monotonic()
            sock.setblocking(False)
            self.received[sock] = b""
            opened.append(sock)
        self.socks += opened
        return opened

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        """Send one more byte on every open connection twice a second; watch for closes."""
        selector = selectors.DefaultSelector()
        for sock in self.socks:
            selector.register(sock, selectors.EVENT_READ)
        next_byte = 0.0
        while not self.stop.is_set() and len(self.closed_after) < len(self.socks):
            for key, _ in selector.select(0.05):
                sock = key.fileobj
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if data:
                    self.received[sock] += data
                else:
                    self.closed_after[sock] = time.monotonic() - self.opened_at[sock]
                    selector.unregister(sock)
            if time.monotonic() >= next_byte:
                next_byte = time.monotonic() + 0.5
                for sock in self.socks:
                    if sock not in self.closed_after:
                        with contextlib.suppress(OSError):
                            sock.send(b"a")
        selector.close()

    def wait_all_closed(self, timeout: float) -> None:
        self.thread.join(timeout)
        self.stop.set()

    def close(self) -> None:
        self.stop.set()
        for sock in self.socks:
            sock.close()


def test_slow_clients_do_not_hold_back_others_and_are_cut_off(start_server, comments_file):
    """200 half-sent headers and 50 trickling bodies, against the default settings."""
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    deadline = 5  # COMMENTS_CLIENT_TIMEOUT's default
    slow = SlowClients(server.url)
    try:
        headers = slow.open(b"GET /api/comments HTTP/1.1\r\nHost: localhost\r\nX-Slow: ", 200)
        bodies = slow.open(
            b"POST /api/comments HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"author": "slow", "text": "',
            50,
        )
        slow.start()
        # All held open, a byte every half second, while the other client is served.
        assert not slow.closed_after
        posted = []
        with requests.Session() as other:
            for number in range(30):
                response, took = timed(other.get, server.url + "/api/comments")
                assert response.status_code == 200
                assert took < 1, f"GET {number} took {took:.2f} s"
                if number % 6 == 0:
                    text = f"fast {number}"
                    response, took = timed(
                        other.post, server.url + "/api/comments", json={"author": "fast", "text": text}
                    )
                    assert response.status_code == 201
                    assert took < 1, f"POST {number} took {took:.2f} s"
                    posted.append(text)
        slow.wait_all_closed(timeout=4 * deadline)
        assert len(slow.closed_after) == 250, "some slow connections were never cut off"
        for sock in headers:
            assert deadline - 1 <= slow.closed_after[sock] <= 2 * deadline
            assert slow.received[sock] == b""
        for sock in bodies:
            assert deadline - 1 <= slow.closed_after[sock] <= 1.5 * deadline, "a 408 closes at once"
            status_line, _, rest = slow.received[sock].partition(b"\r\n")
            assert status_line.split()[:2] == [b"HTTP/1.1", b"408"]
            assert json.loads(rest.partition(b"\r\n\r\n")[2]) == {
                "error": "the request body did not arrive within 5 seconds"
            }
    finally:
        slow.close()
    stored = json.loads(comments_file.read_bytes())
    assert [comment["text"] for comment in stored] == posted


def test_client_timeout_setting_sets_the_deadline(start_server, comments_file):
    server = start_server(workers=1, COMMENTS_FILE=str(comments_file), COMMENTS_CLIENT_TIMEOUT="1")
    slow = SlowClients(server.url)
    try:
        slow.open(b"GET / HTTP/1.1\r\nHost: localhost\r\n", 5)
        bodies = slow.open(
            b"POST /api/comments HTTP/1.1\r\nHost: localhost\r\nContent-Length: 50\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\nauthor=a&text=",
            5,
        )
        slow.start()
        slow.wait_all_closed(timeout=10)
        assert len(slow.closed_after) == 10
        assert max(slow.closed_after.values()) <= 3
        assert [slow.received[sock].split(b" ")[1] for sock in bodies] == [b"408"] * 5
    finally:
        slow.close()
    assert not comments_file.exists()


def chunked(body: bytes, size: int = 4096):
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_chunked_bodies_have_the_same_limit(start_server, comments_file):
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    url = server.url + "/api/comments"
    big_text = "x" * (70 * 1024)
    over = [
        ("application/x-www-form-urlencoded", f"author=big&text={big_text}".encode()),
        ("application/json", json.dumps({"author": "big", "text": big_text}).encode()),
    ]
    for content_type, body in over:
        response = requests.post(url, data=chunked(body), headers={"Content-Type": content_type}, timeout=10)
        assert response.request.headers["Transfer-Encoding"] == "chunked"
        assert response.status_code == 413
        assert response.json() == {"error": "the request body is larger than the 64 KiB limit"}
    assert not comments_file.exists()
    under = [
        ("application/x-www-form-urlencoded", b"author=form&text=" + b"y" * 2000),
        ("application/json", json.dumps({"author": "json", "text": "z" * 2000}).encode()),
    ]
    for content_type, body in under:
        response = requests.post(url, data=chunked(body, 100), headers={"Content-Type": content_type})
        assert response.status_code == 201, response.text
    stored = json.loads(comments_file.read_bytes())
    assert [(c["author"], len(c["text"])) for c in stored] == [("form", 2000), ("json", 2000)]


def raw_request(url: str, request: bytes) -> bytes:
    with connect(url) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_malformed_chunked_framing_is_a_400_with_one_log_line(start_server, comments_file):
    server = start_server(workers=1, COMMENTS_FILE=str(comments_file))
    head = (
        b"POST /api/comments HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    for framing in (b"zz\r\nauthor=a&text=b\r\n0\r\n\r\n", b"5\r\nauthor=a&text=b\r\n0\r\n\r\n"):
        answer = raw_request(server.url, head + framing)
        status, _, rest = answer.partition(b"\r\n")
        assert status.split()[:2] == [b"HTTP/1.1", b"400"]
        assert json.loads(rest.partition(b"\r\n\r\n")[2]) == {
            "error": "the request body could not be read: its framing is malformed"
        }
    wait_for_log(server, '"POST /api/comments HTTP/1.1" 400', 2)
    log = server.output()
    assert "Traceback" not in log
    assert log.count("request body unreadable from 127.0.0.1") == 2
    assert not comments_file.exists()


def wait_for_log(server, text: str, count: int) -> None:
    deadline = time.monotonic() + 10
    while server.output().count(text) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_slow_readers_of_a_large_list_do_not_hold_back_others(start_server, comments_file):
    """Ten clients ask for a 30 MB list and never read it."""
    lines = (encode_comment(new_comment(n, "reader", "r" * 10_000)) for n in range(1, 3001))
    comments_file.write_bytes(encode_list(lines))
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    stalled = []
    try:
        for _ in range(10):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(connect_address(server.url))
            sock.sendall(b"GET /api/comments HTTP/1.1\r\nHost: localhost\r\n\r\n")
            stalled.append(sock)
        etag = requests.get(server.url + "/api/comments", timeout=30).headers["ETag"]
        with requests.Session() as other:
            for _ in range(10):
                for path, headers in (
                    ("/healthz", {}),
                    ("/api/comments", {"If-None-Match": etag}),
                    ("/api/comments/3000", {}),
                ):
                    response, took = timed(other.get, server.url + path, headers=headers)
                    assert response.status_code in (200, 304)
                    assert took < 1, f"{path} took {took:.2f} s"
    finally:
        for sock in stalled:
            sock.close()


def connect_address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname, parts.port


def test_a_writer_waiting_for_the_file_lock_does_not_stall_its_worker(start_server, comments_file):
    server = start_server(workers=1, COMMENTS_FILE=str(comments_file))
    requests.post(server.url + "/api/comments", data={"author": "a", "text": "first"}, timeout=10)
    lock = open(comments_file.with_name("comments.json.lock"), "rb")  # noqa: SIM115
    fcntl.flock(lock, fcntl.LOCK_EX)
    result: list[requests.Response] = []
    writer = threading.Thread(
        target=lambda: result.append(
            requests.post(server.url + "/api/comments", data={"author": "a", "text": "waits"}, timeout=30)
        )
    )
    try:
        writer.start()
        time.sleep(0.2)  # let the POST reach flock; the GETs below must not wait for it
        for path in ("/healthz", "/api/comments", "/api/comments/1"):
            response, took = timed(requests.get, server.url + path)
            assert response.status_code == 200
            assert took < 1, f"{path} took {took:.2f} s while a POST waited for the lock"
        assert not result, "the POST did not wait for the lock"
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
        writer.join(30)
    assert result[0].status_code == 201
    assert [c["text"] for c in json.loads(comments_file.read_bytes())] == ["first", "waits"]


def test_sigterm_lets_a_request_in_flight_finish(start_server, comments_file):
    server = start_server(workers=1, COMMENTS_FILE=str(comments_file))
    body = b"author=a&text=in+flight"
    with connect(server.url) as sock:
        sock.sendall(
            b"POST /api/comments HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body[:10]
        )
        time.sleep(0.3)
        server.process.terminate()
        time.sleep(0.3)
        sock.sendall(body[10:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201 ")
    assert server.process.wait(15) == 0
    assert [c["text"] for c in json.loads(comments_file.read_bytes())] == ["in flight"]


def test_a_query_waiting_in_postgresql_does_not_stall_its_worker(start_server, pg_url, tmp_path):
    """psycopg waits cooperatively under gevent: a POST stuck behind a row lock costs one greenlet."""
    import psycopg

    server = start_server(workers=1, DATABASE_URL=pg_url, COMMENTS_FILE=str(tmp_path / "unused.json"))
    url = server.url + "/api/comments"
    assert requests.post(url, data={"author": "a", "text": "first"}, timeout=10).status_code == 201
    result: list[requests.Response] = []
    writer = threading.Thread(
        target=lambda: result.append(requests.post(url, data={"author": "a", "text": "waits"}, timeout=30))
    )
    with psycopg.connect(pg_url) as conn:
        conn.execute("SELECT 1 FROM comments_version FOR UPDATE")
        writer.start()
        time.sleep(0.3)  # let the POST reach the row lock; the GETs below must not wait for it
        for path in ("/healthz", "/api/comments/1", "/api/comments"):
            response, took = timed(requests.get, server.url + path)
            assert response.status_code == 200
            assert took < 1, f"{path} took {took:.2f} s while a POST waited in PostgreSQL"
        assert not result, "the POST did not wait for the row lock"
        conn.rollback()
    writer.join(30)
    assert result[0].status_code == 201
    assert [c["text"] for c in requests.get(url, timeout=10).json()] == ["first", "waits"]


def test_password_checks_do_not_stall_their_worker(start_server, comments_file):
    """scrypt costs tens of milliseconds of CPU: it runs in threads, not on the event loop."""
    from concurrent.futures import ThreadPoolExecutor

    from werkzeug.security import generate_password_hash

    users = f"alice:{generate_password_hash('pw')}"
    # The login throttle would refuse most of these guesses before hashing them: off, so
    # that every guess costs its scrypt check, which is what this test is about.
    server = start_server(
        workers=1, COMMENTS_FILE=str(comments_file), COMMENTS_AUTH_USERS=users, COMMENTS_LOGIN_LIMIT="off"
    )

    def wrong_password(number: int) -> int:
        return requests.get(
            server.url + "/api/comments", auth=("alice", f"wrong{number}"), timeout=60
        ).status_code

    with ThreadPoolExecutor(12) as pool:
        guesses = [pool.submit(wrong_password, n) for n in range(12)]
        time.sleep(0.2)  # the guesses are being checked now
        for _ in range(3):
            response, took = timed(requests.get, server.url + "/healthz")
            assert response.status_code == 200
            assert took < 1, f"/healthz took {took:.2f} s while passwords were checked"
        assert {guess.result() for guess in guesses} == {401}


def test_sigterm_while_workers_boot_stops_them(start_server, comments_file):
    """A stop that lands while gevent patches a new worker is kept, not lost."""
    server = start_server(workers=4, wait=False, COMMENTS_FILE=str(comments_file))
    deadline = time.monotonic() + 30
    while server.output().count("Booting worker") < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.process.terminate()
    assert server.process.wait(10) == 0


# Run in a process of its own: gevent's monkey-patching, as gunicorn's gevent worker does it.
OFF_THE_LOOP = """
from gevent import monkey

monkey.patch_all()
import json, os, sys, threading

from comments_app.stores.jsonfile import JsonFileStore

loop = threading.get_native_id()
on_loop = []
real = {name: getattr(os, name) for name in ("fsync", "replace", "write")}


def watched(name):
    def call(*args):
        if threading.get_native_id() == loop:
            on_loop.append(name)
        return real[name](*args)

    return call


store = JsonFileStore(sys.argv[1])
store.secret_key()  # made once, at the first write of a new store: not what is measured
store.add("a", "first")
for name in real:
    setattr(os, name, watched(name))
comment, _ = store.add("a", "second " * 1000)
store.update(comment["id"], {"text": "edited"})
store.delete(comment["id"])
print(json.dumps(on_loop))
"""


def test_a_write_fsyncs_and_renames_off_the_event_loop(tmp_path):
    """Under gevent, the file store's writes, fsyncs and renames (the new file, the journal,
    the folder) run in gevent's thread pool: an fsync on the loop stalls every client."""
    on_loop = run_script(OFF_THE_LOOP, str(tmp_path / "comments.json"))
    assert on_loop == [], on_loop


SQLITE_OFF_THE_LOOP = """
from gevent import monkey

monkey.patch_all()
import json, sqlite3, sys, time
from pathlib import Path

import gevent

from comments_app.stores.ratelimits import SqliteStorage
from comments_app.stores.jsonfile.idempotency import SqliteRecords

folder = Path(sys.argv[1])
limits = SqliteStorage(path=str(folder / "limits.sqlite3"))
records = SqliteRecords(folder / "idempotency.sqlite3")
limits.incr("client", 60)  # both files and their tables made: not what is measured
records.claim("first", "fingerprint")
ticks = []


def ticker():
    while True:
        ticks.append(time.monotonic())
        gevent.sleep(0.01)


gevent.spawn(ticker)
result = {}
for name, path, write in (
    ("limits", "limits.sqlite3", lambda: limits.incr("client", 60)),
    ("records", "idempotency.sqlite3", lambda: records.claim("second", "fingerprint").claimed),
):
    # Another worker's write holds the file: this one waits in SQLite's busy handler.
    holder = sqlite3.connect(folder / path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    waiting = gevent.spawn(write)
    before = len(ticks)
    gevent.sleep(0.5)
    holder.execute("COMMIT")
    holder.close()
    waiting.join(20)
    result[name] = {"ticks": len(ticks) - before, "value": waiting.value, "error": repr(waiting.exception)}
print(json.dumps(result))
"""


def test_sqlite_waits_and_fsyncs_run_off_the_event_loop(tmp_path):
    """The rate limits' and Idempotency-Key records' SQLite files: a statement that waits for
    another worker's write (or fsyncs) must not stop the worker's other clients meanwhile."""
    result = run_script(SQLITE_OFF_THE_LOOP, str(tmp_path), timeout=120)
    assert result["limits"]["value"] == 2, result
    assert result["records"]["value"] is True, result
    for name in ("limits", "records"):
        # 0.5 s of 10 ms ticks: about 50 while the write waited; none if it held the loop.
        assert result[name]["ticks"] >= 20, result
