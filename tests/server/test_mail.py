"""Mail on a real gunicorn with several workers, both stores, a real SMTP server (aiosmtpd):
moderators get a mail per comment held, whose one-click links change nothing by GET and act
once by POST; a subscribed author gets one mail per reply, never for their own, with a
one-click unsubscribe that stops the next; no mail is sent inside a request, and none is
lost when the workers are killed between the write and the delivery."""

from __future__ import annotations

import os
import re
import signal

import pytest
import requests

from comments_app import config, create_app

from ..conftest import eventually
from ..mailserver import MailServer
from .test_notifications import outbox_of, workers_of

pytestmark = pytest.mark.server

PUBLIC = "https://comments.example"
ANN = "ann@example.org"
MODERATORS = ("mod@example.org", "second.mod@example.org")


@pytest.fixture
def mail():
    server = MailServer()
    server.start()
    yield server
    server.stop()


def mail_settings(store_settings: dict, mail: MailServer, **more: str) -> dict[str, str]:
    return {
        **store_settings,
        "COMMENTS_SMTP_URL": mail.url,
        "COMMENTS_MAIL_FROM": "comments@example.org",
        "COMMENTS_MODERATOR_EMAILS": ",".join(MODERATORS),
        "COMMENTS_SITE_URL": "https://blog.example",
        "COMMENTS_PUBLIC_URL": PUBLIC,
        **more,
    }


def links_in(text: str) -> dict[str, str]:
    """Return the one-click links of a mail's plain part, by what they do."""
    found = re.findall(rf"(\w+)[^\n]*?: ({re.escape(PUBLIC)}/mail/moderate/\S+)", text)
    return {label.lower(): url for label, url in found}


def on(server, url: str) -> str:
    """Return a mail's link as the test reaches the server (the mail names COMMENTS_PUBLIC_URL)."""
    return server.url + url.removeprefix(PUBLIC)


def listed(server) -> list[int]:
    """Return the ids the thread /post/ lists."""
    answer = requests.get(server.url + "/api/comments?thread=/post/", timeout=10)
    return [comment["id"] for comment in answer.json()]


def post(server, **comment) -> requests.Response:
    return requests.post(server.url + "/api/comments", json=comment, timeout=4)


def test_moderators_are_mailed_and_a_link_acts_once_by_post_only(start_server, store_settings, mail):
    server = start_server(workers=2, **mail_settings(store_settings, mail, COMMENTS_MODERATION="pre"))
    # The SMTP server holds every mail unanswered: a request that sent one would wait too.
    mail.inbox.gate.clear()
    held = post(server, author="Ann", text="Is **this** fine? <script>x</script>", thread="/post/")
    assert held.status_code == 202
    comment_id = held.json()["id"]
    mail.inbox.gate.set()
    (got,) = mail.wait_for(1)
    assert sorted(got.recipients) == sorted(MODERATORS)
    assert "awaiting approval" in got.subject
    assert got.message.get_content_type() == "multipart/alternative"
    html = got.part("html")
    assert "<strong>this</strong>" in html and "<script>" not in html
    links = links_in(got.part("plain"))
    assert set(links) >= {"publish", "hide", "delete"}, got.part("plain")
    publish = on(server, links["publish"])
    # A GET (a mail scanner opening every link) shows the form and changes nothing.
    page = requests.get(publish, timeout=10)
    assert page.status_code == 200 and "<form" in page.text and 'method="post"' in page.text
    assert requests.get(server.url + "/api/comments?thread=/post/", timeout=10).json() == []
    done = requests.post(publish, timeout=10)
    assert done.status_code == 200, done.text
    # Another worker may answer the list: on PostgreSQL it hears of the change by NOTIFY.
    assert eventually(lambda: listed(server), [comment_id]) == [comment_id]
    again = requests.post(publish, timeout=10)
    assert again.status_code == 410 and "already used" in again.text
    assert requests.get(publish, timeout=10).status_code == 410  # its page says so too
    # The access log shows where links went, never their tokens: whoever reads it cannot act.
    token = publish.rsplit("/", 1)[1]
    assert eventually(lambda: "POST /mail/moderate/[token]" in server.output(), True)
    assert token not in server.output()
    # Another link of the same mail still works once: hide it.
    assert requests.post(on(server, links["hide"]), timeout=10).status_code == 200
    assert eventually(lambda: listed(server), []) == []


def test_a_reply_mails_its_subscribed_author_once_never_their_own_until_unsubscribed(
    start_server, store_settings, mail
):
    # Moderators hear of every new comment: their mail for a comment says the outbox has
    # reached it (items go out in order), so that "no reply mail" is seen, not waited for.
    server = start_server(workers=2, **mail_settings(store_settings, mail, COMMENTS_NOTIFY="all"))
    moderators = 0

    def reached() -> None:
        nonlocal moderators
        moderators += 1
        assert len(mail.wait_for(moderators, address=MODERATORS[0])) == moderators

    first = post(server, author="Ann", text="A question", thread="/post/", email=ANN, notify_replies=True)
    assert first.status_code == 201
    assert ANN not in first.text
    first_id = int(first.headers["Location"].rsplit("/", 1)[1])
    reached()
    reply = post(server, author="Bob", text="An *answer*", thread="/post/", parent=first_id)
    reply_id = int(reply.headers["Location"].rsplit("/", 1)[1])
    (told,) = mail.wait_for(1, address=ANN)
    reached()
    assert told.recipients == [ANN] and "reply" in told.subject.lower()
    assert "Bob" in told.part("plain") and "<em>answer</em>" in told.part("html")
    assert f"https://blog.example/post/#comment-{reply_id}" in told.part("plain")
    unsubscribe = told.message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(f"{PUBLIC}/mail/unsubscribe/")
    assert told.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Ann answers herself (her address in another case): she is not told of it.
    post(server, author="Ann", text="Thanks", thread="/post/", parent=reply_id, email=ANN.upper())
    reached()
    assert len(mail.inbox.to(ANN)) == 1
    # Nowhere public: the list, the feed, the comment.
    for path in ("/api/comments?thread=/post/", "/api/feed.atom?thread=/post/", f"/api/comments/{first_id}"):
        assert "ann@" not in requests.get(server.url + path, timeout=10).text.lower()
    # RFC 8058's one-click: a POST with no cookie, no login, no Origin.
    stopped = requests.post(on(server, unsubscribe), data={"List-Unsubscribe": "One-Click"}, timeout=10)
    assert stopped.status_code == 200
    post(server, author="Cid", text="Me too", thread="/post/", parent=first_id)
    reached()
    assert len(mail.inbox.to(ANN)) == 1


def test_workers_killed_between_the_write_and_the_mail_lose_nothing(start_server, store_settings, mail):
    mail.inbox.refuse = True  # the SMTP server answers "try again later"
    server = start_server(workers=2, **mail_settings(store_settings, mail, COMMENTS_NOTIFY="all"))
    assert post(server, author="Ann", text="Once").status_code == 201
    assert eventually(lambda: mail.inbox.refused >= 1, True)
    old = workers_of(server)
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    assert eventually(lambda: len(set(workers_of(server)) - set(old)) >= 2, True, seconds=30)
    mail.inbox.refuse = False
    assert eventually(lambda: outbox_of(server)["pending"], 0, seconds=30) == 0
    # Delivered once (at least once: a retry would carry the same Message-ID), stored once.
    (got,) = mail.inbox.mails
    assert "Once" in got.part("plain")
    texts = [comment["text"] for comment in requests.get(server.url + "/api/comments", timeout=10).json()]
    assert texts == ["Once"]


MAIL = {"COMMENTS_SMTP_URL": "smtp://mail.example:587", "COMMENTS_MAIL_FROM": "c@example.org"}


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"COMMENTS_SMTP_URL": "http://mail.example"}, "COMMENTS_SMTP_URL: must start with smtp://"),
        ({"COMMENTS_SMTP_URL": "smtp://u:s3cret@mail.example:xx"}, "COMMENTS_SMTP_URL"),
        ({"COMMENTS_SMTP_URL": "smtp://u:s3cret@"}, "COMMENTS_SMTP_URL"),
        ({"COMMENTS_SMTP_URL": "smtp://mail.example", "COMMENTS_PUBLIC_URL": PUBLIC}, "COMMENTS_MAIL_FROM"),
        ({**MAIL}, "COMMENTS_PUBLIC_URL: must be set with COMMENTS_SMTP_URL"),
        ({**MAIL, "COMMENTS_PUBLIC_URL": PUBLIC, "COMMENTS_MAIL_FROM": "nobody"}, "COMMENTS_MAIL_FROM"),
        (
            {**MAIL, "COMMENTS_PUBLIC_URL": PUBLIC, "COMMENTS_MODERATOR_EMAILS": "a@b.org, x"},
            "MODERATOR_EMAILS",
        ),
        ({"COMMENTS_MODERATOR_EMAILS": "a@b.org"}, "COMMENTS_MODERATOR_EMAILS: needs COMMENTS_SMTP_URL"),
        ({"COMMENTS_NOTIFY": "some"}, "COMMENTS_NOTIFY"),
    ],
)
def test_a_wrong_mail_setting_stops_the_start_naming_it(tmp_path, settings, words):
    with pytest.raises(config.ConfigError) as caught:
        create_app({"COMMENTS_FILE": str(tmp_path / "comments.json"), **settings})
    assert words in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_a_link_waiting_for_the_side_file_never_holds_up_the_worker(start_server, tmp_path):
    """The file store's private data is SQLite, fsynced, waiting for other writers: a one-click
    POST waits off the worker's event loop, and the worker answers others meanwhile."""
    import sqlite3
    import threading
    import time

    from comments_app.model import links
    from comments_app.state import app_state
    from comments_app.stores.private import address_key

    path = tmp_path / "comments.json"
    server = start_server(workers=1, COMMENTS_FILE=str(path))
    posted = post(server, author="Ann", text="Hi", thread="/post/", email=ANN, notify_replies=True)
    assert posted.status_code == 201
    key = app_state(create_app({"COMMENTS_FILE": str(path)})).store.secret_key()
    stop = on(server, f"{PUBLIC}/mail/unsubscribe/{links.unsubscribe_token(key, address_key(ANN))}")
    # Another writer (a thread's write, the sender) holds the side file for a second.
    side = sqlite3.connect(
        path.with_name("comments.json.outbox"), isolation_level=None, check_same_thread=False
    )
    side.execute("BEGIN IMMEDIATE")
    waiting = threading.Thread(target=lambda: requests.post(stop, timeout=20))
    waiting.start()
    try:
        time.sleep(0.2)  # the POST is in, waiting for the lock
        began = time.monotonic()
        assert requests.get(server.url + "/api/comments?thread=/post/", timeout=10).status_code == 200
        assert time.monotonic() - began < 0.5
    finally:
        side.execute("COMMIT")
        waiting.join()
