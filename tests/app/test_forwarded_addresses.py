"""Behind a trusted proxy, a forwarded address with a port or brackets is the address alone:
the rate limit, the login throttle and Idempotency-Key scoping count one client once."""

from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

from comments_app import create_app

from ..conftest import NO_RATE_LIMIT
from .test_auth_and_origins import basic

# The spellings of one client's address a proxy may append, the plain one last.
SPELLINGS = {
    "ipv4": ["1.1.1.1:1234", "1.1.1.1:1235", "1.1.1.1"],
    "ipv6": ["[2001:db8::3]:443", "[2001:db8::3]", "2001:db8::3"],
    "ipv4-mapped": ["[::ffff:1.1.1.1]:443", "::ffff:1.1.1.1", "1.1.1.1:80"],
}


def make_client(comments_file, **settings):
    settings = {"COMMENTS_FILE": str(comments_file), "COMMENTS_TRUSTED_PROXIES": "1", **settings}
    return create_app(settings).test_client()


def post(client, address: str, **headers: str):
    headers = {"X-Forwarded-For": address, **headers}
    return client.post("/api/comments", json={"author": "Ann", "text": "Hello"}, headers=headers)


@pytest.mark.parametrize("spellings", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_ports_and_brackets_share_one_rate_limit_bucket(comments_file, spellings):
    client = make_client(comments_file, COMMENTS_RATE_LIMIT="2/minute")
    first, second, third = (post(client, address) for address in spellings)
    assert [first.status_code, second.status_code] == [201, 201]
    assert third.status_code == 429 and "Retry-After" in third.headers
    # Another client keeps a bucket of its own.
    assert post(client, "198.51.100.7:1234").status_code == 201


@pytest.mark.parametrize("address", ["unknown", "_hidden", "1.1.1.1:port", "[not-an-ip]:80"])
def test_a_forwarded_value_that_is_not_an_address_is_a_bucket_of_its_own(comments_file, address):
    client = make_client(comments_file, COMMENTS_RATE_LIMIT="2/minute")
    assert [post(client, address).status_code for _ in range(3)] == [201, 201, 429]
    assert post(client, "1.1.1.1").status_code == 201


def test_ports_share_one_login_throttle(comments_file):
    client = make_client(
        comments_file,
        **NO_RATE_LIMIT,
        COMMENTS_AUTH_USERS=f"alice:{generate_password_hash('right')}",
        COMMENTS_AUTH_SCOPE="write",
        COMMENTS_LOGIN_LIMIT="2/minute",
    )
    wrong = basic("alice", "wrong")
    tries = [post(client, f"1.1.1.1:{port}", **wrong).status_code for port in (1001, 1002, 1003)]
    assert tries == [401, 401, 429]
    # Even the right password waits: the address is throttled, whatever port it comes from.
    assert post(client, "[::ffff:1.1.1.1]:1004", **basic("alice", "right")).status_code == 429
    assert post(client, "198.51.100.7:1001", **basic("alice", "right")).status_code == 201


def test_ports_share_one_idempotency_key_scope(comments_file):
    client = make_client(comments_file, **NO_RATE_LIMIT)
    first = post(client, "[2001:db8::3]:443", **{"Idempotency-Key": "k-1"})
    again = post(client, "[2001:db8::3]:8443", **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Comment-Token"] == first.headers["Comment-Token"]
    assert len(client.get("/api/comments").get_json()) == 1
