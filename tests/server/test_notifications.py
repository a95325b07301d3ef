"""Webhooks on a real gunicorn with several workers, both stores, a real HTTP receiver:
signed so that standardwebhooks verifies them, never sent inside a request, retried with
growing waits while the receiver is down, and not lost when workers are killed (kill -9)
between the write and the delivery."""

from __future__ import annotations

import itertools
import json
import os
import signal
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from comments_app import config, create_app
from comments_app.notify import webhook
from comments_app.state import app_state
from comments_app.stores.outbox import Item

from ..conftest import eventually

pytestmark = pytest.mark.server

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Receiver:
    """A webhook receiver on a random port: records every POST, answers what it is told."""

    def __init__(self) -> None:
        self.got: list[tuple[float, dict[str, str], bytes]] = []
        self.answers: deque[int] = deque()
        self.default = 200
        # Cleared: a POST is held, unanswered, until it is set (or 10 s pass).
        self.gate = threading.Event()
        self.gate.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.got.append((time.monotonic(), dict(self.headers.items()), body))
                receiver.gate.wait(10)
                status = receiver.answers.popleft() if receiver.answers else receiver.default
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict]:
        return [json.loads(body) for _, _, body in self.got]

    def close(self) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def hook_settings(store_settings: dict, receiver: Receiver, **more: str) -> dict[str, str]:
    return {
        **store_settings,
        "COMMENTS_WEBHOOK_URL": receiver.url,
        "COMMENTS_WEBHOOK_SECRET": SECRET,
        "COMMENTS_SITE_URL": "https://blog.example",
        "COMMENTS_PUBLIC_URL": "https://comments.example",
        **more,
    }


def verified(headers: dict[str, str], body: bytes) -> dict:
    """Return the event once standardwebhooks has verified its signature (raises otherwise)."""
    return Webhook(SECRET).verify(body, headers)


def test_each_comment_is_posted_once_signed_and_never_inside_its_request(
    start_server, store_settings, receiver
):
    """Two instances of two workers on one store: one sender among them (the flock beside
    the file, PostgreSQL's advisory lock)."""
    settings = hook_settings(store_settings, receiver)
    server, other = start_server(workers=2, **settings), start_server(workers=2, **settings)
    # The receiver holds every POST unanswered: a request that sent it would wait too.
    receiver.gate.clear()
    posted = requests.post(
        server.url + "/api/comments",
        json={"author": "Ann", "text": "Hello", "thread": "/post/"},
        headers={"Prefer": "return=minimal"},
        timeout=4,
    )
    assert posted.status_code == 201
    token = posted.headers["Comment-Token"]
    assert eventually(lambda: len(receiver.got), 1) == 1
    # Meanwhile a second sender (another worker, or the other instance, looks every 0.25 s)
    # would take the same due item and send it too: none does.
    assert eventually(lambda: len(receiver.got), 2, seconds=1) == 1
    receiver.gate.set()
    comment = posted.json()
    reply = requests.post(
        other.url + "/api/comments",
        json={"author": "Bob", "text": "Hi", "thread": "/post/", "parent": comment["id"]},
        headers={"Prefer": "return=minimal"},
        timeout=10,
    ).json()
    assert eventually(lambda: len(receiver.got), 2) == 2
    events = [verified(headers, body) for _, headers, body in receiver.got]
    assert [event["type"] for event in events] == ["comment.published", "comment.published"]
    first = events[0]["data"]
    assert first["comment"] == {**comment, "status": "published"}
    assert first["thread"] == "/post/" and first["reply_to"] is None
    assert first["links"] == {
        "comment": f"https://blog.example/post/#comment-{comment['id']}",
        "api": f"https://comments.example/api/comments/{comment['id']}",
        "moderation": "https://comments.example/moderate",
    }
    assert events[1]["data"]["reply_to"] == comment["id"] == reply["parent"]
    assert token not in b"".join(body for _, _, body in receiver.got).decode()
    ids = [headers["webhook-id"] for _, headers, _ in receiver.got]
    assert len(set(ids)) == 2 and all(item.startswith("msg_") for item in ids)
    delivered = {"pending": 0, "failed": 0, "age_seconds": None}
    assert eventually(lambda: outbox_of(server), delivered) == delivered
    assert len(receiver.got) == 2


def outbox_of(server) -> dict:
    return requests.get(server.url + "/healthz", timeout=10).json()["outbox"]


def test_a_receiver_down_for_three_attempts_gets_it_later_the_waits_growing(
    start_server, store_settings, receiver
):
    receiver.answers.extend([503, 500, 502])
    server = start_server(
        workers=2, **hook_settings(store_settings, receiver, COMMENTS_NOTIFY_FIRST_RETRY="0.3")
    )
    requests.post(server.url + "/api/comments", json={"author": "Ann", "text": "Hello"}, timeout=10)
    assert eventually(lambda: len(receiver.got), 2) == 2
    # Waiting: /healthz says how old the oldest waiting item is.
    outbox = outbox_of(server)
    assert outbox["pending"] == 1 and outbox["age_seconds"] >= 0
    assert eventually(lambda: len(receiver.got), 4, seconds=20) == 4
    times = [moment for moment, _, _ in receiver.got]
    waits = [later - earlier for earlier, later in itertools.pairwise(times)]
    # 0.3 s, then twice each: the sender looks every 0.25 s, so each is that late at most.
    assert waits[0] >= 0.28 and waits[1] >= 0.58 and waits[2] >= 1.18, waits
    # Growing (a loaded machine may delay one look by a few tenths of a second, no more).
    assert waits[0] < waits[2] and waits[1] < waits[2] and waits[0] < 1.5, waits
    # One item, one id, sent four times, verified each time.
    assert len({headers["webhook-id"] for _, headers, _ in receiver.got}) == 1
    assert all(verified(headers, body)["type"] == "comment.published" for _, headers, body in receiver.got)
    assert eventually(lambda: outbox_of(server)["pending"], 0) == 0
    assert "not delivered (attempt 3): webhook: HTTP 502" in server.output()


def workers_of(server) -> list[int]:
    """Return the pids of the server's workers (the master's children)."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def test_workers_killed_between_the_write_and_the_delivery_lose_nothing(
    start_server, store_settings, receiver
):
    receiver.default = 503
    server = start_server(workers=2, **hook_settings(store_settings, receiver))
    posted = requests.post(server.url + "/api/comments", json={"author": "Ann", "text": "Once"}, timeout=10)
    assert posted.status_code == 201
    # Stored, and not delivered: the receiver refuses it.
    assert eventually(lambda: len(receiver.got) >= 1, True)
    old = workers_of(server)
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    assert eventually(lambda: len(set(workers_of(server)) - set(old)) >= 2, True, seconds=30)
    receiver.default = 200
    assert eventually(lambda: outbox_of(server)["pending"], 0, seconds=30) == 0
    # The same item, by its id, before and after the kill: delivered, the comment stored once.
    assert len({headers["webhook-id"] for _, headers, _ in receiver.got}) == 1
    assert verified(*receiver.got[-1][1:])["data"]["comment"]["text"] == "Once"
    texts = [comment["text"] for comment in requests.get(server.url + "/api/comments", timeout=10).json()]
    assert texts == ["Once"]


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"COMMENTS_WEBHOOK_URL": "ftp://example.org/x"}, "COMMENTS_WEBHOOK_URL"),
        ({"COMMENTS_WEBHOOK_URL": "https://example.org/x"}, "COMMENTS_WEBHOOK_SECRET: must be set"),
        ({"COMMENTS_WEBHOOK_URL": "https://e.org/x", "COMMENTS_WEBHOOK_SECRET": "abc"}, "whsec_"),
        ({"COMMENTS_WEBHOOK_URL": "https://e.org/x", "COMMENTS_WEBHOOK_SECRET": "whsec_!!"}, "not base64"),
        ({"COMMENTS_WEBHOOK_URL": "https://e.org/x", "COMMENTS_WEBHOOK_SECRET": "whsec_YWJj"}, "too short"),
        ({"COMMENTS_PUBLIC_URL": "comments.example"}, "COMMENTS_PUBLIC_URL"),
        ({"COMMENTS_NOTIFY_FIRST_RETRY": "0"}, "COMMENTS_NOTIFY_FIRST_RETRY"),
    ],
)
def test_a_wrong_notification_setting_stops_the_start_naming_it(tmp_path, settings, words):
    with pytest.raises(config.ConfigError) as caught:
        create_app({"COMMENTS_FILE": str(tmp_path / "comments.json"), **settings})
    assert words in str(caught.value)
    assert "whsec_!!" not in str(caught.value)


def test_a_worker_stops_promptly_while_a_delivery_hangs(start_server, tmp_path, receiver):
    receiver.gate.clear()  # the receiver never answers (for 10 s)
    store_settings = {"COMMENTS_FILE": str(tmp_path / "comments.json")}
    server = start_server(workers=1, **hook_settings(store_settings, receiver))
    requests.post(server.url + "/api/comments", json={"author": "Ann", "text": "Hello"}, timeout=10)
    assert eventually(lambda: len(receiver.got), 1) == 1
    began = time.monotonic()
    server.stop()
    assert server.process.returncode == 0
    assert time.monotonic() - began < 5


def test_a_redirect_or_a_late_answer_is_a_failure_tried_again(receiver, tmp_path, monkeypatch):
    """In process: the destination follows no redirect, and waits 5 s (here 0.2 s) at most."""
    app = create_app(hook_settings({"COMMENTS_FILE": str(tmp_path / "c.json")}, receiver))
    settings = app_state(app).settings
    hook = webhook.Webhook(settings)
    item = Item("msg_1", "comment.published", {"id": 1, "author": "Ann", "text": "Hi"}, "", time.time())
    receiver.answers.append(302)
    assert hook.deliver(item) == "HTTP 302 (redirects are not followed)"
    assert len(receiver.got) == 1
    assert hook.deliver(item) is None
    monkeypatch.setattr(webhook, "TIMEOUT", 0.2)
    receiver.gate.clear()
    assert hook.deliver(item) == "no answer within 0.2 s"
    receiver.gate.set()
    receiver.close()
    assert hook.deliver(item) == "Connection refused"
