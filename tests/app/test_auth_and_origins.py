"""Basic auth attached from configuration, CSRF refusal and CORS."""

from __future__ import annotations

import base64

import pytest
from flask import Blueprint
from werkzeug.security import generate_password_hash

from comments_app import create_app
from comments_app.config import ConfigError
from comments_app.web.guards import auth

HASH = generate_password_hash("s3cret")


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def make_client(comments_file, **settings):
    return create_app({"COMMENTS_FILE": str(comments_file), **settings}).test_client()


@pytest.mark.parametrize(("scope", "get_needs_login"), [("all", True), ("write", False)])
def test_auth_scope(comments_file, scope, get_needs_login):
    client = make_client(comments_file, COMMENTS_AUTH_USERS=f"alice:{HASH}", COMMENTS_AUTH_SCOPE=scope)
    anonymous_get = client.get("/api/comments")
    assert (anonymous_get.status_code == 401) is get_needs_login
    denied = client.post("/api/comments", data={"author": "a", "text": "b"})
    assert denied.status_code == 401
    assert denied.headers["WWW-Authenticate"] == 'Basic realm="Comments"'
    assert denied.headers["Content-Type"] == "application/json"
    assert "password" in denied.get_json()["error"]
    wrong = client.post("/api/comments", data={"author": "a", "text": "b"}, headers=basic("alice", "nope"))
    assert wrong.status_code == 401
    assert not comments_file.exists()
    allowed = client.post(
        "/api/comments", data={"author": "a", "text": "b"}, headers=basic("alice", "s3cret")
    )
    assert allowed.status_code == 201
    assert client.get("/api/comments", headers=basic("alice", "s3cret")).status_code == 200


def test_a_login_for_reading_guards_the_event_stream_too(comments_file):
    client = make_client(comments_file, COMMENTS_AUTH_USERS=f"alice:{HASH}", COMMENTS_AUTH_SCOPE="all")
    refused = client.get("/api/comments/events?thread=/a")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == 'Basic realm="Comments"'


# The contract check reads whole bodies, and a stream's never ends.
@pytest.mark.outside_contract
def test_with_the_login_the_event_stream_opens(comments_file):
    client = make_client(comments_file, COMMENTS_AUTH_USERS=f"alice:{HASH}", COMMENTS_AUTH_SCOPE="all")
    # Only its head is read.
    opened = client.get("/api/comments/events?thread=/a", headers=basic("alice", "s3cret"), buffered=False)
    assert opened.status_code == 200
    assert opened.headers["Content-Type"] == "text/event-stream"
    assert next(opened.response).startswith(b"retry: 3000\n")
    opened.close()


def test_auth_off_by_default(client):
    assert client.post("/api/comments", data={"author": "a", "text": "b"}).status_code == 201


def test_page_and_health_stay_public_with_auth(comments_file):
    client = make_client(comments_file, COMMENTS_AUTH_USERS=f"alice:{HASH}")
    assert client.get("/").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/comments.json").status_code == 401


def test_protect_attaches_auth_to_any_blueprint(comments_file):
    app = create_app({"COMMENTS_FILE": str(comments_file)})
    extra = Blueprint("extra", __name__)
    extra.add_url_rule("/extra", "extra", lambda: {"ok": True})
    app.register_blueprint(extra)
    auth.protect(app, "extra", users={"bob": HASH})
    client = app.test_client()
    assert client.get("/extra").status_code == 401
    assert client.get("/extra", headers=basic("bob", "s3cret")).get_json() == {"ok": True}
    # The comments blueprint was not protected.
    assert client.get("/api/comments").status_code == 200


def test_auth_does_not_leak_between_apps(comments_file):
    make_client(comments_file, COMMENTS_AUTH_USERS=f"alice:{HASH}")
    assert make_client(comments_file).get("/api/comments").status_code == 200


def test_hash_password_command(comments_file):
    app = create_app({"COMMENTS_FILE": str(comments_file)})
    result = app.test_cli_runner().invoke(args=["hash-password"], input="pw one\npw one\n")
    assert result.exit_code == 0, result.output
    pw_hash = result.output.strip().splitlines()[-1]
    client = make_client(comments_file, COMMENTS_AUTH_USERS=f"carol:{pw_hash}")
    assert client.get("/api/comments", headers=basic("carol", "pw one")).status_code == 200
    assert client.get("/api/comments", headers=basic("carol", "pw two")).status_code == 401


def test_hash_password_refuses_a_mismatch(comments_file):
    app = create_app({"COMMENTS_FILE": str(comments_file)})
    result = app.test_cli_runner().invoke(args=["hash-password"], input="one\ntwo\n")
    assert "$" not in result.output


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://localhost:5173", "Sec-Fetch-Site": "same-site"},
    ],
)
def test_cross_site_writes_are_refused(client, comments_file, headers):
    response = client.post("/api/comments", data={"author": "a", "text": "b"}, headers=headers)
    assert response.status_code == 403
    assert "error" in response.get_json()
    assert not comments_file.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Origin": "http://localhost"},
        {"Origin": "https://localhost", "Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "same-origin"},
    ],
)
def test_same_origin_and_curl_writes_pass(client, headers):
    response = client.post("/api/comments", data={"author": "a", "text": "b"}, headers=headers)
    assert response.status_code == 201


def test_cors_is_off_by_default(client):
    response = client.get("/api/comments", headers={"Origin": "http://localhost:5173"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_listed_origin_can_read_and_write(comments_file):
    client = make_client(comments_file, COMMENTS_CORS_ORIGINS="http://localhost:5173, https://box.example")
    origin = {"Origin": "http://localhost:5173"}
    preflight = client.options(
        "/api/comments",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    posted = client.post(
        "/api/comments", json={"author": "a", "text": "b"}, headers={**origin, "Sec-Fetch-Site": "cross-site"}
    )
    assert posted.status_code == 201
    assert posted.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert "ETag" in posted.headers["Access-Control-Expose-Headers"]
    other = client.post(
        "/api/comments", json={"author": "a", "text": "b"}, headers={"Origin": "https://other.example"}
    )
    assert other.status_code == 403


def test_cors_star_is_read_only(comments_file):
    client = make_client(comments_file, COMMENTS_CORS_ORIGINS="*")
    read = client.get("/api/comments", headers={"Origin": "https://anywhere.example"})
    assert read.headers["Access-Control-Allow-Origin"] == "*"
    write = client.post(
        "/api/comments", json={"author": "a", "text": "b"}, headers={"Origin": "https://anywhere.example"}
    )
    assert write.status_code == 403
    assert not comments_file.exists()


def test_preflight_passes_without_credentials_when_auth_is_on(comments_file):
    client = make_client(
        comments_file, COMMENTS_CORS_ORIGINS="http://localhost:5173", COMMENTS_AUTH_USERS=f"alice:{HASH}"
    )
    preflight = client.options(
        "/api/comments", headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Credentials"] == "true"


@pytest.mark.parametrize(
    "setting", ["http://localhost:5173, https://box.example", "https://box.example", "*"]
)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "https://other.example"}, {"Origin": "null"}],
    ids=["no origin", "other origin", "null origin"],
)
def test_cors_headers_only_for_an_allowed_origin(comments_file, setting, headers):
    client = make_client(comments_file, COMMENTS_CORS_ORIGINS=setting)
    for response in (
        client.get("/api/comments", headers=headers),
        client.get("/comments.json", headers=headers),
        client.options("/api/comments", headers={**headers, "Access-Control-Request-Method": "POST"}),
    ):
        if setting == "*" and "Origin" in headers:  # any page may read
            assert response.headers["Access-Control-Allow-Origin"] == "*"
            continue
        assert not [name for name, _ in response.headers if name.startswith("Access-Control-")]
        assert "Origin" in response.headers["Vary"]


def test_cors_allowed_origin_is_echoed_and_varies(comments_file):
    client = make_client(comments_file, COMMENTS_CORS_ORIGINS="https://box.example")
    response = client.get("/api/comments", headers={"Origin": "https://box.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://box.example"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response.headers["Vary"]


def access_control(response) -> dict[str, str]:
    return {name: value for name, value in response.headers if name.startswith("Access-Control-")}


@pytest.mark.parametrize("setting", ["https://box.example", "*"])
def test_moderation_routes_never_answer_cors(comments_file, setting):
    client = make_client(
        comments_file,
        COMMENTS_CORS_ORIGINS=setting,
        COMMENTS_ADMIN_USERS=f"mod:{HASH}",
        COMMENTS_RATE_LIMIT="off",
    )
    origin = {"Origin": "https://box.example"}
    client.post("/api/comments", json={"author": "a", "text": "b"})
    listed = client.get("/api/moderation/comments", headers={**origin, **basic("mod", "s3cret")})
    assert listed.status_code == 200 and len(listed.get_json()) == 1
    assert access_control(listed) == {}
    preflight = client.options(
        "/api/moderation/comments",
        headers={
            **origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert access_control(preflight) == {}
    # The public list still answers the same origin.
    assert "Access-Control-Allow-Origin" in client.get("/api/comments", headers=origin).headers


@pytest.mark.parametrize(
    ("setting", "origin", "allowed"),
    [
        ("http://blog.example:8080", "HTTP://BLOG.EXAMPLE:8080", True),
        ("http://blog.example", "HTTP://BLOG.EXAMPLE:80", True),
        ("http://blog.example:80", "http://blog.example", True),
        ("https://blog.example:443/", "https://blog.example", True),
        ("HTTPS://Blog.Example", "https://blog.example", True),
        ("http://blog.example", "https://blog.example", False),
        ("http://blog.example", "http://blog.example:8080", False),
        ("http://blog.example:8080", "http://blog.example:80", False),
        ("https://blog.example", "https://blog.example:80", False),
        ("http://blog.example", "http://user@blog.example", False),
        ("http://blog.example", "http://blog.example:http", False),
    ],
)
def test_origins_compare_in_one_normal_form_for_reads_and_writes(comments_file, setting, origin, allowed):
    client = make_client(comments_file, COMMENTS_CORS_ORIGINS=setting, COMMENTS_RATE_LIMIT="off")
    headers = {"Origin": origin}
    read = client.get("/api/comments", headers=headers)
    preflight = client.options("/api/comments", headers={**headers, "Access-Control-Request-Method": "POST"})
    write = client.post("/api/comments", json={"author": "a", "text": "b"}, headers=headers)
    assert write.status_code == (201 if allowed else 403)
    for response in (read, preflight, write):
        assert ("Access-Control-Allow-Origin" in response.headers) is allowed
        assert ("Access-Control-Allow-Credentials" in response.headers) is allowed


def test_cors_origins_with_a_bad_port_stop_the_start(comments_file):
    with pytest.raises(ConfigError, match="COMMENTS_CORS_ORIGINS"):
        create_app(
            {"COMMENTS_FILE": str(comments_file), "COMMENTS_CORS_ORIGINS": "http://blog.example:99999"}
        )
