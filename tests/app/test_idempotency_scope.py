"""Idempotency-Key replays: the list as it is now in the repeat's own coding, keys scoped
to the client that sent them, and every repeat counted by the rate limit."""

from __future__ import annotations

import gzip

import pytest
from werkzeug.security import generate_password_hash

from comments_app import create_app

from ..conftest import NO_RATE_LIMIT
from .test_auth_and_origins import basic

ANN = {"author": "Ann", "text": "Only once"}
VICTIM = "198.51.100.7"
OTHER = "203.0.113.9"


def post(client, key: str, body: dict = ANN, address: str | None = None, **headers: str):
    headers = {"Idempotency-Key": key, **{name.replace("_", "-"): value for name, value in headers.items()}}
    if address is not None:
        headers["X-Forwarded-For"] = address
    return client.post("/api/comments", json=body, headers=headers)


def test_a_repeat_answers_the_list_as_it_is_now_in_its_own_coding(store_settings):
    client = create_app({**store_settings, **NO_RATE_LIMIT}).test_client()
    first = post(client, "k-1", Accept_Encoding="br")
    assert first.status_code == 201 and first.headers["Content-Encoding"] == "br"
    client.post("/api/comments", json={"author": "Bob", "text": "Later"})
    now = client.get("/api/comments")

    plain = post(client, "k-1")
    assert plain.status_code == 201
    assert plain.headers["Idempotent-Replayed"] == "true"
    # A client that accepts no coding gets none, and the list as the store holds it now.
    assert "Content-Encoding" not in plain.headers
    assert plain.data == now.data
    assert [c["text"] for c in plain.get_json()] == ["Only once", "Later"]
    assert plain.headers["ETag"] == now.headers["ETag"]
    assert plain.headers["Comments-Version"] == now.headers["Comments-Version"]
    for name in ("Location", "Content-Location", "Comment-Token"):
        assert plain.headers[name] == first.headers[name]

    zipped = post(client, "k-1", Accept_Encoding="gzip")
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == now.data
    assert zipped.headers["ETag"] == f'"{now.headers["Comments-Version"]}-gzip"'
    assert zipped.headers["Comment-Token"] == first.headers["Comment-Token"]


@pytest.mark.parametrize(
    ("settings", "headers", "status"),
    [({}, {"Prefer": "return=minimal"}, 201), ({"COMMENTS_MODERATION": "pre"}, {}, 202)],
    ids=["return=minimal", "pending"],
)
def test_a_repeat_of_the_comment_alone_answers_that_comment(store_settings, settings, headers, status):
    client = create_app({**store_settings, **NO_RATE_LIMIT, **settings}).test_client()
    first = post(client, "k-1", **headers)
    assert first.status_code == status
    client.post("/api/comments", json={"author": "Bob", "text": "Later"})
    again = post(client, "k-1", **headers)
    assert again.status_code == status and again.headers["Idempotent-Replayed"] == "true"
    assert again.data == first.data
    for name in ("Location", "Content-Location", "Comment-Token", "Preference-Applied"):
        assert again.headers.get(name) == first.headers.get(name)


@pytest.fixture
def proxied(store_settings):
    """A client behind one trusted proxy: X-Forwarded-For names the client's address."""
    settings = {**store_settings, **NO_RATE_LIMIT, "COMMENTS_TRUSTED_PROXIES": "1"}
    return create_app(settings).test_client()


def test_another_client_with_the_same_key_gets_its_own_comment_not_the_victims(proxied):
    victim = post(proxied, "k-shared", address=VICTIM)
    assert victim.status_code == 201

    other = post(proxied, "k-shared", address=OTHER)
    assert other.status_code == 201
    assert "Idempotent-Replayed" not in other.headers
    assert other.headers["Comment-Token"] != victim.headers["Comment-Token"]
    assert other.headers["Location"] != victim.headers["Location"]
    assert [c["text"] for c in other.get_json()] == ["Only once", "Only once"]
    # The victim's own repeat is still answered from its record, token and all.
    again = post(proxied, "k-shared", address=VICTIM)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Comment-Token"] == victim.headers["Comment-Token"]


def test_another_client_learns_nothing_of_a_key_used_for_another_body(proxied):
    assert post(proxied, "k-shared", address=VICTIM).status_code == 201
    probe = post(proxied, "k-shared", {"author": "Eve", "text": "Was it used?"}, address=OTHER)
    assert probe.status_code == 201
    assert "Idempotent-Replayed" not in probe.headers
    # The client that used the key is still told.
    assert post(proxied, "k-shared", {"author": "Ann", "text": "Another"}, address=VICTIM).status_code == 422


def test_two_users_at_one_address_have_keys_of_their_own(comments_file):
    users = ",".join(f"{name}:{generate_password_hash('pw-' + name)}" for name in ("alice", "bob"))
    client = create_app(
        {"COMMENTS_FILE": str(comments_file), **NO_RATE_LIMIT, "COMMENTS_AUTH_USERS": users}
    ).test_client()
    alice = client.post(
        "/api/comments", json=ANN, headers={"Idempotency-Key": "k-1", **basic("alice", "pw-alice")}
    )
    bob = client.post("/api/comments", json=ANN, headers={"Idempotency-Key": "k-1", **basic("bob", "pw-bob")})
    assert alice.status_code == bob.status_code == 201
    assert "Idempotent-Replayed" not in bob.headers
    assert bob.headers["Comment-Token"] != alice.headers["Comment-Token"]
    again = client.post(
        "/api/comments", json=ANN, headers={"Idempotency-Key": "k-1", **basic("alice", "pw-alice")}
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Comment-Token"] == alice.headers["Comment-Token"]


def test_repeats_count_against_the_clients_rate_limit(comments_file):
    client = create_app(
        {"COMMENTS_FILE": str(comments_file), "COMMENTS_RATE_LIMIT": "3/minute"}
    ).test_client()
    answers = [post(client, "k-1") for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert [a.headers.get("Idempotent-Replayed") for a in answers] == [None, "true", "true"]
    # The 4th POST, repeats included, is past the limit: the same key and a new one alike.
    assert post(client, "k-1").status_code == 429
    refused = post(client, "k-2", {"author": "Ann", "text": "Another"})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert len(client.get("/api/comments").get_json()) == 1
