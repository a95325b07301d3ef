"""COMMENTS_ALLOWED_HOSTS on a live gunicorn: which Host headers are answered, under each configuration."""

from __future__ import annotations

import json

import pytest
import requests
from werkzeug.security import generate_password_hash

from comments_app import config

LOOPBACK_AND_IPS = ["localhost", "LOCALHOST", "app.localhost", "127.0.0.1", "192.168.1.20", "[::1]"]
FOREIGN = ["evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "evil.example\\@127.0.0.1"]


def ask(server, host: str, method: str = "GET", path: str = "/api/comments", **kwargs) -> requests.Response:
    port = server.url.rsplit(":", 1)[1]
    headers = {"Host": f"{host}:{port}", **kwargs.pop("headers", {})}
    return requests.request(
        method, server.url + path, headers=headers, allow_redirects=False, timeout=10, **kwargs
    )


def assert_refused(response: requests.Response) -> None:
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert "COMMENTS_ALLOWED_HOSTS" in response.json()["error"]
    assert "Location" not in response.headers


def test_by_default_only_loopback_names_and_ip_literals_are_answered(start_server, comments_file):
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    for host in LOOPBACK_AND_IPS:
        assert ask(server, host).status_code == 200, host
        assert ask(server, host, path="/").status_code == 200, host
    for host in FOREIGN:
        assert_refused(ask(server, host))
        assert_refused(ask(server, host, path="/"))
        assert_refused(ask(server, host, path="/healthz"))
        # No redirect names the foreign host, and nothing is written for it.
        assert_refused(ask(server, host, path="/api//comments"))
        assert_refused(ask(server, host, "POST", data={"author": "a", "text": "rebound"}))
    assert not comments_file.exists()


@pytest.mark.parametrize("settings", [{}, {"COMMENTS_ALLOWED_HOSTS": "127.0.0.1"}])
def test_host_is_refused_before_auth(start_server, comments_file, settings):
    users = f"alice:{generate_password_hash('pw')}"
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file), COMMENTS_AUTH_USERS=users, **settings)
    assert ask(server, "127.0.0.1").status_code == 401
    assert_refused(ask(server, "evil.example"))


# On Heroku (DYNO set) the router routes by Host: a deploy works with no setting.
@pytest.mark.parametrize("settings", [{"COMMENTS_TRUSTED_PROXIES": "1"}, {"DYNO": "web.1"}])
def test_behind_a_trusted_proxy_any_host_is_answered(start_server, comments_file, settings):
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file), **settings)
    for host in ["box.example", "evil.example", *LOOPBACK_AND_IPS]:
        assert ask(server, host).status_code == 200, host
    assert (
        ask(server, "box.example", path="/api//comments")
        .headers["Location"]
        .startswith("http://box.example:")
    )


def test_listed_hosts_only(start_server, comments_file):
    server = start_server(
        workers=2,
        COMMENTS_FILE=str(comments_file),
        # 127.0.0.1 is listed so that the fixture's readiness check gets through.
        COMMENTS_ALLOWED_HOSTS="box.example, .comments.example, 127.0.0.1",
        COMMENTS_TRUSTED_PROXIES="1",
    )
    for host in ["box.example", "comments.example", "www.comments.example", "127.0.0.1"]:
        assert ask(server, host).status_code == 200, host
    posted = ask(server, "box.example", "POST", data={"author": "a", "text": "listed"})
    assert posted.status_code == 201
    for host in ["evil.example", "localhost", "[::1]", "box.example.evil.example", "xcomments.example"]:
        assert_refused(ask(server, host))
        assert_refused(ask(server, host, "POST", data={"author": "a", "text": "refused"}))
    assert [c["text"] for c in json.loads(comments_file.read_bytes())] == ["listed"]


def test_star_answers_any_host(start_server, comments_file):
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file), COMMENTS_ALLOWED_HOSTS="*")
    for host in ["evil.example", "localhost", "127.0.0.1"]:
        assert ask(server, host).status_code == 200, host


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("https://box.example", "not a host name"),
        ("box.example:8000", "not a host name"),
        ("box.example/path", "not a host name"),
        ("*.box.example", "not a host name"),
        ("[::1]", "IPv6"),
        ("*, box.example", "* alone"),
    ],
)
def test_bad_hosts_setting_names_itself(value, words):
    with pytest.raises(config.ConfigError) as caught:
        config.load({"COMMENTS_ALLOWED_HOSTS": value})
    assert str(caught.value).startswith("COMMENTS_ALLOWED_HOSTS: ")
    assert words in str(caught.value)


def test_hosts_setting_is_normalised():
    hosts = config.load({"COMMENTS_ALLOWED_HOSTS": "Box.Example, .bücher.example,,"}).allowed_hosts
    assert hosts == ("box.example", ".xn--bcher-kva.example")
