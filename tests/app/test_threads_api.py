"""Threads through the API (issue 20): a thread per page, replies, removals, counts,
the latest comments, feeds, closed threads and where threads may be made; both stores."""

from __future__ import annotations

import base64
import json

import pytest
from lxml import etree
from werkzeug.security import generate_password_hash

from comments_app import create_app
from comments_app.config import ConfigError, load

from ..conftest import NO_RATE_LIMIT

MOD_HASH = generate_password_hash("mod-pw")
MOD = {"Authorization": "Basic " + base64.b64encode(b"mod:mod-pw").decode()}
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def make_client(store_settings):
    def make(**settings):
        settings = {**store_settings, "COMMENTS_ADMIN_USERS": f"mod:{MOD_HASH}", **NO_RATE_LIMIT, **settings}
        return create_app(settings).test_client()

    return make


@pytest.fixture
def client(make_client):
    return make_client()


def post(client, thread=None, author="Ann", text="Hello", expect=201, query="", **fields):
    body = {"author": author, "text": text, **fields}
    if thread is not None:
        body["thread"] = thread
    response = client.post(f"/api/comments{query}", json=body, headers={"Prefer": "return=minimal"})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def listed(client, thread=None):
    query = "" if thread is None else f"?thread={thread}"
    return client.get(f"/api/comments{query}").get_json()


def test_each_page_has_its_own_list_and_the_default_thread_stays_as_it_was(client):
    a = post(client, "/a", text="on a")
    b = post(client, query="?thread=/b", text="on b")
    default = post(client, text="on the default thread")
    assert [c["id"] for c in listed(client, "/a")] == [a["id"]]
    assert [c["id"] for c in listed(client, "/b")] == [b["id"]]
    assert listed(client) == [default]
    assert set(default) == {"id", "author", "text", "created"}
    assert a["thread"] == "/a" and a["parent"] is None
    assert client.get("/comments.json").get_json() == [default]


def test_a_comment_in_one_thread_changes_no_other_threads_etag_or_version(client):
    post(client, "/a")
    post(client, "/b")
    before = client.get("/api/comments?thread=/b")
    before_default = client.get("/api/comments")
    post(client, "/a", text="another")
    after = client.get("/api/comments?thread=/b", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 304
    assert after.headers["Comments-Version"] == before.headers["Comments-Version"]
    again = client.get("/api/comments", headers={"If-None-Match": before_default.headers["ETag"]})
    assert again.status_code == 304
    changed = client.get("/api/comments?thread=/a", headers={"If-None-Match": before.headers["ETag"]})
    assert changed.status_code == 200


def test_two_spellings_of_one_path_are_one_thread(client):
    post(client, "/%7euser/caf%c3%a9")
    assert len(listed(client, "/~user/caf%C3%A9")) == 1
    assert listed(client, "/%7Euser/café")[0]["thread"] == "/~user/caf%C3%A9"


@pytest.mark.parametrize(
    ("thread", "word"),
    [("a", "starting with /"), ("/a?b=1", "query"), ("/a%zz", "escape"), ("/" + "x" * 500, "500")],
)
def test_a_thread_that_is_not_a_path_is_refused_naming_it(client, thread, word):
    response = client.post("/api/comments", json={"author": "Ann", "text": "Hi", "thread": thread})
    assert response.status_code == 400
    assert word in response.get_json()["fields"]["thread"]
    read = client.get("/api/comments", query_string={"thread": thread})
    assert read.status_code == 400 and "thread" in read.get_json()["fields"]


def test_a_thread_given_twice_differently_is_refused(client):
    response = client.post("/api/comments?thread=/a", json={"author": "Ann", "text": "Hi", "thread": "/b"})
    assert response.status_code == 400
    assert "differently" in response.get_json()["fields"]["thread"]
    post(client, "/a", query="?thread=/a")


def test_replies_name_a_published_comment_of_the_same_thread(client):
    top = post(client, "/a")
    reply = post(client, "/a", parent=top["id"], text="reply")
    form = client.post(
        "/api/comments?thread=/a", data={"author": "Bob", "text": "form reply", "parent": str(top["id"])}
    )
    assert form.status_code == 201
    assert [(c["id"], c["parent"]) for c in listed(client, "/a")][:2] == [
        (top["id"], None),
        (reply["id"], top["id"]),
    ]
    elsewhere = post(client, "/b")
    for parent in (elsewhere["id"], 9999, "x", -1, 1.5, True):
        response = client.post(
            "/api/comments", json={"author": "Cy", "text": "no", "thread": "/a", "parent": parent}
        )
        assert response.status_code == 400, parent
        assert "parent" in response.get_json()["fields"]
    assert len(listed(client, "/a")) == 3


def test_a_removed_comment_with_replies_stays_as_a_placeholder(client):
    top = post(client, "/a")
    post(client, "/a", parent=top["id"], text="reply")
    assert client.delete(f"/api/comments/{top['id']}", headers=MOD).status_code == 204
    shown = listed(client, "/a")
    assert shown[0] == {"id": top["id"], "parent": None, "removed": True, "created": top["created"]}
    assert "author" not in shown[0]


def test_a_page_holds_whole_conversations_and_links_within_its_thread(client):
    first = post(client, "/a", text="one")
    post(client, "/a", text="two")
    post(client, "/a", parent=first["id"], text="late reply")
    response = client.get("/api/comments?thread=/a&limit=1")
    assert [c["text"] for c in response.get_json()] == ["two"]
    link = response.headers["Link"]
    assert "thread=/a" in link
    older = client.get(link[1 : link.index(">")])
    assert [c["text"] for c in older.get_json()] == ["one", "late reply"]


def test_counts_answer_each_thread_asked_for_with_an_etag(client):
    top = post(client, "/a")
    post(client, "/a", parent=top["id"])
    post(client, "/b")
    # Keyed by the spelling asked for: /%7ea is /~a's count under its own name.
    post(client, "/~a")
    asked = [("thread", "/a"), ("thread", "/b"), ("thread", "/c"), ("thread", "/%7ea")]
    response = client.get("/api/counts", query_string=asked)
    assert response.get_json() == {"/a": 2, "/b": 1, "/c": 0, "/%7ea": 1}
    held = {"If-None-Match": response.headers["ETag"]}
    assert client.get("/api/counts", query_string=asked, headers=held).status_code == 304
    post(client, "/b")
    changed = client.get("/api/counts", query_string=asked, headers=held)
    assert changed.status_code == 200 and changed.get_json()["/b"] == 2
    assert client.get("/api/counts").status_code == 400
    too_many = "&".join(f"thread=/{n}" for n in range(101))
    assert client.get(f"/api/counts?{too_many}").status_code == 400


def test_the_latest_comments_are_listed_only_when_switched_on(make_client):
    client = make_client()
    assert client.get("/api/comments/latest").status_code == 404
    assert client.get("/api/feed.atom").status_code == 404
    client = make_client(COMMENTS_LATEST="on")
    a = post(client, "/a")
    default = post(client)
    latest = client.get("/api/comments/latest?limit=10").get_json()
    assert [(c["id"], c["thread"]) for c in latest] == [(default["id"], None), (a["id"], "/a")]
    assert client.get("/api/comments/latest?limit=101").status_code == 400


def atom_entries(body: bytes) -> list:
    """Parse an Atom feed and check what RFC 4287 requires of it; return its entries."""
    feed = etree.fromstring(body)
    assert feed.tag == f"{ATOM}feed"
    for element in (feed, *feed.findall(f"{ATOM}entry")):
        for required in ("id", "title", "updated"):
            assert len(element.findall(f"{ATOM}{required}")) == 1, required
    entries = feed.findall(f"{ATOM}entry")
    assert all(entry.find(f"{ATOM}author/{ATOM}name") is not None for entry in entries)
    return entries


def test_a_threads_feed_is_valid_atom_linking_to_the_site(make_client):
    client = make_client(COMMENTS_SITE_URL="https://example.org")
    top = post(client, "/blog/post/", text="first <b>&amp;")
    post(client, "/blog/post/", text="second")
    post(client, "/other/")
    response = client.get("/api/feed.atom?thread=/blog/post/")
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    entries = atom_entries(response.data)
    assert [e.find(f"{ATOM}content").text for e in entries] == ["second", "first <b>&amp;"]
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert links[1] == f"https://example.org/blog/post/#comment-{top['id']}"
    cached = client.get(
        "/api/feed.atom?thread=/blog/post/", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert cached.status_code == 304
    assert atom_entries(client.get("/api/feed.atom?thread=/empty/").data) == []


def test_moderators_close_and_reopen_a_thread(client):
    post(client, "/a")
    assert client.get("/api/threads?thread=/a").get_json() == {"thread": "/a", "closed": False, "count": 1}
    assert client.patch("/api/threads", json={"thread": "/a", "closed": True}).status_code == 401
    closed = client.patch("/api/threads", json={"thread": "/a", "closed": True}, headers=MOD)
    assert closed.get_json() == {"thread": "/a", "closed": True, "count": 1}
    refused = client.post("/api/comments", json={"author": "Ann", "text": "Hi", "thread": "/a"})
    assert refused.status_code == 403 and "closed" in refused.get_json()["error"]
    assert len(listed(client, "/a")) == 1
    post(client, "/b")
    bad = client.patch("/api/threads", json={"thread": "/a", "closed": "yes"}, headers=MOD)
    assert bad.status_code == 400 and "closed" in bad.get_json()["fields"]
    client.patch("/api/threads", json={"thread": "/a", "closed": False}, headers=MOD)
    post(client, "/a")


def test_the_moderation_list_filters_by_thread(client):
    post(client, "/a")
    post(client, "/b")
    only_a = client.get("/api/moderation/comments?thread=/a", headers=MOD).get_json()
    assert [c["thread"] for c in only_a] == ["/a"]


def test_the_thread_pattern_limits_where_comments_may_be_made(make_client):
    client = make_client(COMMENTS_THREAD_PATTERN=r"/blog/[a-z0-9-]+/")
    post(client, "/blog/hello-world/")
    refused = client.post("/api/comments", json={"author": "Ann", "text": "Hi", "thread": "/admin/"})
    assert refused.status_code == 403
    post(client)  # the default thread is no page: the pattern does not apply


def test_a_bad_thread_pattern_stops_start_up_naming_it():
    with pytest.raises(ConfigError, match="COMMENTS_THREAD_PATTERN"):
        load({"COMMENTS_THREAD_PATTERN": "/blog/(unclosed"})
    with pytest.raises(ConfigError, match="COMMENTS_SITE_URL"):
        load({"COMMENTS_SITE_URL": "example.org"})


def test_json_answers_of_threads_are_json(client):
    body = client.get("/api/threads?thread=/x").data
    assert json.loads(body) == {"thread": "/x", "closed": False, "count": 0}
