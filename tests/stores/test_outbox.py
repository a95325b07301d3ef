"""The outbox: every change that notifies puts its events into the store in the change's own
write, on both stores; a change that was not stored notifies nobody; failed deliveries are
tried again later, then kept as failed."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from comments_app import create_app
from comments_app.state import app_state
from comments_app.stores.outbox import GIVE_UP, Item, retry_at

from ..conftest import NO_RATE_LIMIT
from ..crash import killed_before_the_rename

# A secret in the Standard Webhooks form: whsec_ and 32 bytes in base64.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
HOOK = {"COMMENTS_WEBHOOK_URL": "http://127.0.0.1:9/hook", "COMMENTS_WEBHOOK_SECRET": SECRET}


@pytest.fixture
def store(store_settings):
    store = app_state(create_app({**store_settings, **NO_RATE_LIMIT, **HOOK})).store
    yield store
    store.close()


def kinds(store) -> list[tuple[str, int]]:
    return [(item.type, item.comment["id"]) for item in store.outbox.listing()]


def test_each_change_that_notifies_is_in_the_outbox_in_order(store):
    published, _ = store.add("Ann", "Hello")
    pending, _ = store.add("Bob", "Wait for me", status="pending")
    store.add("Bot", "Buy now", status="spam")  # spam notifies nobody
    store.update(published["id"], {"text": "Hello, edited"})
    store.update(pending["id"], {"status": "published"})
    store.update(published["id"], {"status": "hidden"})
    store.update(published["id"], {"status": "hidden"})  # no change of status: no event
    store.delete(pending["id"])
    assert kinds(store) == [
        ("comment.published", published["id"]),
        ("comment.pending", pending["id"]),
        ("comment.edited", published["id"]),
        ("comment.published", pending["id"]),
        ("comment.hidden", published["id"]),
        ("comment.deleted", pending["id"]),
    ]
    items = store.outbox.listing()
    # As the moderation API shows the comment when the change was made.
    assert items[0].comment == {**published, "status": "published"}
    assert items[2].comment["text"] == "Hello, edited"
    assert items[4].comment["status"] == "hidden"
    assert set(items[5].comment) <= {"id", "deleted", "thread", "parent"}
    # Stable ids, one per item, as Standard Webhooks shows them.
    assert len({item.id for item in items}) == len(items)
    assert all(item.id.startswith("msg_") for item in items)
    assert [item.id for item in store.outbox.listing()] == [item.id for item in items]


def test_a_reply_is_marked_with_the_comment_it_answers(store):
    first, _ = store.add("Ann", "A question", thread="/post/")
    store.add("Bob", "An answer", thread="/post/", parent=first["id"])
    items = store.outbox.listing()
    assert [item.reply_to for item in items] == [None, first["id"]]
    assert items[1].thread == "/post/"


def test_without_a_destination_there_is_no_outbox(store_settings, tmp_path):
    store = app_state(create_app({**store_settings, **NO_RATE_LIMIT})).store
    store.add("Ann", "Hello")
    assert store.outbox is None
    assert not list(tmp_path.glob("*.outbox*"))
    store.close()


def test_a_change_refused_notifies_nobody(store):
    hidden, _ = store.add("Ann", "Hidden", status="hidden")
    with pytest.raises(ValueError):
        store.add("Bob", "A reply to a hidden comment", thread="", parent=hidden["id"])
    assert kinds(store) == []


def break_the_outbox(store_settings: dict, tmp_path: Path) -> None:
    """Make every write of the outbox fail: a folder in the SQLite file's place, or a
    constraint no row meets."""
    if "DATABASE_URL" in store_settings:
        with psycopg.connect(store_settings["DATABASE_URL"], autocommit=True) as conn:
            conn.execute("ALTER TABLE comments_outbox ADD CONSTRAINT refused CHECK (false) NOT VALID")
    else:
        for path in tmp_path.glob("comments.json.outbox*"):
            path.unlink()
        (tmp_path / "comments.json.outbox").mkdir()


def test_a_change_whose_events_cannot_be_written_is_not_stored(store_settings, tmp_path):
    """The outbox is written in the change's own write: when it cannot be, neither is the
    comment (a separate write after the change would store it, its events lost)."""
    app = create_app({**store_settings, **NO_RATE_LIMIT, **HOOK})
    client = app.test_client()
    assert client.post("/api/comments", json={"author": "Ann", "text": "First"}).status_code == 201
    break_the_outbox(store_settings, tmp_path)
    refused = client.post("/api/comments", json={"author": "Bob", "text": "Lost?"})
    assert refused.status_code == 503
    assert set(refused.get_json()) == {"error"}
    assert [comment["text"] for comment in app_state(app).store.moderation()] == ["First"]
    app_state(app).store.close()


def test_events_of_a_write_killed_before_its_rename_are_dropped(tmp_path):
    settings = {"COMMENTS_FILE": str(tmp_path / "comments.json"), **NO_RATE_LIMIT, **HOOK}
    killed_before_the_rename(settings, {"author": "Bob", "text": "Never stored"})
    store = app_state(create_app(settings)).store
    # Both writes put their events in; the second's version never became the file.
    assert [item.comment["text"] for item in store.outbox.listing()] == ["Kept", "Never stored"]
    store.add("Cid", "Later")  # a later write does not make the killed one's version real
    due = store.outbox.due(time.time(), 10)
    assert [item.comment["text"] for item in due] == ["Kept", "Later"]
    assert [item.comment["text"] for item in store.outbox.listing()] == ["Kept", "Later"]


def test_a_failed_delivery_waits_then_is_kept_as_failed(store):
    store.add("Ann", "Hello")
    store.add("Bob", "Hi")
    now = time.time()
    one, two = store.outbox.due(now, 10)
    store.outbox.retry(one.id, 1, now + 60, "HTTP 500")
    assert [item.id for item in store.outbox.due(now + 1, 10)] == [two.id]
    assert [item.id for item in store.outbox.due(now + 61, 10)] == [one.id, two.id]
    assert store.outbox.next_due() == pytest.approx(min(two.next_at, now + 60), abs=1)
    store.outbox.delivered(two.id)
    store.outbox.fail(one.id, 17, "HTTP 500", now + 5)
    assert store.outbox.due(now + 3600, 10) == []
    [kept] = store.outbox.listing()
    assert (kept.id, kept.attempts, kept.error) == (one.id, 17, "HTTP 500")
    assert kept.failed == pytest.approx(now + 5, abs=1)
    assert store.outbox.oldest() is None
    assert store.outbox.counts() == (0, 1)


def test_the_waits_double_from_about_two_seconds_to_an_hour_for_a_day():
    created = 1_000_000.0
    waits = []
    now = created
    for attempts in range(1, 40):
        item = Item("msg_1", "comment.published", {"id": 1}, "", created, attempts)
        later = retry_at(item, now)
        if later is None:
            break
        waits.append(later - now)
        now = later
    assert waits[:5] == [2, 4, 8, 16, 32]
    assert max(waits) == 3600
    assert now - created <= GIVE_UP < now - created + 3600


def test_the_notifications_command_lists_pending_and_failed_items(store_settings):
    app = create_app({**store_settings, **NO_RATE_LIMIT, **HOOK})
    store = app_state(app).store
    first, _ = store.add("Ann", "Hello")
    second, _ = store.add("Bob", "Wait", status="pending")
    one, two = store.outbox.listing()
    store.outbox.fail(one.id, 17, "HTTP 500", time.time())
    store.outbox.retry(two.id, 2, time.time() + 4, "connection refused")
    with app.app_context():  # as `flask --app wsgi notifications` runs it
        shown = app.test_cli_runner().invoke(args=["notifications"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0].startswith(f"{one.id} comment.published comment {first['id']} written ")
    assert lines[0].endswith("after 17 attempts: HTTP 500")
    assert lines[1].startswith(f"{two.id} comment.pending comment {second['id']} written ")
    assert ": pending, 2 attempts, next " in lines[1] and lines[1].endswith("last: connection refused")
    assert lines[2:] == ["1 pending, 1 failed"]
    store.close()


def test_the_notifications_command_says_when_they_are_off(tmp_path):
    from ..conftest import flask_cli

    done = flask_cli("notifications", COMMENTS_FILE=str(tmp_path / "comments.json"))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "Error: notifications are off: neither COMMENTS_WEBHOOK_URL nor COMMENTS_SMTP_URL is set"
    )


def test_healthz_reports_the_outbox(store_settings):
    app = create_app({**store_settings, **NO_RATE_LIMIT, **HOOK})
    client = app.test_client()
    assert client.get("/healthz").get_json()["outbox"] == {"pending": 0, "failed": 0, "age_seconds": None}
    client.post("/api/comments", json={"author": "Ann", "text": "Hello"})
    outbox = client.get("/healthz").get_json()["outbox"]
    assert outbox["pending"] == 1 and 0 <= outbox["age_seconds"] < 60
    store = app_state(app).store
    [item] = store.outbox.listing()
    store.outbox.fail(item.id, 20, "HTTP 500", time.time())
    assert client.get("/healthz").get_json()["outbox"] == {"pending": 0, "failed": 1, "age_seconds": None}
    assert (
        "outbox"
        not in create_app({**store_settings, **NO_RATE_LIMIT}).test_client().get("/healthz").get_json()
    )
    store.close()


# The outbox file of the release before mail: no fresh nor done columns, no private tables.
EARLIER_OUTBOX = """
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
    comment TEXT NOT NULL, thread TEXT NOT NULL, version INTEGER NOT NULL, created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL, failed REAL, error TEXT
);
INSERT INTO outbox (id, type, comment, thread, version, created, next_at)
VALUES ('msg_old', 'comment.published', '{"id": 1, "author": "Ann", "text": "Hi"}', '', 0, 1.0, 1.0);
"""


def test_an_earlier_releases_outbox_file_is_upgraded_and_its_items_kept(tmp_path):
    import sqlite3

    path = tmp_path / "comments.json"
    with sqlite3.connect(path.with_name("comments.json.outbox")) as conn:
        conn.executescript(EARLIER_OUTBOX)
    store = app_state(create_app({"COMMENTS_FILE": str(path), **NO_RATE_LIMIT, **HOOK})).store
    (old,) = store.outbox.due(time.time(), 10)
    assert (old.id, old.fresh, old.done) == ("msg_old", False, ())
    store.outbox.retry(old.id, 1, time.time(), "HTTP 500", ("webhook",))
    assert store.outbox.listing()[0].done == ("webhook",)
    assert store.private.contacts([1]) == {}


class Recorder:
    """A destination that takes every item, and says which it got."""

    name = "recorder"

    def __init__(self) -> None:
        self.got: list[str] = []

    def wants(self, item: Item) -> bool:
        return True

    def deliver(self, item: Item) -> str | None:
        self.got.append(item.id)
        return None


class Broken(Recorder):
    """A destination with a fault of ours: it raises."""

    name = "broken"

    def deliver(self, item: Item) -> str | None:
        raise RuntimeError("a bug")


def test_a_destination_that_raises_fails_its_item_alone_and_the_others_go_on(store, caplog):
    import logging

    from comments_app.jobs.notifications import Sender

    store.add("Ann", "One")
    store.add("Bob", "Two")
    recorder = Recorder()
    sender = Sender(store.outbox, [recorder, Broken()], logging.getLogger("test.sender"), 2.0)
    with caplog.at_level(logging.ERROR, logger="test.sender"):
        assert sender.send_due() == 0
    # Both items went to the destination that works, once, and wait for the other alone.
    items = store.outbox.listing()
    assert [item.id for item in items] == recorder.got
    assert all((item.attempts, item.done) == (1, ("recorder",)) for item in items)
    assert all(item.next_at > time.time() for item in items)
    assert sender.send_due() == 0 and len(recorder.got) == 2
    assert "a bug" in caplog.text
