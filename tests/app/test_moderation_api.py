"""Moderation and authors' edits through the Flask test client: tokens, roles, refusals."""

from __future__ import annotations

import base64
import json

import pytest
from werkzeug.security import generate_password_hash

from comments_app import create_app

from ..conftest import NO_RATE_LIMIT

MOD_HASH = generate_password_hash("mod-pw")
READER_HASH = generate_password_hash("reader-pw")


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


MOD = basic("mod", "mod-pw")
READER = basic("reader", "reader-pw")


@pytest.fixture
def make_client(comments_file):
    def make(**settings):
        settings = {
            "COMMENTS_FILE": str(comments_file),
            "COMMENTS_ADMIN_USERS": f"mod:{MOD_HASH}",
            # Authors' edits count against the rate limit: these tests edit more than a person would.
            **NO_RATE_LIMIT,
            **settings,
        }
        return create_app(settings).test_client()

    return make


@pytest.fixture
def client(make_client):
    return make_client()


def post(client, text="hello", author="Ann", **kwargs):
    response = client.post("/api/comments", json={"author": author, "text": text}, **kwargs)
    assert response.status_code in (201, 202), response.get_json()
    return response


def token_of(response) -> dict[str, str]:
    return {"Comment-Token": response.headers["Comment-Token"]}


def public_texts(client) -> list[str]:
    return [c["text"] for c in client.get("/api/comments").get_json()]


def test_the_author_edits_with_the_token_and_the_list_changes(client, comments_file):
    posted = post(client, "typo")
    etag = posted.headers["ETag"]
    edited = client.patch("/api/comments/1", json={"text": "fixed"}, headers=token_of(posted))
    assert edited.status_code == 200
    comment = edited.get_json()
    assert (comment["id"], comment["text"], comment["status"]) == (1, "fixed", "published")
    assert comment["edited"].endswith("Z")
    assert edited.headers["Content-Type"] == "application/json"
    listed = client.get("/api/comments")
    assert listed.get_json() == [{k: v for k, v in comment.items() if k != "status"}]
    assert listed.headers["ETag"] != etag
    assert client.get("/api/comments", headers={"If-None-Match": etag}).status_code == 200
    assert b"typo" not in comments_file.read_bytes()


def test_an_edit_is_validated_as_a_post(client):
    posted = post(client)
    for body, field in (
        ({"text": ""}, "text"),
        ({"author": "a\nb"}, "author"),
        ({"text": "x" * 10_001}, "text"),
        ({"author": "Admin\u200b"}, "author"),
    ):
        response = client.patch("/api/comments/1", json=body, headers=token_of(posted))
        assert response.status_code == 400
        assert field in response.get_json()["fields"]
    nothing = client.patch("/api/comments/1", json={"colour": "red"}, headers=token_of(posted))
    assert nothing.status_code == 400
    assert "nothing to change" in nothing.get_json()["error"]
    assert public_texts(client) == ["hello"]


def test_the_author_deletes_with_the_token(client, comments_file):
    posted = post(client, "regrettable words")
    post(client, "other")
    etag = client.get("/api/comments").headers["ETag"]
    deleted = client.delete("/api/comments/1", headers=token_of(posted))
    assert deleted.status_code == 204
    assert deleted.data == b""
    assert public_texts(client) == ["other"]
    assert client.get("/api/comments").headers["ETag"] != etag
    assert client.get("/api/comments/1").status_code == 404
    assert b"regrettable" not in comments_file.read_bytes()
    again = client.delete("/api/comments/1", headers=token_of(posted))
    assert again.status_code == 404
    assert "error" in again.get_json()


def test_no_token_and_no_login_is_401(client):
    post(client)
    for response in (client.patch("/api/comments/1", json={"text": "x"}), client.delete("/api/comments/1")):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Basic realm="Comments moderation"'
        assert "Comment-Token" in response.get_json()["error"]
    assert public_texts(client) == ["hello"]


def test_wrong_tokens_are_403(client, comments_file):
    first = post(client, "first")
    post(client, "second")
    forged = first.headers["Comment-Token"][:-2] + (
        "AA" if not first.headers["Comment-Token"].endswith("AA") else "BB"
    )
    foreign = create_app({"COMMENTS_FILE": str(comments_file.with_name("other.json"))}).test_client()
    foreign_token = post(foreign, "elsewhere").headers["Comment-Token"]
    cases = [
        ("/api/comments/2", first.headers["Comment-Token"], "another comment"),
        ("/api/comments/1", forged, "not valid"),
        ("/api/comments/1", foreign_token, "not valid"),
        ("/api/comments/1", "garbage", "not valid"),
    ]
    for path, token, words in cases:
        for response in (
            client.patch(path, json={"text": "x"}, headers={"Comment-Token": token}),
            client.delete(path, headers={"Comment-Token": token}),
        ):
            assert response.status_code == 403, (path, token)
            assert words in response.get_json()["error"]
    assert public_texts(client) == ["first", "second"]


def test_an_author_cannot_change_the_status(client):
    posted = post(client)
    for body in ({"status": "published"}, {"status": "hidden", "text": "x"}):
        response = client.patch("/api/comments/1", json=body, headers=token_of(posted))
        assert response.status_code == 403
        assert "moderator" in response.get_json()["error"]


def test_a_window_of_zero_lets_no_author_change_anything(make_client):
    client = make_client(COMMENTS_EDIT_WINDOW="0")
    posted = post(client)
    assert client.patch("/api/comments/1", json={"text": "x"}, headers=token_of(posted)).status_code == 403
    assert client.delete("/api/comments/1", headers=token_of(posted)).status_code == 403


def test_a_moderator_hides_publishes_edits_and_deletes(client):
    post(client, "one")
    post(client, "two")
    hidden = client.patch("/api/comments/1", json={"status": "hidden"}, headers=MOD)
    assert hidden.status_code == 200
    assert hidden.get_json()["status"] == "hidden"
    assert public_texts(client) == ["two"]
    assert client.get("/api/comments/1").status_code == 404
    listed = client.get("/api/moderation/comments", headers=MOD)
    assert listed.status_code == 200
    assert [(c["id"], c["status"]) for c in listed.get_json()] == [(1, "hidden"), (2, "published")]
    assert [
        c["id"] for c in client.get("/api/moderation/comments?status=hidden", headers=MOD).get_json()
    ] == [1]
    assert client.patch("/api/comments/1", json={"status": "published"}, headers=MOD).status_code == 200
    assert public_texts(client) == ["one", "two"]
    edited = client.patch("/api/comments/2", json={"text": "two, tidied"}, headers=MOD)
    assert edited.get_json()["text"] == "two, tidied"
    assert client.delete("/api/comments/2", headers=MOD).status_code == 204
    assert [c["id"] for c in client.get("/api/moderation/comments", headers=MOD).get_json()] == [1]


@pytest.mark.parametrize("status", ["deleted", "spam!", "", "PUBLISHED"])
def test_a_status_outside_the_list_is_400(client, status):
    post(client)
    response = client.patch("/api/comments/1", json={"status": status}, headers=MOD)
    assert response.status_code == 400
    assert "status" in response.get_json()["fields"]
    assert client.get("/api/moderation/comments?status=" + status, headers=MOD).status_code == 400


def test_unknown_ids_are_404_for_moderators(client):
    assert client.patch("/api/comments/5", json={"text": "x"}, headers=MOD).status_code == 404
    assert client.delete("/api/comments/5", headers=MOD).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/comments/00001",
        "/api/comments/%EF%BC%91",
        "/api/comments/%D9%A1",
        "/api/comments/+1",
        "/api/comments/99999999999999999999",
        # One past the largest id: 19 digits, like a real one.
        "/api/comments/9223372036854775808",
    ],
)
def test_one_url_per_comment(client, path):
    post(client)
    assert client.get("/api/comments/1").status_code == 200
    for response in (
        client.get(path),
        client.patch(path, json={"text": "x"}, headers=MOD),
        client.delete(path, headers=MOD),
    ):
        assert response.status_code == 404, path
        assert "error" in response.get_json()
    assert public_texts(client) == ["hello"]


def test_readers_and_moderators_are_told_apart(make_client):
    client = make_client(COMMENTS_AUTH_USERS=f"reader:{READER_HASH}")
    # A moderator may read and post where a login is needed.
    posted = post(client, headers=MOD)
    assert client.get("/api/comments", headers=MOD).status_code == 200
    assert client.get("/api/comments", headers=READER).status_code == 200
    # A reader's login is not a moderator's.
    for response in (
        client.get("/api/moderation/comments", headers=READER),
        client.get("/api/moderation/comments"),
        client.get("/api/moderation/comments", headers=basic("mod", "wrong")),
        client.patch("/api/comments/1", json={"status": "hidden"}, headers=READER),
    ):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Basic realm="Comments moderation"'
    # The author's token works together with the reader's login, not without it.
    assert client.patch("/api/comments/1", json={"text": "x"}, headers=token_of(posted)).status_code == 401
    assert (
        client.patch(
            "/api/comments/1", json={"text": "x"}, headers={**READER, **token_of(posted)}
        ).status_code
        == 200
    )
    assert client.get("/api/moderation/comments", headers=MOD).status_code == 200


def test_moderation_needs_a_login_even_without_auth_users(client):
    response = client.get("/api/moderation/comments")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/json"
    assert client.get("/api/moderation/comments", headers=MOD).headers["Cache-Control"] == "no-store"


def test_pre_moderation_holds_new_comments(make_client, comments_file):
    client = make_client(COMMENTS_MODERATION="pre")
    etag = client.get("/api/comments").headers["ETag"]
    response = client.post("/api/comments", json={"author": "Ann", "text": "wait for me"})
    assert response.status_code == 202
    comment = response.get_json()
    assert (comment["id"], comment["text"], comment["status"]) == (1, "wait for me", "pending")
    assert "Location" not in response.headers
    assert response.headers["Comment-Token"]
    assert public_texts(client) == []
    assert client.get("/api/comments/1").status_code == 404
    # The author may still fix it while it waits.
    fixed = client.patch("/api/comments/1", json={"text": "fixed"}, headers=token_of(response))
    assert fixed.get_json()["status"] == "pending"
    assert client.patch("/api/comments/1", json={"status": "published"}, headers=MOD).status_code == 200
    assert public_texts(client) == ["fixed"]
    assert client.get("/api/comments").headers["ETag"] != etag
    # An author's later edit goes back to the queue.
    again = client.patch(
        "/api/comments/1", json={"text": "changed after approval"}, headers=token_of(response)
    )
    assert again.get_json()["status"] == "pending"
    assert public_texts(client) == []


@pytest.mark.parametrize("method", ["patch", "delete"])
@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}])
def test_cross_site_changes_are_refused(client, method, headers):
    posted = post(client)
    response = getattr(client, method)(
        "/api/comments/1", json={"text": "x"}, headers={**token_of(posted), **headers}
    )
    assert response.status_code == 403
    assert public_texts(client) == ["hello"]


def test_cors_lets_listed_origins_change_comments_with_the_token(make_client):
    client = make_client(COMMENTS_CORS_ORIGINS="http://localhost:5173")
    origin = {"Origin": "http://localhost:5173"}
    posted = post(client, headers=origin)
    assert "Comment-Token" in posted.headers["Access-Control-Expose-Headers"]
    for method in ("PATCH", "DELETE"):
        preflight = client.options(
            "/api/comments/1",
            headers={
                **origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "content-type, comment-token",
            },
        )
        assert preflight.status_code == 200
        assert method in preflight.headers["Access-Control-Allow-Methods"]
        assert "comment-token" in preflight.headers["Access-Control-Allow-Headers"].lower()
    edited = client.patch("/api/comments/1", json={"text": "x"}, headers={**origin, **token_of(posted)})
    assert edited.status_code == 200
    assert edited.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"


def test_moderation_list_holds_every_comment_oldest_first(make_client, comments_file):
    client = make_client(COMMENTS_MODERATION="pre")
    for text in ("a", "b", "c"):
        client.post("/api/comments", json={"author": "x", "text": text})
    client.delete("/api/comments/2", headers=MOD)
    listed = client.get("/api/moderation/comments", headers=MOD).get_json()
    assert [(c["id"], c["text"], c["status"]) for c in listed] == [(1, "a", "pending"), (3, "c", "pending")]
    tombstone = json.loads(comments_file.read_bytes())[1]
    assert set(tombstone) == {"deleted", "id"} and tombstone["id"] == 2
