"""The plain list's fast path (fastpath.py): the same answers as Flask, and only when it may."""

from __future__ import annotations

import pytest
from flask import request_finished
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.security import generate_password_hash

from comments_app import auth, create_app
from comments_app.fastpath import PlainListFastPath

from .conftest import NO_RATE_LIMIT


class Watched:
    """Flask's own WSGI app, counting the requests the fast path handed to it."""

    def __init__(self, app) -> None:
        self.fast: PlainListFastPath = app.extensions["comments_fastpath"]
        self.flask = self.fast.wsgi_app
        self.calls = 0
        self.fast.wsgi_app = self

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.flask(environ, start_response)


def answered_by_flask(app, send) -> bool:
    watched = Watched(app)
    send(app.test_client())
    return watched.calls == 1


def both_ways(app, **request) -> tuple:
    """Send one request through the fast path, then the same through Flask alone."""
    client = app.test_client()
    fast = app.extensions["comments_fastpath"]
    fast_answer = client.get(**request)
    fast.possible = False
    try:
        flask_answer = client.get(**request)
    finally:
        fast.possible = True
    return fast_answer, flask_answer


def seen(response) -> tuple:
    return response.status, response.headers.to_wsgi_list(), response.get_data()


@pytest.fixture
def stored(store_settings):
    """An app on a store holding three comments, and the version after the first."""
    app = create_app({**store_settings, **NO_RATE_LIMIT})
    client = app.test_client()
    client.post("/api/comments", json={"author": "Author", "text": "Comment *0*"})
    first = client.get("/api/comments").headers["Comments-Version"]
    for number in range(1, 3):
        client.post("/api/comments", json={"author": f"Author {number}", "text": f"Comment *{number}*"})
    yield app, first
    app.extensions["comments_store"].close()


CODINGS = [None, "gzip", "br", "gzip, deflate, br, zstd", "identity", "br;q=0, gzip;q=0.5", "*", "x-gzip"]
# No query; a poll for changes since the current version, an older one, an unknown one;
# an escaped version and a repeated parameter, which only Flask reads.
READ_BY_FLASK = ["since=a%2Db", "since=x&since=y"]
QUERIES = ["", "since=current", "since=first", "since=0-0", *READ_BY_FLASK]
HOSTS = ["localhost", "127.0.0.1:8000", "[::1]:5000", "comments.localhost", "LOCALHOST"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(["/api/comments", "/comments.json"]),
    query=st.sampled_from(QUERIES),
    coding=st.sampled_from(CODINGS),
    condition=st.sampled_from(["none", "current", "weak", "listed", "star", "stale", "garbage"]),
    asked_coding=st.sampled_from(CODINGS),
    host=st.sampled_from(HOSTS),
)
def test_fast_path_answers_what_flask_answers(stored, path, query, coding, condition, asked_coding, host):
    store_app, first_version = stored
    client = store_app.test_client()
    first, current = first_version, client.get(path).headers["Comments-Version"]
    url = f"{path}?{query.replace('current', current).replace('first', first)}" if query else path
    headers = {"Host": host}
    if coding is not None:
        headers["Accept-Encoding"] = coding
    # The ETag a client holds: the one it was given for some coding, or none.
    held = client.get(url, headers={"Accept-Encoding": asked_coding or ""}).headers.get("ETag", '"none"')
    headers["If-None-Match"] = {
        "none": "",
        "current": held,
        "weak": f"W/{held}",
        "listed": f'"other", {held}',
        "star": "*",
        "stale": '"0-0-0"',
        "garbage": "not an etag",
    }[condition]
    watched = Watched(store_app)
    fast = client.get(url, headers=headers)
    # The fast path answers the plain list, and a plain poll for changes only with its 304.
    by_flask = query in READ_BY_FLASK or (query and fast.status_code != 304)
    assert watched.calls == (1 if by_flask else 0)
    fast, flask = both_ways(store_app, path=url, headers=headers)
    assert seen(fast) == seen(flask)


def test_fast_path_follows_each_new_comment(stored):
    store_app, _first = stored
    client = store_app.test_client()
    before = client.get("/api/comments")
    client.post("/api/comments", json={"author": "Later", "text": "a new comment"})
    held = {"If-None-Match": before.headers["ETag"]}
    fast, flask = both_ways(store_app, path="/api/comments", headers=held)
    assert fast.status_code == 200
    assert b"a new comment" in fast.get_data()
    assert seen(fast) == seen(flask)


# Requests whose answer depends on more than the store, the Host and the codings.
FLASK_ONLY = {
    "a page of the list": lambda c: c.get("/api/comments?limit=2"),
    "jQuery's cache buster": lambda c: c.get("/api/comments?_=123"),
    "changes without If-None-Match": lambda c: c.get("/api/comments?since=0-0"),
    "HEAD": lambda c: c.head("/api/comments"),
    "POST": lambda c: c.post("/api/comments", json={"author": "a", "text": "b"}),
    "another path": lambda c: c.get("/api/comments/1"),
    "a trailing slash": lambda c: c.get("/api/comments/"),
    "a foreign host": lambda c: c.get("/api/comments", headers={"Host": "evil.example"}),
    "a malformed host": lambda c: c.get("/api/comments", headers={"Host": "local host"}),
}


@pytest.mark.parametrize("send", FLASK_ONLY.values(), ids=FLASK_ONLY.keys())
def test_other_requests_go_to_flask(app, send):
    assert answered_by_flask(app, send)


def test_foreign_host_is_refused_as_before(app):
    response = app.test_client().get("/api/comments", headers={"Host": "evil.example"})
    assert response.status_code == 400


HASH = generate_password_hash("s3cret")
USERS = {"COMMENTS_AUTH_USERS": f"reader:{HASH}"}


@pytest.mark.parametrize(
    ("config", "by_flask"),
    [
        ({"COMMENTS_AUTH_USERS": USERS["COMMENTS_AUTH_USERS"]}, True),
        ({"COMMENTS_AUTH_USERS": USERS["COMMENTS_AUTH_USERS"], "COMMENTS_AUTH_SCOPE": "write"}, False),
        ({"COMMENTS_CORS_ORIGINS": "https://blog.example"}, True),
        ({"COMMENTS_ALLOWED_HOSTS": "comments.example"}, False),
        ({"COMMENTS_TRUSTED_PROXIES": "1"}, False),
    ],
    ids=["reads need a login", "only writes need a login", "CORS", "allowed hosts", "behind a proxy"],
)
def test_configuration_decides_whether_the_fast_path_may_answer(comments_file, config, by_flask):
    app = create_app({"COMMENTS_FILE": str(comments_file), **config})
    host = {"Host": "comments.example"} if "COMMENTS_ALLOWED_HOSTS" in config else {}
    assert answered_by_flask(app, lambda client: client.get("/api/comments", headers=host)) is by_flask


def test_reads_behind_a_login_are_refused_without_one(comments_file):
    app = create_app({"COMMENTS_FILE": str(comments_file), **USERS})
    assert app.test_client().get("/api/comments").status_code == 401


def test_auth_attached_after_create_app_is_enforced(app):
    # As the original circuits server composed Auth onto a running server.
    app.test_client().get("/api/comments")
    auth.protect(app, users={"reader": HASH})
    response = app.test_client().get("/api/comments")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.outside_contract
def test_a_view_replaced_after_create_app_answers(app):
    app.view_functions["comments.list_comments"] = lambda: ("replaced", 200)
    assert app.test_client().get("/api/comments").get_data() == b"replaced"


def test_behind_a_proxy_the_forwarded_scheme_is_seen_as_flask_sees_it(comments_file):
    app = create_app({"COMMENTS_FILE": str(comments_file), "COMMENTS_TRUSTED_PROXIES": "1"})
    headers = {"Host": "comments.example:443", "X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.1"}
    assert answered_by_flask(app, lambda client: client.get("/api/comments", headers=headers)) is False
    fast, flask = both_ways(app, path="/api/comments", headers=headers)
    assert seen(fast) == seen(flask)


def test_a_store_that_fails_is_answered_by_flask(app, comments_file):
    comments_file.write_bytes(b'[{"id": 1, "author": "a", "text": "b"},')
    watched = Watched(app)
    fast = app.test_client().get("/api/comments")
    assert watched.calls == 1
    app.extensions["comments_fastpath"].possible = False
    flask = app.test_client().get("/api/comments")
    assert fast.status_code == flask.status_code == 503
    assert fast.get_json() == flask.get_json()


def test_trusted_hosts_edited_in_place_are_checked_again(comments_file):
    app = create_app({"COMMENTS_FILE": str(comments_file), "COMMENTS_ALLOWED_HOSTS": "a.example,b.example"})
    client = app.test_client()
    assert client.get("/api/comments", headers={"Host": "b.example"}).status_code == 200
    app.config["TRUSTED_HOSTS"].remove("b.example")
    assert client.get("/api/comments", headers={"Host": "b.example"}).status_code == 400


def test_a_store_replaced_after_create_app_is_read(app, tmp_path):
    app.test_client().post("/api/comments", json={"author": "a", "text": "in the first store"})
    other = create_app({"COMMENTS_FILE": str(tmp_path / "other.json")})
    app.extensions["comments_store"] = other.extensions["comments_store"]
    assert app.test_client().get("/api/comments").get_json() == []


def test_a_receiver_of_request_finished_sees_every_list_answer(app):
    finished = []

    def count(sender, response, **extra):
        finished.append(response.status_code)

    request_finished.connect(count, app)
    try:
        app.test_client().get("/api/comments")
    finally:
        request_finished.disconnect(count, app)
    assert finished == [200]
