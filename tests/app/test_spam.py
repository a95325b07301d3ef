"""Spam signals on a live gunicorn with 4 workers: the honeypot and too many links."""

from __future__ import annotations

import json

import requests
from werkzeug.security import generate_password_hash


def stored(comments_file) -> dict[str, dict]:
    return {c["text"]: c for c in json.loads(comments_file.read_text())}


MOD_HASH = generate_password_hash("mod-pw")


def test_honeypot_and_links_on_a_live_server(start_server, comments_file):
    server = start_server(
        workers=4,
        COMMENTS_FILE=str(comments_file),
        COMMENTS_MAX_LINKS="2",
        COMMENTS_ADMIN_USERS=f"mod:{MOD_HASH}",
    )
    api = server.url + "/api/comments"

    person = requests.post(api, json={"author": "ann", "text": "see https://a.example and www.b.example"})
    assert person.status_code == 201

    bot = requests.post(
        api, data={"author": "bot", "text": "cheap pills", "website": "https://pills.example"}
    )
    # Answered as a person would be: 201 with the list and its comment in it (in this
    # answer alone), and its Location answers it as if published.
    assert bot.status_code == 201
    assert [c["text"] for c in bot.json()] == [person.json()[0]["text"], "cheap pills"]
    shown = requests.get(server.url + bot.headers["Location"])
    assert shown.status_code == 200 and shown.json() == bot.json()[-1]

    linky = "[one](https://1.example) <https://2.example> https://3.example"
    held = requests.post(api, json={"author": "cat", "text": linky})
    assert held.status_code == 202
    assert held.json()["status"] == "pending" and held.json()["text"] == linky
    assert requests.get(f"{api}/{held.json()['id']}").status_code == 404

    public = [c["text"] for c in requests.get(api).json()]
    assert public == [person.json()[0]["text"]]
    on_disk = stored(comments_file)
    assert on_disk["cheap pills"]["status"] == "spam"
    assert on_disk[linky]["status"] == "pending"
    assert "status" not in on_disk[public[0]]

    # Moderators see both, each with its status, and may filter by it.
    queue = requests.get(server.url + "/api/moderation/comments", auth=("mod", "mod-pw"))
    assert [(c["text"], c["status"]) for c in queue.json()] == [
        (public[0], "published"),
        ("cheap pills", "spam"),
        (linky, "pending"),
    ]
    spam_only = requests.get(server.url + "/api/moderation/comments?status=spam", auth=("mod", "mod-pw"))
    assert [c["text"] for c in spam_only.json()] == ["cheap pills"]


def test_an_empty_honeypot_is_a_person(client):
    response = client.post("/api/comments", json={"author": "ann", "text": "hi", "website": "  "})
    assert response.status_code == 201
    assert [c["text"] for c in response.get_json()] == ["hi"]


def test_max_links_zero_holds_every_link(comments_file):
    from comments_app import create_app

    client = create_app(
        {"COMMENTS_FILE": str(comments_file), "COMMENTS_RATE_LIMIT": "off", "COMMENTS_MAX_LINKS": "0"}
    ).test_client()
    assert client.post("/api/comments", json={"author": "a", "text": "plain"}).status_code == 201
    assert client.post("/api/comments", json={"author": "a", "text": "www.x.example"}).status_code == 202
