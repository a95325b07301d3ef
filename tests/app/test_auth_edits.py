"""An author's edit behind Basic auth: the reader's password is checked once, never
counted as a failed moderator login (issue #24, item 1)."""

from __future__ import annotations

import base64

import pytest
from werkzeug.security import generate_password_hash

from comments_app import create_app
from comments_app.web.guards import auth


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """Record the method of every password hash the auth guard computes (werkzeug's, counted)."""
    checked: list[str] = []
    check = auth.check_password_hash

    def counted(pw_hash: str, password: str) -> bool:
        checked.append(pw_hash.split("$", 1)[0])  # the method only: no hash in a test's output
        return check(pw_hash, password)

    monkeypatch.setattr(auth, "check_password_hash", counted)
    return checked


READERS = {"alice": "alice-pw"}
MODERATORS = {"mod": "mod-pw"}


def hashed(users: dict[str, str]) -> dict[str, str]:
    # Hashes made per app, not once per module: the guard remembers passwords that passed,
    # and these tests count the hashes it computes from a cold start.
    return {name: generate_password_hash(password) for name, password in users.items()}


def make_client(comments_file, scope: str, readers=READERS, moderators=MODERATORS):
    settings = {
        "COMMENTS_FILE": str(comments_file),
        "COMMENTS_AUTH_USERS": hashed(readers),
        "COMMENTS_AUTH_SCOPE": scope,
        "COMMENTS_ADMIN_USERS": hashed(moderators),
        # The comments' rate limit off; the login limit (COMMENTS_LOGIN_LIMIT) is the default.
        "COMMENTS_RATE_LIMIT": "off",
    }
    return create_app(settings).test_client()


@pytest.mark.parametrize("scope", ["all", "write"])
def test_an_authors_edits_are_not_failed_logins(comments_file, hashes, scope):
    client = make_client(comments_file, scope)
    alice, mod = basic("alice", "alice-pw"), basic("mod", "mod-pw")
    posted = client.post("/api/comments", json={"author": "Alice", "text": "typo"}, headers=alice)
    assert posted.status_code == 201, posted.get_json()
    edit_headers = {**alice, "Comment-Token": posted.headers["Comment-Token"]}
    path = posted.headers["Location"]

    hashes.clear()
    for n in range(7):
        edited = client.patch(path, json={"text": f"edit {n}"}, headers=edit_headers)
        assert edited.status_code == 200, (n, edited.status_code, edited.get_json())
    # Her password was proven when she posted; her edits prove it from memory, and whether
    # she is a moderator is no second login to hash.
    assert len(hashes) <= 1, hashes

    # Her edits counted no failed login: the moderator at the same address gets in.
    assert client.get("/api/moderation/comments", headers=mod).status_code == 200


@pytest.mark.parametrize("scope", ["all", "write"])
def test_wrong_passwords_are_still_throttled_before_hashing(comments_file, hashes, scope):
    client = make_client(comments_file, scope)
    posted = client.post(
        "/api/comments", json={"author": "Alice", "text": "typo"}, headers=basic("alice", "alice-pw")
    )
    edit_headers = {"Comment-Token": posted.headers["Comment-Token"]}
    path = posted.headers["Location"]
    for _ in range(2):
        assert (
            client.patch(
                path, json={"text": "e"}, headers={**basic("alice", "alice-pw"), **edit_headers}
            ).status_code
            == 200
        )

    hashes.clear()
    wrong = [
        client.patch(path, json={"text": "e"}, headers={**basic("alice", "guess"), **edit_headers}),
        client.patch(path, json={"text": "e"}, headers={**basic("nobody", "guess"), **edit_headers}),
        client.get("/api/moderation/comments", headers=basic("mod", "guess")),
        client.get("/api/moderation/comments", headers=basic("alice", "alice-pw")),
        client.patch(path, json={"text": "e"}, headers={**basic("alice", "guess"), **edit_headers}),
    ]
    assert [response.status_code for response in wrong] == [401] * 5
    # Each failure cost one hash (an unknown name as much as a known one) ...
    assert len(hashes) == 5, hashes
    # ... and the sixth is refused before its hash.
    throttled = client.get("/api/moderation/comments", headers=basic("mod", "mod-pw"))
    assert throttled.status_code == 429
    assert "too many failed logins" in throttled.get_json()["error"]
    assert len(hashes) == 5


@pytest.mark.parametrize("scope", ["all", "write"])
def test_a_moderators_login_still_opens_moderation(comments_file, hashes, scope):
    client = make_client(comments_file, scope)
    alice, mod = basic("alice", "alice-pw"), basic("mod", "mod-pw")
    path = client.post("/api/comments", json={"author": "Alice", "text": "spam"}, headers=alice).headers[
        "Location"
    ]

    hashes.clear()
    # No token: the moderator's password alone, proven once for both the login and the edit.
    hidden = client.patch(path, json={"status": "hidden"}, headers=mod)
    assert hidden.status_code == 200, hidden.get_json()
    assert hidden.get_json()["status"] == "hidden"
    assert len(hashes) == 1
    # A reader's password, right or not, never changes another's comment or a status.
    assert client.patch(path, json={"status": "published"}, headers=alice).status_code == 401
    assert client.get("/api/moderation/comments", headers=alice).status_code == 401


@pytest.mark.parametrize("scope", ["all", "write"])
def test_a_name_that_is_reader_and_moderator_keeps_each_password(comments_file, hashes, scope):
    client = make_client(comments_file, scope, moderators={"alice": "alice-mod-pw"})
    as_reader, as_moderator = basic("alice", "alice-pw"), basic("alice", "alice-mod-pw")
    posted = client.post("/api/comments", json={"author": "Alice", "text": "typo"}, headers=as_reader)
    other = client.post("/api/comments", json={"author": "Bob", "text": "hi"}, headers=as_reader)
    token = {"Comment-Token": posted.headers["Comment-Token"]}

    # Her reader's password: an author with her token, not a moderator, and never a failure.
    for n in range(6):
        edited = client.patch(
            posted.headers["Location"], json={"text": f"e{n}"}, headers={**as_reader, **token}
        )
        assert edited.status_code == 200, (n, edited.get_json())
    refused = client.patch(other.headers["Location"], json={"status": "hidden"}, headers=as_reader)
    assert refused.status_code == 401
    # Her moderator's password: a moderator, after all those edits from the same address.
    hidden = client.patch(other.headers["Location"], json={"status": "hidden"}, headers=as_moderator)
    assert hidden.status_code == 200, hidden.get_json()
