"""The mail destinations over a real file store and a real SMTP server (aiosmtpd): moderators
hear of new comments with links that verify; a published reply mails everyone earlier in
its conversation who asked, once each, never its own author, at most 10 an hour per
address; the log never names an address."""

from __future__ import annotations

import logging
import re
import socket
import time
from dataclasses import replace
from email import policy
from email.parser import BytesParser

import pytest

from comments_app import config, create_app
from comments_app.model import links
from comments_app.notify.moderators import ModeratorMail
from comments_app.notify.replies import ReplyMail
from comments_app.notify.smtp import Smtp
from comments_app.state import app_state
from comments_app.stores.outbox import Item
from comments_app.stores.private import REPLY_MAILS_PER_HOUR, Contact, address_key

from ..conftest import NO_RATE_LIMIT
from ..mailserver import REFUSED, Inbox, MailServer

THREAD = "/post/"
KEY = b"s" * 32
MODERATORS = "mod@example.org,other@example.org"


@pytest.fixture(scope="module")
def smtp_server():
    inbox = Inbox()
    server = MailServer(inbox)
    server.start()
    yield server, inbox
    server.stop()


@pytest.fixture
def inbox(smtp_server):
    _, inbox = smtp_server
    inbox.mails.clear()
    return inbox


def mail_settings(port: int) -> dict[str, str]:
    return {
        "COMMENTS_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "COMMENTS_MAIL_FROM": "comments@example.org",
        "COMMENTS_MODERATOR_EMAILS": MODERATORS,
        "COMMENTS_PUBLIC_URL": "https://comments.example.org",
        "COMMENTS_SITE_URL": "https://blog.example.org",
    }


@pytest.fixture
def app(store_settings, smtp_server):
    """An app on each store (file, PostgreSQL) whose mail goes to the test's SMTP server."""
    return create_app({**store_settings, **NO_RATE_LIMIT, **mail_settings(smtp_server[0].port)})


@pytest.fixture
def store(app):
    store = app_state(app).store
    yield store
    store.close()


@pytest.fixture
def settings(app):
    return app_state(app).settings


def unreachable(settings: config.Settings) -> Smtp:
    """Return an Smtp whose server refuses connections."""
    return Smtp(replace(settings.smtp, port=closed_port()))


def closed_port() -> int:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        return closed.getsockname()[1]


def item_for(comment: dict, kind: str) -> Item:
    return Item("msg_" + "c" * 32, kind, comment, THREAD, time.time())


def item_of(store, comment_id: int, kind: str = "comment.published"):
    return next(i for i in store.outbox.listing() if i.comment["id"] == comment_id and i.type == kind)


def read(mail) -> object:
    return BytesParser(policy=policy.default).parsebytes(mail.content)


def plain_of(mail) -> str:
    return read(mail).get_body(("plain",)).get_content()


# Moderators


def test_moderators_want_new_comments_they_may_act_on(tmp_path):
    # What they want is the settings' and the item's alone: no store, no server.
    settings = config.load({"COMMENTS_FILE": str(tmp_path / "comments.json"), **mail_settings(closed_port())})
    moderators = ModeratorMail(settings, Smtp(settings.smtp), lambda: KEY)
    comment = {"id": 1, "author": "Ann", "text": "Hi", "status": "pending"}
    pending = replace(item_for(comment, "comment.pending"), fresh=True)
    published = replace(item_for({**comment, "status": "published"}, "comment.published"), fresh=True)
    assert moderators.wants(pending)
    assert not moderators.wants(published)
    assert not moderators.wants(replace(pending, fresh=False))
    assert not moderators.wants(replace(pending, type="comment.edited"))
    everything = ModeratorMail(replace(settings, notify="all"), Smtp(settings.smtp), lambda: KEY)
    assert everything.wants(published) and not everything.wants(replace(published, fresh=False))
    nobody = ModeratorMail(replace(settings, moderator_emails=()), Smtp(settings.smtp), lambda: KEY)
    assert not nobody.wants(pending)


def test_a_pending_comment_is_mailed_to_every_moderator(store, settings, inbox):
    comment, _ = store.add("Ann", "Please *approve*", status="pending", thread=THREAD)
    item = item_of(store, comment["id"], "comment.pending")
    moderators = ModeratorMail(settings, Smtp(settings.smtp), store.secret_key)
    assert item.fresh and moderators.wants(item)
    assert moderators.deliver(item) is None
    [mail] = inbox.mails
    assert mail.recipients == ["mod@example.org", "other@example.org"]
    tokens = re.findall(r"/mail/moderate/(\S+)", plain_of(mail))
    actions = [links.read_moderation_token(store.secret_key(), token) for token in tokens]
    assert [(link.comment_id, link.action) for link in actions] == [
        (comment["id"], "publish"),
        (comment["id"], "hide"),
        (comment["id"], "delete"),
    ]


def test_an_unreachable_server_is_a_reason_to_try_again(store, settings):
    comment, _ = store.add("Ann", "Hi", status="pending", thread=THREAD)
    moderators = ModeratorMail(settings, unreachable(settings), store.secret_key)
    assert moderators.deliver(item_of(store, comment["id"], "comment.pending")) == "Connection refused"


# Replies


def conversation(store):
    """Ann asks, Bob answers and wants replies, Cid answers and does not, Ann again (her
    address spelled otherwise), then Dee, who gave no address."""
    ann, _ = store.add("Ann", "Q", thread=THREAD, contact=Contact("ann@example.org", True))
    bob, _ = store.add("Bob", "A", thread=THREAD, parent=ann["id"], contact=Contact("bob@example.org", True))
    cid, _ = store.add("Cid", "B", thread=THREAD, parent=bob["id"], contact=Contact("cid@example.org", False))
    ann2, _ = store.add("Ann", "C", thread=THREAD, parent=cid["id"], contact=Contact("Ann@Example.org", True))
    dee, _ = store.add("Dee", "D *d*", thread=THREAD, parent=ann2["id"])
    return {"ann": ann, "bob": bob, "cid": cid, "ann2": ann2, "dee": dee}


@pytest.fixture
def replies(store, settings):
    return ReplyMail(settings, Smtp(settings.smtp), store, logging.getLogger("test.replies"))


def test_a_reply_is_mailed_once_to_each_subscriber_above_it(store, replies, inbox):
    talk = conversation(store)
    dee = talk["dee"]
    assert replies.deliver(item_of(store, dee["id"])) is None
    by_address = {mail.recipients[0].lower(): mail for mail in inbox.mails}
    assert sorted(by_address) == ["ann@example.org", "bob@example.org"]
    # Each unsubscribe link names its address, by its hash.
    unsubscribed = {
        address: links.read_unsubscribe_token(
            store.secret_key(), read(mail)["List-Unsubscribe"][1:-1].rpartition("/")[2]
        )
        for address, mail in by_address.items()
    }
    assert unsubscribed == {address: address_key(address) for address in by_address}
    # As the server got it: the link whole on its line, for mail programs that read it raw.
    assert re.search(
        rb"^List-Unsubscribe: <https://[^\s>]+>\r?$", by_address["bob@example.org"].content, re.M
    )
    assert f"https://blog.example.org{THREAD}#comment-{dee['id']}" in plain_of(by_address["bob@example.org"])
    assert store.private.mails_sent(address_key("ann@example.org"), time.time() - 60) == 1


def test_nobody_is_told_of_their_own_reply(store, replies, inbox):
    ann2 = conversation(store)["ann2"]
    # Ann's second comment answers Cid's: Bob hears of it, Ann (first comment) does not.
    assert replies.deliver(item_of(store, ann2["id"])) is None
    assert [mail.recipients for mail in inbox.mails] == [["bob@example.org"]]


def test_what_replies_want(store, replies):
    talk = conversation(store)
    ann, bob = talk["ann"], talk["bob"]
    assert replies.wants(item_of(store, bob["id"]))
    assert not replies.wants(item_of(store, ann["id"]))
    pending, _ = store.add("Eve", "E", status="pending", thread=THREAD, parent=ann["id"])
    assert not replies.wants(item_of(store, pending["id"], "comment.pending"))


def test_an_unsubscribed_address_hears_nothing_more(store, replies, inbox):
    talk = conversation(store)
    bob = talk["bob"]
    assert store.private.unsubscribe(address_key("ann@example.org"))
    assert replies.deliver(item_of(store, bob["id"])) is None
    assert inbox.mails == []


def test_ten_mails_an_hour_per_address_then_none(store, replies, inbox, caplog):
    bob = conversation(store)["bob"]
    now = time.time()
    for _ in range(REPLY_MAILS_PER_HOUR):
        store.private.mail_sent(address_key("ANN@example.org"), now, "another reply")
    with caplog.at_level(logging.INFO, logger="test.replies"):
        assert replies.deliver(item_of(store, bob["id"])) is None
    assert inbox.mails == []
    assert f"reply mail of comment {bob['id']} skipped: an address had 10 this hour" in caplog.text
    assert "@" not in caplog.text


def test_a_failure_is_returned_and_nothing_counted(store, settings):
    bob = conversation(store)["bob"]
    replies = ReplyMail(settings, unreachable(settings), store, logging.getLogger("test.replies"))
    assert replies.deliver(item_of(store, bob["id"])) == "Connection refused"
    assert store.private.mails_sent(address_key("ann@example.org"), 0) == 0


def test_an_address_refused_for_good_does_not_hold_back_the_others(store, replies, inbox, caplog):
    gone, _ = store.add("Gus", "G", thread=THREAD, contact=Contact(REFUSED, True))
    bob, _ = store.add("Bob", "A", thread=THREAD, parent=gone["id"], contact=Contact("bob@example.org", True))
    eve, _ = store.add("Eve", "E", thread=THREAD, parent=bob["id"])
    with caplog.at_level(logging.INFO, logger="test.replies"):
        assert replies.deliver(item_of(store, eve["id"])) is None
    assert [mail.recipients for mail in inbox.mails] == [["bob@example.org"]]
    assert "refused every recipient (550)" in caplog.text and "@" not in caplog.text


class Greylist(Inbox):
    """Answers "try again later" to one address: its mail fails for now, the others' go."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == "later@example.org":
            return "450 4.2.0 Greylisted, try again later"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_a_retry_after_one_address_failed_mails_nobody_twice(store, settings):
    """Subscribers are mailed nearest first: the one above, refused for now, fails the item,
    which is tried again; the one already told is not told again (the reviewer's case)."""
    greylist = Greylist()
    server = MailServer(greylist)
    server.start()
    try:
        smtp = Smtp(replace(settings.smtp, port=server.port))
        replies = ReplyMail(settings, smtp, store, logging.getLogger("test.replies"))
        top, _ = store.add("Lee", "A", thread=THREAD, contact=Contact("later@example.org", True))
        bob, _ = store.add(
            "Bob", "B", thread=THREAD, parent=top["id"], contact=Contact("bob@example.org", True)
        )
        eve, _ = store.add("Eve", "C", thread=THREAD, parent=bob["id"])
        for _ in range(3):
            assert replies.deliver(item_of(store, eve["id"])) is not None
        assert [mail.recipients for mail in greylist.mails] == [["bob@example.org"]]
    finally:
        server.stop()
