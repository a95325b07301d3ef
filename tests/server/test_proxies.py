"""COMMENTS_TRUSTED_PROXIES on a live gunicorn: X-Forwarded-* ignored by default, N hops trusted."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from comments_app import config

FORWARDED = {
    # A client's own claim first, then what the one trusted proxy appended.
    "X-Forwarded-For": "198.51.100.7, 203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "other.example",
    "X-Forwarded-Port": "8443",
}


def access_log_address(server, marker: str) -> str:
    """Return the client address gunicorn logged for the request whose URL holds marker."""
    deadline = time.monotonic() + 10
    while True:
        for line in server.output().splitlines():
            if marker in line and '"GET ' in line:
                return line.split(" ", 1)[0]
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.05)


def probe(server) -> tuple[str, str]:
    """Send forwarded headers through a slash redirect; return (Location, logged address)."""
    marker = uuid.uuid4().hex
    response = requests.get(
        f"{server.url}/api//comments?probe={marker}", headers=FORWARDED, allow_redirects=False, timeout=10
    )
    assert response.status_code == 308
    return response.headers["Location"], access_log_address(server, marker)


def test_forwarded_headers_are_ignored_by_default(start_server, comments_file):
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    location, address = probe(server)
    port = server.url.rsplit(":", 1)[1]
    assert location.startswith(f"http://127.0.0.1:{port}/api/comments?probe=")
    assert address == "127.0.0.1"


@pytest.mark.parametrize("settings", [{"COMMENTS_TRUSTED_PROXIES": "1"}, {"DYNO": "web.1"}])
def test_one_trusted_hop_takes_the_address_and_scheme_it_added(start_server, comments_file, settings):
    # The address is read from the access log, which DYNO turns off by default.
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file), COMMENTS_ACCESS_LOG="on", **settings)
    location, address = probe(server)
    port = server.url.rsplit(":", 1)[1]
    # The scheme is the proxy's; the host stays the Host header's, never X-Forwarded-Host/-Port.
    assert location.startswith(f"https://127.0.0.1:{port}/api/comments?probe=")
    assert address == "203.0.113.9"


def test_two_trusted_hops_take_the_second_address_from_the_right(start_server, comments_file):
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file), COMMENTS_TRUSTED_PROXIES="2")
    _location, address = probe(server)
    assert address == "198.51.100.7"


def test_dyno_defaults_to_one_hop_unless_set():
    assert config.load({}).trusted_proxies == 0
    assert config.load({"DYNO": "web.1"}).trusted_proxies == 1
    assert config.load({"DYNO": "web.1", "COMMENTS_TRUSTED_PROXIES": "0"}).trusted_proxies == 0
    assert config.load({"COMMENTS_TRUSTED_PROXIES": " 3 "}).trusted_proxies == 3


def test_the_address_a_proxy_appends_with_its_port_is_logged_and_seen_without_it(start_server, comments_file):
    server = start_server(COMMENTS_FILE=str(comments_file), COMMENTS_TRUSTED_PROXIES="1")
    for forwarded, address in [("203.0.113.9:51234", "203.0.113.9"), ("[2001:db8::3]:443", "2001:db8::3")]:
        marker = uuid.uuid4().hex
        response = requests.get(
            f"{server.url}/api/comments?probe={marker}", headers={"X-Forwarded-For": forwarded}, timeout=10
        )
        assert response.status_code == 200
        assert access_log_address(server, marker) == address
