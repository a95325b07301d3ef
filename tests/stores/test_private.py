"""The private side of a store: an author's email is kept beside the comment, in the same
write, on both stores, and never where a reader can see it; links work once; exports and
imports carry the contacts."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from comments_app import create_app
from comments_app.notify.webhook import event_body
from comments_app.state import app_state
from comments_app.stores.backup import encode_export, read_export, take_contacts
from comments_app.stores.private import Contact, address_key

from ..conftest import NO_RATE_LIMIT, flask_cli
from ..crash import killed_before_the_rename

EMAIL = "ann.private@example.org"


@pytest.fixture
def app(store_settings):
    app = create_app({**store_settings, **NO_RATE_LIMIT})
    yield app
    app_state(app).store.close()


def test_an_email_given_with_a_comment_is_kept_privately_and_never_shown(app, store_settings):
    client = app.test_client()
    posted = client.post(
        "/api/comments?thread=/post/",
        json={"author": "Ann", "text": "Hello", "email": f" {EMAIL} ", "notify_replies": True},
    )
    assert posted.status_code == 201
    store = app_state(app).store
    comment_id = int(posted.headers["Location"].rsplit("/", 1)[1])
    assert store.private.contacts([comment_id]) == {comment_id: Contact(EMAIL, True)}
    # Nowhere a reader or a moderator looks: the answer, the list, the comment, the
    # moderation list, the feed, the changes, the thread's file on disk.
    seen = [posted.get_data()]
    for path in (
        "/api/comments?thread=/post/",
        f"/api/comments/{comment_id}",
        "/api/comments?thread=/post/&since=0",
        "/api/feed.atom?thread=/post/",
    ):
        seen.append(client.get(path).get_data())
    seen.append(json.dumps(store.moderation()).encode())
    if "DATABASE_URL" not in store_settings:
        folder = Path(store_settings["COMMENTS_FILE"]).parent
        for path in folder.rglob("*.json"):
            seen.append(path.read_bytes())
    assert all(b"private@example.org" not in body for body in seen)


def test_no_notification_carries_the_email(store_settings):
    hook = {"COMMENTS_WEBHOOK_URL": "http://127.0.0.1:9/", "COMMENTS_WEBHOOK_SECRET": "whsec_" + "A" * 44}
    app = create_app({**store_settings, **NO_RATE_LIMIT, **hook})
    client = app.test_client()
    client.post("/api/comments", json={"author": "Ann", "text": "Hi", "email": EMAIL, "notify_replies": True})
    state = app_state(app)
    items = state.store.outbox.listing()
    assert items and all(EMAIL.encode() not in event_body(item, state.settings) for item in items)
    state.store.close()


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"email": "not an address"}, "email"),
        ({"email": "a@b..org"}, "email"),
        ({"email": 7}, "email"),
        ({"email": "x" * 250 + "@example.org"}, "email"),
        ({"notify_replies": True}, "notify_replies"),
        ({"email": EMAIL, "notify_replies": "maybe"}, "notify_replies"),
    ],
)
def test_a_wrong_email_or_choice_is_refused_naming_the_field(app, fields, problem):
    answer = app.test_client().post("/api/comments", json={"author": "Ann", "text": "Hi", **fields})
    assert answer.status_code == 400
    assert problem in answer.get_json()["fields"]
    assert app_state(app).store.export_records() == []


def test_a_deleted_comments_email_is_forgotten_and_unsubscribing_stops_every_comment_of_it(app):
    store = app_state(app).store
    first, _ = store.add("Ann", "One", contact=Contact(EMAIL, True))
    second, _ = store.add("Ann", "Two", thread="/other/", contact=Contact(EMAIL.upper(), True))
    third, _ = store.add("Bob", "Three", contact=Contact("bob@example.org", True))
    assert store.private.unsubscribe(address_key(EMAIL)) is True
    ids = [first["id"], second["id"], third["id"]]
    assert store.private.contacts(ids) == {
        first["id"]: Contact(EMAIL, False),
        second["id"]: Contact(EMAIL.upper(), False),
        third["id"]: Contact("bob@example.org", True),
    }
    store.delete(first["id"])
    assert first["id"] not in store.private.contacts(ids)
    assert store.private.unsubscribe(address_key("nobody@example.org")) is False


def test_a_link_is_used_once_even_by_many_at_once(app):
    private = app_state(app).store.private
    wins = []
    barrier = threading.Barrier(6)

    def use() -> None:
        barrier.wait()
        wins.append(private.use_link("nonce-1", 4_102_444_800.0))

    workers = [threading.Thread(target=use) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(wins) == [False] * 5 + [True]
    assert private.use_link("nonce-2", 4_102_444_800.0) is True


def test_the_mail_log_counts_an_address_within_a_time(app):
    private = app_state(app).store.private
    now = time.time()
    for at in (now - 3000, now - 2000, now - 1000):
        private.mail_sent("hash-a", at, "reply 1")
    private.mail_sent("hash-b", now, "reply 2")
    assert private.mails_sent("hash-a", now - 2500) == 2
    assert private.mails_sent("hash-b", 0.0) == 1
    # What each mail was about: a reply told of once.
    assert private.mailed("hash-b", "reply 2") and not private.mailed("hash-a", "reply 2")


def test_exports_carry_contacts_and_an_import_restores_them_on_the_other_store(
    app, store_settings, tmp_path, pg_url
):
    store = app_state(app).store
    kept, _ = store.add("Ann", "Hello", thread="/a/", contact=Contact(EMAIL, True))
    store.add("Bob", "No email")
    gone, _ = store.add("Cid", "Deleted", contact=Contact("cid@example.org", False))
    store.delete(gone["id"])
    body = encode_export(store.export_records(), store.closed_threads(), store.private.all_contacts())
    assert body.count(b"@example.org") == 1  # the deleted comment's address went with it
    path = tmp_path / "export.json"
    path.write_bytes(body)
    # Into an empty store of the other kind, through the command a person runs.
    (tmp_path / "restored").mkdir()
    other = {"COMMENTS_FILE": str(tmp_path / "restored" / "comments.json")}
    if "DATABASE_URL" not in store_settings:
        other["DATABASE_URL"] = pg_url
    done = flask_cli("import-json", str(path), **other)
    assert done.returncode == 0, done.stderr
    restored = app_state(create_app({**other, **NO_RATE_LIMIT})).store
    assert restored.private.contacts([kept["id"]]) == {kept["id"]: Contact(EMAIL, True)}
    assert EMAIL.encode() not in restored.snapshot("/a/").body
    exported = flask_cli("export-json", str(tmp_path / "again.json"), **other)
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "again.json").stat().st_mode & 0o077 == 0  # the owner's alone
    records = read_export((tmp_path / "again.json").read_bytes())
    assert take_contacts(records) == {kept["id"]: ("/a/", Contact(EMAIL, True))}


def test_an_export_with_a_bad_email_is_refused_naming_the_item():
    body = b'[{"id": 1, "author": "Ann", "text": "Hi", "email": "nope"}]'
    with pytest.raises(ValueError, match="email"):
        read_export(body)


def test_the_email_of_a_write_killed_before_its_rename_goes_to_nobody(tmp_path):
    settings = {"COMMENTS_FILE": str(tmp_path / "comments.json"), **NO_RATE_LIMIT}
    killed_before_the_rename(settings, {"author": "Bob", "text": "Lost", "email": "bob@example.org"})
    store = app_state(create_app(settings)).store
    # The lost comment's id is given out again, to a comment with no email: Bob's
    # address must not become Cid's.
    again, _ = store.add("Cid", "Later")
    assert again["id"] == 2
    assert store.private.contacts([1, 2]) == {}
    assert store.private.all_contacts() == {}
