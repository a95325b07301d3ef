"""The pages the mails' links open (web/mail_pages.py), through the Flask test client on
both stores: a GET changes nothing, a POST acts once, refusals are pages that say why."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from comments_app import create_app
from comments_app.model import links
from comments_app.state import app_state
from comments_app.stores.contract import StoreError
from comments_app.stores.private import Contact, address_key

from ..conftest import NO_RATE_LIMIT

EMAIL = "ann@example.org"


@pytest.fixture
def make_app(store_settings):
    """Return a factory of apps on one fresh store (each backend), their stores closed at the end."""
    made = []

    def make(**settings):
        app = create_app({**store_settings, **NO_RATE_LIMIT, **settings})
        made.append(app)
        return app

    yield make
    for app in made:
        app_state(app).store.close()


@pytest.fixture
def app(make_app):
    return make_app(COMMENTS_MODERATION="pre")


def store_of(app):
    return app_state(app).store


def key_of(app) -> bytes:
    return store_of(app).secret_key()


def moderate_path(app, comment_id: int, action: str) -> str:
    return f"/mail/moderate/{links.moderation_token(key_of(app), comment_id, action)}"


def unsubscribe_path(app, email: str = EMAIL) -> str:
    return f"/mail/unsubscribe/{links.unsubscribe_token(key_of(app), address_key(email))}"


def status_of(app, comment_id: int) -> str | None:
    record = store_of(app).record(comment_id)
    return None if record is None else record["status"]


def add(app, text: str = "Hello <b>there</b>\nsecond line", status: str = "pending", contact=None) -> int:
    comment, _ = store_of(app).add("Ann <i>", text, status, contact=contact)
    return comment["id"]


def assert_page(response, status: int, *words: str) -> str:
    """Check an answer is an HTML page for people, hardened and kept by no cache; return its text."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "form-action 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    text = response.get_data(as_text=True)
    assert "<script" not in text
    for word in words:
        assert word in text
    return text


def test_a_moderation_link_fetched_changes_nothing_and_posted_publishes_once(app):
    comment_id = add(app, contact=Contact(EMAIL, True))
    client = app.test_client()
    path = moderate_path(app, comment_id, "publish")
    for _ in range(2):  # a mail scanner's GET, then the moderator's
        page = assert_page(client.get(path), 200, "Publish this comment?", "pending", '<form method="post"')
        assert status_of(app, comment_id) == "pending"
    # The comment as plain text, escaped; never the author's address.
    assert "Hello &lt;b&gt;there&lt;/b&gt;<br>" in page and "Ann &lt;i&gt;" in page
    assert EMAIL not in page
    assert client.get("/api/comments").get_json() == []

    assert_page(client.post(path), 200, "Published.", 'href="/moderate"')
    assert status_of(app, comment_id) == "published"
    assert [c["id"] for c in client.get("/api/comments").get_json()] == [comment_id]

    assert_page(client.post(path), 410, "already used")
    assert_page(client.get(path), 410, "already used")  # its page says so, and offers no button
    store_of(app).update(comment_id, {"status": "hidden"})
    assert_page(client.post(path), 410, "already used")
    assert status_of(app, comment_id) == "hidden"


@pytest.mark.parametrize(
    ("action", "after"), [("hide", "hidden"), ("delete", None), ("publish", "published")]
)
def test_each_action_acts_by_post(app, action, after):
    comment_id = add(app, status="pending" if action == "publish" else "published")
    client = app.test_client()
    path = moderate_path(app, comment_id, action)
    question = {"hide": "Hide this comment?", "delete": "Delete this comment?", "publish": "Publish"}[action]
    assert_page(client.get(path), 200, question)
    assert status_of(app, comment_id) != after
    assert_page(client.post(path), 200, f"Comment {comment_id} is {after or 'deleted'}.")
    assert status_of(app, comment_id) == after


def test_two_posts_at_once_act_once(app):
    comment_id = add(app)
    path = moderate_path(app, comment_id, "delete")

    def post(_):
        return app.test_client().post(path).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(post, range(4)))
    # One deletes; the others find the link used, or (past its check) the comment gone.
    assert statuses.count(200) == 1 and set(statuses) <= {200, 404, 410}
    assert status_of(app, comment_id) is None


def test_a_link_to_a_comment_gone_says_so(app):
    client = app.test_client()
    comment_id = add(app)
    hide = moderate_path(app, comment_id, "hide")
    store_of(app).delete(comment_id)
    for response in (client.get(hide), client.post(hide), client.get(moderate_path(app, 999, "publish"))):
        assert_page(response, 404, "This comment is gone", "deleted, or never existed")


def stamped_token(key: bytes, comment_id: int, action: str, at: int) -> str:
    """Return a moderation token as links.moderation_token makes it, signed at a past time."""
    signer = type("PastSigner", (TimestampSigner,), {"get_timestamp": lambda self: at})
    serializer = URLSafeTimedSerializer(key, salt=links.MODERATE_SALT, signer=signer)
    return serializer.dumps([comment_id, action, "0123456789abcdef"])


def test_an_expired_link_is_refused_with_410(app):
    comment_id = add(app)
    client = app.test_client()
    old = stamped_token(key_of(app), comment_id, "publish", int(time.time()) - 8 * 24 * 3600)
    for response in (client.get(f"/mail/moderate/{old}"), client.post(f"/mail/moderate/{old}")):
        assert_page(response, 410, "This link has expired", "7 days")
    assert status_of(app, comment_id) == "pending"
    # Six days old: still a link.
    recent = stamped_token(key_of(app), comment_id, "publish", int(time.time()) - 6 * 24 * 3600)
    assert_page(client.post(f"/mail/moderate/{recent}"), 200, "Published.")


def forged_paths(app, comment_id: int) -> list[str]:
    good = links.moderation_token(key_of(app), comment_id, "publish")
    other_key = links.moderation_token(b"another server's key", comment_id, "publish")
    unsubscribe = links.unsubscribe_token(key_of(app), address_key(EMAIL))
    return [
        f"/mail/moderate/{good[:-2]}{'AA' if not good.endswith('AA') else 'BB'}",  # signature changed
        f"/mail/moderate/{other_key}",
        f"/mail/moderate/{unsubscribe}",  # an unsubscribe token is no moderation link
        "/mail/moderate/not-a-token",
        f"/mail/unsubscribe/{good}",  # nor a moderation token an unsubscribe one
        f"/mail/unsubscribe/{links.unsubscribe_token(b'another key', address_key(EMAIL))}",
    ]


def test_a_forged_link_is_404(app):
    comment_id = add(app, contact=Contact(EMAIL, True))
    client = app.test_client()
    for path in forged_paths(app, comment_id):
        for response in (client.get(path), client.post(path)):
            assert_page(response, 404, "This link does not work", "not a")
    assert status_of(app, comment_id) == "pending"
    assert store_of(app).private.contacts([comment_id])[comment_id].replies is True


@pytest.mark.parametrize("multipart", [False, True], ids=["urlencoded", "multipart"])
def test_one_click_unsubscribe_stops_reply_mails_and_says_so_again(app, multipart):
    """RFC 8058: the provider POSTs List-Unsubscribe=One-Click, without cookies or Origin."""
    comment_id = add(app, contact=Contact(EMAIL, True))
    other = add(app, contact=Contact("bob@example.org", True))
    client = app.test_client()
    path = unsubscribe_path(app)
    page = assert_page(
        client.get(path), 200, "Stop emails about replies", 'name="List-Unsubscribe" value="One-Click"'
    )
    assert EMAIL not in page
    assert store_of(app).private.contacts([comment_id])[comment_id].replies is True

    body = {"List-Unsubscribe": "One-Click"}
    kind = "multipart/form-data" if multipart else "application/x-www-form-urlencoded"
    for _ in range(2):
        response = client.post(path, data=body, content_type=kind)
        assert_page(response, 200, "You will get no more emails about replies.")
        contacts = store_of(app).private.contacts([comment_id, other])
        assert (contacts[comment_id].replies, contacts[other].replies) == (False, True)


def test_an_unsubscribe_link_works_after_the_comment_it_came_with_is_deleted(app):
    """The link names the address, not the comment: it stops the address's other comments."""
    first = add(app, contact=Contact(EMAIL, True))
    second = add(app, contact=Contact(EMAIL.upper(), True))
    store_of(app).delete(first)
    assert_page(app.test_client().post(unsubscribe_path(app)), 200, "no more emails")
    assert store_of(app).private.contacts([second])[second].replies is False


def test_a_link_whose_change_fails_is_not_used_up(app, monkeypatch):
    comment_id = add(app)
    path = moderate_path(app, comment_id, "publish")
    store = store_of(app)
    working = store.update

    def away(*args, **kwargs):
        raise StoreError("the comments store cannot be written", "disk full")

    monkeypatch.setattr(store, "update", away)
    assert_page(app.test_client().post(path), 503)
    monkeypatch.setattr(store, "update", working)
    assert_page(app.test_client().post(path), 200, "Published.")
    assert status_of(app, comment_id) == "published"


def test_an_unsubscribe_link_of_a_comment_without_address_answers_the_same(app):
    add(app)
    assert_page(app.test_client().post(unsubscribe_path(app, "nobody@example.org")), 200, "no more emails")


def test_a_post_from_another_sites_page_is_refused_one_from_this_server_is_not(app):
    comment_id = add(app)
    client = app.test_client()
    path = moderate_path(app, comment_id, "publish")
    foreign = client.post(path, headers={"Origin": "https://evil.example"})
    assert_page(foreign, 403, "https://evil.example may not change comments here")
    cross_site = client.post(path, headers={"Sec-Fetch-Site": "cross-site"})
    assert_page(cross_site, 403, "cross-site")
    assert status_of(app, comment_id) == "pending"
    # The page's own form: its Origin is this server. The link was not used by the refusals.
    own = client.post(path, headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert_page(own, 200, "Published.")


def test_posts_count_against_the_rate_limit_and_gets_do_not(make_app):
    app = make_app(COMMENTS_RATE_LIMIT="2/minute")
    add(app, contact=Contact(EMAIL, True))
    client = app.test_client()
    path = unsubscribe_path(app)
    for _ in range(3):
        assert_page(client.get(path), 200)
    for _ in range(2):
        assert_page(client.post(path), 200)
    refused = client.post(path)
    assert_page(refused, 429, "Too many requests")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another client has its own count.
    assert_page(client.post(path, environ_base={"REMOTE_ADDR": "192.0.2.7"}), 200)


def test_a_host_not_allowed_is_refused(make_app):
    app = make_app(COMMENTS_ALLOWED_HOSTS="comments.example")
    comment_id = add(app)
    path = moderate_path(app, comment_id, "publish")
    assert app.test_client().post(path).status_code == 400  # Host: localhost
    assert status_of(app, comment_id) == "pending"
    allowed = app.test_client().post(path, headers={"Host": "comments.example"})
    assert_page(allowed, 200, "Published.")


def test_a_link_whose_use_cannot_be_recorded_changes_nothing(app, monkeypatch):
    """The use is recorded before the change: a store that cannot record it changes nothing."""
    comment_id = add(app)
    store = store_of(app)

    def cannot_record(nonce: str, until: float) -> bool:
        raise StoreError("the store cannot be written now", "the side file is read-only")

    monkeypatch.setattr(store.private, "use_link", cannot_record)
    path = moderate_path(app, comment_id, "publish")
    assert_page(app.test_client().post(path), 503, "Try again later", "cannot be written")
    assert status_of(app, comment_id) == "pending"
