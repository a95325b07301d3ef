"""The list cache (serving/list_cache.py): what it answers is what Flask answered, and only when it may.

Each comparison sends a request twice through the cache (the second answered from it) and once
more after clearing it, so that Flask answers: the two must be the same status, header list and
body, byte for byte.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.security import generate_password_hash

from comments_app import create_app
from comments_app.serving.list_cache import ListCache
from comments_app.state import app_state
from comments_app.web.guards import auth

from ..conftest import NO_RATE_LIMIT, eventually


def cache_of(app) -> ListCache:
    cache = app_state(app).list_cache
    assert cache is not None
    return cache


def seen(response) -> tuple:
    return response.status, response.headers.to_wsgi_list(), response.get_data()


def from_cache_and_flask(app, url: str, headers: dict | None = None) -> tuple:
    """Return (the answer from the cache, Flask's own answer) to the same request."""
    client, cache = app.test_client(), cache_of(app)
    client.get(url, headers=headers)
    hits = cache.hits
    cached = client.get(url, headers=headers)
    assert cache.hits == hits + 1, "the second request was not answered from the cache"
    cache.clear()
    misses = cache.misses
    flask = client.get(url, headers=headers)
    assert cache.misses == misses + 1
    return cached, flask


def answered_from_cache(app, send) -> bool:
    """Send twice; tell whether the second was answered from the cache."""
    cache = app_state(app).list_cache
    send(app.test_client())
    if cache is None:
        return False
    hits = cache.hits
    send(app.test_client())
    return cache.hits == hits + 1


@pytest.fixture
def stored(store_settings):
    """An app on a store holding three comments, and the version after the first."""
    app = create_app({**store_settings, **NO_RATE_LIMIT})
    client = app.test_client()
    client.post("/api/comments", json={"author": "Author", "text": "Comment *0*"})
    first = client.get("/api/comments").headers["Comments-Version"]
    for number in range(1, 3):
        client.post("/api/comments", json={"author": f"Author {number}", "text": f"Comment *{number}*"})
    top = client.post("/api/comments?thread=/a", json={"author": "On a", "text": "top"}).get_json()
    client.post("/api/comments?thread=/a", json={"author": "On a", "text": "reply", "parent": top[-1]["id"]})
    yield app, first
    app_state(app).store.close()


CODINGS = [None, "gzip", "br", "gzip, deflate, br, zstd", "identity", "br;q=0, gzip;q=0.5", "*", "x-gzip"]
QUERIES = [
    "",
    "since=current",
    "since=first",
    "since=0-0",
    "since=a%2Db",
    "since=x&since=y",
    "limit=2",
    "limit=1&before=3",
    "limit=0",
    "_=123",
    "thread=/a",
    "thread=/%61",
    "thread=/a&limit=1",
    "thread=/b",
    "thread=a",
    "thread=/a&thread=/b",
]
HOSTS = ["localhost", "127.0.0.1:8000", "[::1]:5000", "comments.localhost", "LOCALHOST", "evil.example"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(["/api/comments", "/comments.json"]),
    query=st.sampled_from(QUERIES),
    coding=st.sampled_from(CODINGS),
    condition=st.sampled_from(["none", "current", "weak", "listed", "star", "stale", "garbage"]),
    asked_coding=st.sampled_from(CODINGS),
    host=st.sampled_from(HOSTS),
)
def test_the_cache_answers_what_flask_answers(stored, path, query, coding, condition, asked_coding, host):
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
    cache = cache_of(store_app)
    client.get(url, headers=headers)
    hits = cache.hits
    cached = client.get(url, headers=headers)
    # Only the list's own answers at the current version are kept: a 200 or a 304.
    assert (cache.hits == hits + 1) is (cached.status_code in (200, 304))
    cache.clear()
    flask = client.get(url, headers=headers)
    assert seen(cached) == seen(flask)


def test_the_cache_follows_each_new_comment(stored):
    store_app, _first = stored
    client = store_app.test_client()
    before = client.get("/api/comments")
    client.get("/api/comments")
    client.post("/api/comments", json={"author": "Later", "text": "a new comment"})
    held = {"If-None-Match": before.headers["ETag"]}
    cached, flask = from_cache_and_flask(store_app, "/api/comments", held)
    assert cached.status_code == 200
    assert b"a new comment" in cached.get_data()
    assert seen(cached) == seen(flask)


def test_each_threads_answer_is_kept_under_that_threads_version(stored):
    store_app, _first = stored
    client = store_app.test_client()
    cache = cache_of(store_app)
    client.get("/api/comments?thread=/a")
    hits = cache.hits
    client.get("/api/comments?thread=/a")
    assert cache.hits == hits + 1
    client.post("/api/comments?thread=/a", json={"author": "Later", "text": "new on a"})
    cached, flask = from_cache_and_flask(store_app, "/api/comments?thread=/a", {})
    assert b"new on a" in cached.get_data()
    assert seen(cached) == seen(flask)


def test_a_write_by_another_process_is_seen_at_once(comments_file, tmp_path):
    app = create_app({"COMMENTS_FILE": str(comments_file), **NO_RATE_LIMIT})
    other = create_app({"COMMENTS_FILE": str(comments_file), **NO_RATE_LIMIT})
    client = app.test_client()
    held = client.get("/api/comments").headers["ETag"]
    assert client.get("/api/comments", headers={"If-None-Match": held}).status_code == 304
    other.test_client().post("/api/comments", json={"author": "a", "text": "from another worker"})
    fresh = client.get("/api/comments", headers={"If-None-Match": held})
    assert fresh.status_code == 200
    assert fresh.get_json()[0]["text"] == "from another worker"


# Requests the cache never answers: other methods and paths, logins.
NEVER_CACHED = {
    "HEAD": lambda c: c.head("/api/comments"),
    "POST": lambda c: c.post("/api/comments", json={"author": "a", "text": "b"}),
    "another path": lambda c: c.get("/api/comments/1"),
    "a trailing slash": lambda c: c.get("/api/comments/"),
    "a foreign host": lambda c: c.get("/api/comments", headers={"Host": "evil.example"}),
    "a malformed host": lambda c: c.get("/api/comments", headers={"Host": "local host"}),
    "a bad query": lambda c: c.get("/api/comments?limit=x"),
    "credentials": lambda c: c.get("/api/comments", headers={"Authorization": "Basic YTpi"}),
}


@pytest.mark.parametrize("send", NEVER_CACHED.values(), ids=NEVER_CACHED.keys())
def test_other_requests_are_not_answered_from_the_cache(app, send):
    assert not answered_from_cache(app, send)


def test_a_refused_host_is_refused_every_time(app):
    for _ in range(3):
        response = app.test_client().get("/api/comments", headers={"Host": "evil.example"})
        assert response.status_code == 400


HASH = generate_password_hash("s3cret")
USERS = {"COMMENTS_AUTH_USERS": f"reader:{HASH}"}


@pytest.mark.parametrize(
    ("config", "cached"),
    [
        ({"COMMENTS_AUTH_USERS": USERS["COMMENTS_AUTH_USERS"]}, False),
        ({"COMMENTS_AUTH_USERS": USERS["COMMENTS_AUTH_USERS"], "COMMENTS_AUTH_SCOPE": "write"}, True),
        ({"COMMENTS_CORS_ORIGINS": "https://blog.example"}, False),
        ({"COMMENTS_ALLOWED_HOSTS": "comments.example"}, True),
        ({"COMMENTS_TRUSTED_PROXIES": "1"}, True),
    ],
    ids=["reads need a login", "only writes need a login", "CORS", "allowed hosts", "behind a proxy"],
)
def test_the_settings_decide_whether_there_is_a_cache(comments_file, config, cached):
    app = create_app({"COMMENTS_FILE": str(comments_file), **config})
    assert (app_state(app).list_cache is not None) is cached
    host = {"Host": "comments.example"} if "COMMENTS_ALLOWED_HOSTS" in config else {}
    assert answered_from_cache(app, lambda client: client.get("/api/comments", headers=host)) is cached


def test_reads_behind_a_login_are_refused_without_one(comments_file):
    app = create_app({"COMMENTS_FILE": str(comments_file), **USERS})
    for _ in range(2):
        assert app.test_client().get("/api/comments").status_code == 401


def test_with_only_writes_behind_a_login_a_reader_with_credentials_gets_what_flask_gives(comments_file):
    app = create_app(
        {"COMMENTS_FILE": str(comments_file), **USERS, "COMMENTS_AUTH_SCOPE": "write", **NO_RATE_LIMIT}
    )
    login = {"Authorization": "Basic cmVhZGVyOnMzY3JldA=="}
    app.test_client().post("/api/comments", json={"author": "a", "text": "b"}, headers=login)
    anonymous, flask = from_cache_and_flask(app, "/api/comments")
    assert seen(anonymous) == seen(flask)
    with_login = app.test_client().get("/api/comments", headers=login)
    assert seen(with_login) == seen(flask)


def test_auth_attached_after_create_app_is_enforced(app):
    # As the original circuits server composed Auth onto a server it had built.
    auth.protect(app, users={"reader": HASH})
    for _ in range(2):
        response = app.test_client().get("/api/comments")
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic")
    login = {"Authorization": "Basic cmVhZGVyOnMzY3JldA=="}
    assert app.test_client().get("/api/comments", headers=login).status_code == 200
    assert app.test_client().get("/api/comments").status_code == 401


def test_a_hook_added_after_the_first_request_is_refused_and_the_answers_stay_flasks(app):
    cached, _ = from_cache_and_flask(app, "/api/comments")
    # Flask refuses to change an app that has answered a request: the kept answers stay right.
    with pytest.raises(AssertionError, match="first request"):
        auth.protect(app, users={"reader": HASH})
    again, flask = from_cache_and_flask(app, "/api/comments")
    assert seen(again) == seen(flask) == seen(cached)


def test_a_hook_added_before_the_first_request_shapes_every_answer(app):
    @app.after_request
    def mark(response):
        response.headers["X-Marked"] = "yes"
        return response

    cached, flask = from_cache_and_flask(app, "/api/comments")
    assert cached.headers["X-Marked"] == "yes"
    assert seen(cached) == seen(flask)


def test_an_answer_that_varies_on_more_is_not_kept(app):
    @app.after_request
    def vary(response):
        response.vary.add("Cookie")
        return response

    assert not answered_from_cache(app, lambda client: client.get("/api/comments"))


@pytest.mark.outside_contract
def test_a_view_replaced_before_the_first_request_answers(app):
    app.view_functions["comments.list_comments"] = lambda: ("replaced", 200)
    assert app.test_client().get("/api/comments").get_data() == b"replaced"
    assert not answered_from_cache(app, lambda client: client.get("/api/comments"))


def test_behind_a_proxy_the_forwarded_scheme_is_seen_as_flask_sees_it(comments_file):
    app = create_app({"COMMENTS_FILE": str(comments_file), "COMMENTS_TRUSTED_PROXIES": "1"})
    headers = {"Host": "comments.example:443", "X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.1"}
    cached, flask = from_cache_and_flask(app, "/api/comments", headers)
    assert seen(cached) == seen(flask)


def test_a_store_that_fails_is_answered_by_flask(app, comments_file):
    comments_file.write_bytes(b'[{"id": 1, "author": "a", "text": "b"},')
    for _ in range(2):
        response = app.test_client().get("/api/comments")
        assert response.status_code == 503
    assert cache_of(app).hits == 0


def test_a_store_replaced_after_create_app_is_read(app, tmp_path):
    app.test_client().post("/api/comments", json={"author": "a", "text": "in the first store"})
    app.test_client().get("/api/comments")
    other = create_app({"COMMENTS_FILE": str(tmp_path / "other.json")})
    app_state(app).store = app_state(other).store
    assert app.test_client().get("/api/comments").get_json() == []


def test_the_cache_is_bounded_in_bytes(app):
    client = app.test_client()
    for number in range(20):
        client.post("/api/comments", json={"author": "a", "text": "x" * 5000 + str(number)})
    cache = cache_of(app)
    cache.max_bytes = 200_000
    for coding in ("identity", "gzip", "br"):
        for query in ("", "limit=5", "limit=10", "limit=15"):
            client.get(f"/api/comments?{query}", headers={"Accept-Encoding": coding})
    assert 0 < cache._bytes <= cache.max_bytes


def test_an_answer_is_kept_only_under_the_version_it_shows(app, monkeypatch):
    client = app.test_client()
    client.post("/api/comments", json={"author": "a", "text": "first"})
    stale = client.get("/api/comments").headers["Comments-Version"]
    cache_of(app).clear()
    client.post("/api/comments", json={"author": "a", "text": "second"})
    store = app_state(app).store
    real_etag, calls = store.etag, []

    def etag_read_before_the_write(thread=""):
        # The cache reads the version before a write lands; the handler, after it.
        calls.append(1)
        return stale if len(calls) == 1 else real_etag(thread)

    monkeypatch.setattr(store, "etag", etag_read_before_the_write)
    answer = client.get("/api/comments")
    assert answer.headers["Comments-Version"] != stale
    kept = {key[-1]: entry for key, entry in cache_of(app)._kept.items()}
    assert stale not in kept, "the newer list was kept under the version read before it"


COUNTED = [("thread", "/a"), ("thread", "/b"), ("thread", "/%7ec"), ("thread", "/a")]


def test_counts_are_answered_from_the_cache_as_flask_answers_them(stored):
    store_app, _first = stored
    client = store_app.test_client()
    cache = cache_of(store_app)
    first = client.get("/api/counts", query_string=COUNTED)
    # Kept once the threads' versions are known (PostgreSQL: once its listener listens).
    assert eventually(lambda: client.get("/api/counts", query_string=COUNTED) and cache.hits > 0, True)
    hits = cache.hits
    cached = client.get("/api/counts", query_string=COUNTED)
    assert cache.hits == hits + 1
    held = {"If-None-Match": first.headers["ETag"]}
    client.get("/api/counts", query_string=COUNTED, headers=held)
    hits = cache.hits
    not_modified = client.get("/api/counts", query_string=COUNTED, headers=held)
    assert not_modified.status_code == 304 and cache.hits == hits + 1
    cache.clear()
    flask = client.get("/api/counts", query_string=COUNTED)
    assert seen(cached) == seen(flask)
    assert cached.get_json() == {"/a": 2, "/b": 0, "/%7ec": 0}


def test_a_kept_count_follows_a_write_in_a_counted_thread_by_another_process(store_settings):
    app = create_app({**store_settings, **NO_RATE_LIMIT})
    other = create_app({**store_settings, **NO_RATE_LIMIT})
    client = app.test_client()
    answer = client.get("/api/counts?thread=/a&thread=/b")
    assert answer.get_json() == {"/a": 0, "/b": 0}
    # Kept once the versions are known (PostgreSQL: once its listener listens).
    kept = eventually(lambda: client.get("/api/counts?thread=/a&thread=/b") and cache_of(app).hits > 0, True)
    assert kept
    other.test_client().post("/api/comments?thread=/b", json={"author": "a", "text": "from another worker"})
    # Another worker of this instance (the file), or another instance (PostgreSQL's NOTIFY).
    counted = eventually(lambda: client.get("/api/counts?thread=/a&thread=/b").get_json(), {"/a": 0, "/b": 1})
    assert counted == {"/a": 0, "/b": 1}
    held = {"If-None-Match": answer.headers["ETag"]}
    assert client.get("/api/counts?thread=/a&thread=/b", headers=held).status_code == 200
    app_state(app).store.close()
    app_state(other).store.close()
