"""The link limit counts what the page renders, on every write; a trapped bot learns
nothing and cannot move its comment; a moderator's hide stays (issue #24, items 5-7)."""

from __future__ import annotations

import gzip
import json
import time

import pytest
from werkzeug.security import generate_password_hash

from comments_app import create_app
from comments_app.model.spam import count_links

MOD = {"Authorization": "Basic bW9kOm1vZC1wdw=="}  # mod:mod-pw
MOD_HASH = generate_password_hash("mod-pw")


def make_client(store_settings, **settings):
    config = {**store_settings, "COMMENTS_RATE_LIMIT": "off", "COMMENTS_ADMIN_USERS": f"mod:{MOD_HASH}"}
    return create_app({**config, **settings}).test_client()


def token_of(response) -> dict[str, str]:
    return {"Comment-Token": response.headers["Comment-Token"]}


def id_of(posted) -> int:
    """Return a new comment's id: from Location (201), or the pending comment (202)."""
    if posted.status_code == 202:
        return posted.get_json()["id"]
    return int(posted.headers["Location"].rsplit("/", 1)[1])


def moderation(client) -> dict[int, str]:
    return {c["id"]: c["status"] for c in client.get("/api/moderation/comments", headers=MOD).get_json()}


# Item 5: links counted as the page's renderer (ui/src/markdown.js) makes them.


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("[a]\n\n[a]: https&#58;//x.test/1", 1),
        ("[a] [a] [a]\n\n[a]: https:\\/\\/x.test/1", 3),
        ("[A  b] [x][a b] [a B][]\n\n[a b]: <https&#58;//x.test>", 3),
        ("[a\\]b] [a\\]b]\n\n[a\\]b]: https:\\/\\/x.test", 2),
        ("[a]: https:\\/\\/x.test/1", 0),
        ("[a [b] c](https&#58;//x.test)", 1),
        ("write to ann@example.com or <bob@example.com> or <carl@localhost>", 3),
        ("mailto:dan@example.com", 1),
        ("an @handle.example is no e-mail", 0),
        ("no links at all", 0),
        ("https://a.example", 1),
        ("[x](https://a.example) counts once", 1),
        ("![img](https://a.example/i.png) and <https://b.example>", 2),
        ("www.a.example, http://b.example/path?q=1 and ftp://c.example", 3),
        ("an e-mail@example.com is linked by the page", 1),
        ("www.example.com is linked by the page too", 1),
        ("an @handle.example is not", 0),
    ],
)
def test_count_links_as_rendered(text, links):
    assert count_links(text) == links


@pytest.mark.parametrize(
    ("text", "links", "rendered"),
    [
        # Never fewer than the page shows; more where telling would need a Markdown parser.
        ("[https://a.test](https://b.test)", 2, 1),  # an address in a link's text
        ("[a]\n\n[a]: https://x.test", 2, 1),  # a definition's own address
    ],
)
def test_count_links_errs_on_the_safe_side(text, links, rendered):
    assert count_links(text) == links >= rendered


def cpu_time(text: str) -> float:
    started = time.process_time()
    for _ in range(5):
        count_links(text)
    return time.process_time() - started


@pytest.mark.parametrize(
    "pathological",
    [
        "[" * 5000 + "](" + "a" * 4998,
        "\\[" * 5000,
        "a" * 10000,
        "<a" * 5000,
        "[a]:" * 2500,
        "a." * 5000,
        "a@" * 5000,
        "<a@" * 3333,
        "[a" * 5000,
        "<a:" * 3333,
        "[" + "\\]" * 5000,
        "a@a." * 2500,
    ],
)
def test_count_links_is_linear(pathological):
    plain = "plain text " * 1000
    cpu_time(plain)  # warm up: the pattern compiled once
    assert cpu_time(pathological) < 5 * max(cpu_time(plain), 0.002)


@pytest.mark.parametrize("store_settings", ["json", "postgresql"], indirect=True)
@pytest.mark.parametrize("moderation_mode", ["off", "pre"])
def test_an_edit_over_the_limit_holds_the_comment(store_settings, moderation_mode):
    client = make_client(store_settings, COMMENTS_MAX_LINKS="1", COMMENTS_MODERATION=moderation_mode)
    posted = client.post("/api/comments", json={"author": "ann", "text": "one https://a.test"})
    comment_id = id_of(posted)
    if moderation_mode == "pre":
        client.patch(f"/api/comments/{comment_id}", json={"status": "published"}, headers=MOD)
    edited = client.patch(
        f"/api/comments/{comment_id}",
        json={"text": "two https://a.test and me@b.test"},
        headers=token_of(posted),
    )
    assert edited.status_code == 200
    assert edited.get_json()["status"] == "pending"
    assert client.get(f"/api/comments/{comment_id}").status_code == 404
    assert moderation(client)[comment_id] == "pending"


# Item 6: the honeypot cannot be seen or escaped.


def bot_post(client, **headers):
    return client.post(
        "/api/comments",
        data={"author": "bot", "text": "cheap pills", "website": "https://pills.example"},
        headers=headers,
    )


def stored(client) -> dict[int, dict]:
    return {c["id"]: c for c in client.get("/api/moderation/comments", headers=MOD).get_json()}


@pytest.mark.parametrize("store_settings", ["json", "postgresql"], indirect=True)
@pytest.mark.parametrize("coding", ["identity", "gzip"])
def test_a_trapped_bot_finds_its_comment_in_the_list(store_settings, coding):
    client = make_client(store_settings)
    client.post("/api/comments", json={"author": "ann", "text": "hi"})
    bot = bot_post(client, **{"Accept-Encoding": coding})
    assert bot.status_code == 201
    body = gzip.decompress(bot.data) if coding == "gzip" else bot.data
    assert [c["text"] for c in json.loads(body)] == ["hi", "cheap pills"]
    assert bot.headers.get("Content-Encoding", "identity") == coding
    # Only in the bot's answer: the public list, in every coding, never shows it.
    for accept in ("identity", "gzip"):
        public = client.get("/api/comments", headers={"Accept-Encoding": accept})
        body = gzip.decompress(public.data) if accept == "gzip" else public.data
        assert [c["text"] for c in json.loads(body)] == ["hi"]
    # The bot's copy has the list's ETag: its next conditional GET is a 304, as a person's.
    assert client.get("/api/comments", headers={"If-None-Match": bot.headers["ETag"]}).status_code == (
        304 if coding == "identity" else 200
    )


@pytest.mark.parametrize("store_settings", ["json", "postgresql"], indirect=True)
def test_a_trapped_bots_location_answers_its_comment(store_settings):
    client = make_client(store_settings)
    bot = bot_post(client)
    shown = client.get(bot.headers["Location"])
    assert shown.status_code == 200
    assert shown.get_json() == bot.get_json()[-1]
    assert "status" not in shown.get_json()
    assert stored(client)[shown.get_json()["id"]]["status"] == "spam"


@pytest.mark.parametrize("store_settings", ["json", "postgresql"], indirect=True)
def test_a_trapped_bots_edit_is_answered_and_not_made(store_settings):
    client = make_client(store_settings)
    bot = bot_post(client)
    bot_id = id_of(bot)
    patched = client.patch(bot.headers["Location"], json={"text": "cheaper pills"}, headers=token_of(bot))
    assert patched.status_code == 200
    assert patched.get_json()["status"] == "published"
    assert patched.get_json()["text"] == "cheaper pills" and "edited" in patched.get_json()
    assert stored(client)[bot_id]["status"] == "spam"
    assert stored(client)[bot_id]["text"] == "cheap pills"


@pytest.mark.parametrize("store_settings", ["json", "postgresql"], indirect=True)
def test_a_trapped_bots_delete_is_answered_and_not_made(store_settings):
    client = make_client(store_settings)
    bot = bot_post(client)
    bot_id = id_of(bot)
    assert client.delete(bot.headers["Location"], headers=token_of(bot)).status_code == 204
    assert stored(client)[bot_id]["status"] == "spam"
    # A moderator's delete is made.
    assert client.delete(bot.headers["Location"], headers=MOD).status_code == 204
    assert bot_id not in stored(client)


@pytest.mark.parametrize("store_settings", ["json"], indirect=True)
def test_a_trapped_bot_cannot_move_its_comment_under_pre_moderation(store_settings):
    client = make_client(store_settings, COMMENTS_MODERATION="pre")
    bot = bot_post(client)
    assert bot.status_code == 202 and bot.get_json()["status"] == "pending"
    location = f"/api/comments/{bot.get_json()['id']}"
    patched = client.patch(location, json={"text": "cheaper pills"}, headers=token_of(bot))
    assert patched.status_code == 200 and patched.get_json()["status"] == "pending"
    assert moderation(client)[bot.get_json()["id"]] == "spam"


# Item 7: a moderator's hide stays.


@pytest.mark.parametrize("store_settings", ["json", "postgresql"], indirect=True)
@pytest.mark.parametrize("moderation_mode", ["off", "pre"])
def test_an_author_cannot_edit_a_hidden_comment(store_settings, moderation_mode):
    client = make_client(store_settings, COMMENTS_MODERATION=moderation_mode)
    posted = client.post("/api/comments", json={"author": "ann", "text": "rude"})
    comment_id = id_of(posted)
    hidden = client.patch(f"/api/comments/{comment_id}", json={"status": "hidden"}, headers=MOD)
    assert hidden.status_code == 200
    edited = client.patch(f"/api/comments/{comment_id}", json={"text": "nice"}, headers=token_of(posted))
    assert edited.status_code == 403
    assert "hid" in edited.get_json()["error"]
    stored = {c["id"]: c for c in client.get("/api/moderation/comments", headers=MOD).get_json()}
    assert stored[comment_id]["status"] == "hidden" and stored[comment_id]["text"] == "rude"
