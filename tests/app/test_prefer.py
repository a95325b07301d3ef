"""POST with Prefer: return=minimal (RFC 7240): the new comment alone; the list otherwise."""

from __future__ import annotations

import json

import pytest
import requests

from .test_auth_and_origins import make_client

MINIMAL = [
    ["return=minimal"],
    ["Return = MINIMAL"],
    ['return="minimal"'],
    ["respond-async, return=minimal; foo=bar"],
    ["handling=lenient", "return=minimal"],
]
NOT_MINIMAL = [
    [],
    ["return=representation"],
    ["return=minimalist"],
    ["respond-async"],
    ["return=representation, return=minimal"],  # the first of a preference counts
]


def post(client, prefer: list[str], **kwargs):
    headers = [("Prefer", value) for value in prefer]
    return client.post("/api/comments", json={"author": "Ann", "text": "Hi"}, headers=headers, **kwargs)


@pytest.mark.parametrize("prefer", MINIMAL, ids=" | ".join)
def test_return_minimal_answers_the_new_comment_alone(client, comments_file, prefer):
    client.post("/api/comments", json={"author": "Bob", "text": "First"})
    response = post(client, prefer)
    assert response.status_code == 201
    comment = response.get_json()
    assert (comment["id"], comment["author"], comment["text"]) == (2, "Ann", "Hi")
    assert response.headers["Preference-Applied"] == "return=minimal"
    assert response.headers["Location"] == response.headers["Content-Location"] == "/api/comments/2"
    assert "Prefer" in response.headers["Vary"]
    assert "ETag" not in response.headers
    assert json.loads(comments_file.read_bytes())[-1] == comment


@pytest.mark.parametrize("prefer", NOT_MINIMAL, ids=lambda p: " | ".join(p) or "none")
def test_otherwise_the_whole_list_as_tutorial_front_ends_expect(client, prefer):
    client.post("/api/comments", json={"author": "Bob", "text": "First"})
    response = post(client, prefer)
    assert response.status_code == 201
    assert [c["text"] for c in response.get_json()] == ["First", "Hi"]
    assert "Preference-Applied" not in response.headers
    assert response.headers["Content-Location"] == "/api/comments"
    assert response.headers["Location"] == "/api/comments/2"


def test_a_refused_comment_is_refused_whatever_the_preference(client, comments_file):
    response = client.post("/api/comments", json={"author": "Ann"}, headers={"Prefer": "return=minimal"})
    assert response.status_code == 400
    assert "Preference-Applied" not in response.headers
    assert not comments_file.exists()


def test_a_page_of_a_listed_origin_may_ask_for_it(comments_file):
    client = make_client(comments_file, COMMENTS_CORS_ORIGINS="https://box.example")
    origin = {"Origin": "https://box.example"}
    preflight = client.options(
        "/api/comments",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, prefer",
        },
    )
    assert "prefer" in preflight.headers["Access-Control-Allow-Headers"].lower()
    response = client.post(
        "/api/comments", json={"author": "a", "text": "b"}, headers={**origin, "Prefer": "return=minimal"}
    )
    assert "Preference-Applied" in response.headers["Access-Control-Expose-Headers"]


def test_return_minimal_on_a_live_server(start_server, comments_file):
    server = start_server(workers=4, COMMENTS_FILE=str(comments_file))
    url = server.url + "/api/comments"
    for n in range(20):
        minimal = requests.post(
            url, data={"author": "Ann", "text": f"form {n}"}, headers={"Prefer": "return=minimal"}, timeout=10
        )
        assert minimal.status_code == 201
        assert minimal.headers["Preference-Applied"] == "return=minimal"
        assert minimal.json()["text"] == f"form {n}"
        assert minimal.headers["Location"] == f"/api/comments/{minimal.json()['id']}"
    full = requests.post(url, json={"author": "Bob", "text": "list"}, timeout=10)
    assert full.status_code == 201
    assert [c["text"] for c in full.json()] == [f"form {n}" for n in range(20)] + ["list"]
    assert "Preference-Applied" not in full.headers
