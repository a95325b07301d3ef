"""Idempotency-Key on a live gunicorn with 4 workers, on the JSON file and on PostgreSQL."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from comments_app import create_app


def post(url: str, key: str, text: str = "only once") -> requests.Response:
    return requests.post(
        url + "/api/comments",
        json={"author": "ann", "text": text},
        headers={"Idempotency-Key": f'"{key}"'},
        timeout=60,
    )


def texts(url: str) -> list[str]:
    return [c["text"] for c in requests.get(url + "/api/comments", timeout=10).json()]


def racing_repeats(urls: list[str], key: str, count: int) -> list[requests.Response]:
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda n: post(urls[n % len(urls)], key), range(count)))


def assert_one_answer(answers: list[requests.Response]) -> None:
    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1
    assert len({a.headers["Location"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") != "true" for a in answers) == 1


def test_racing_repeats_on_4_workers_store_one_comment(start_server, comments_file):
    server = start_server(workers=4, COMMENTS_FILE=str(comments_file))
    key = str(uuid.uuid4())
    assert_one_answer(racing_repeats([server.url], key, 16))
    # Later repeats, on any worker, get the same answer again.
    later = [post(server.url, key) for _ in range(8)]
    assert {a.content for a in later} == {later[0].content}
    assert all(a.headers["Idempotent-Replayed"] == "true" for a in later)
    assert json.loads(comments_file.read_text()) == json.loads(later[0].content)
    assert texts(server.url) == ["only once"]


def test_same_key_different_body_is_422(start_server, comments_file):
    server = start_server(workers=4, COMMENTS_FILE=str(comments_file))
    key = str(uuid.uuid4())
    assert post(server.url, key, "first").status_code == 201
    refused = post(server.url, key, "second")
    assert refused.status_code == 422
    assert "different request" in refused.json()["error"]
    assert texts(server.url) == ["first"]
    # Without a key, or with another key, the same body is a new comment.
    assert post(server.url, str(uuid.uuid4()), "first").status_code == 201
    assert texts(server.url) == ["first", "first"]


def test_repeats_are_counted_by_the_rate_limit(start_server, comments_file):
    server = start_server(workers=4, COMMENTS_FILE=str(comments_file), COMMENTS_RATE_LIMIT="3/minute")
    key = str(uuid.uuid4())
    answers = [post(server.url, key) for _ in range(3)]
    assert [a.status_code for a in answers] == [201] * 3
    assert [a.headers.get("Idempotent-Replayed") for a in answers] == [None, "true", "true"]
    # The 4th POST is past the limit, a repeat or a new comment alike.
    assert post(server.url, key).status_code == 429
    assert post(server.url, str(uuid.uuid4()), "second").status_code == 429
    assert texts(server.url) == ["only once"]


def test_keys_are_each_clients_own(start_server, comments_file):
    server = start_server(workers=4, COMMENTS_FILE=str(comments_file), COMMENTS_TRUSTED_PROXIES="1")
    key = str(uuid.uuid4())

    def post_from(address: str, text: str = "only once") -> requests.Response:
        return requests.post(
            server.url + "/api/comments",
            json={"author": "ann", "text": text},
            headers={"Idempotency-Key": f'"{key}"', "X-Forwarded-For": address},
            timeout=60,
        )

    victim = post_from("198.51.100.7")
    other = post_from("203.0.113.9")
    assert victim.status_code == other.status_code == 201
    assert "Idempotent-Replayed" not in other.headers
    assert other.headers["Comment-Token"] != victim.headers["Comment-Token"]
    assert post_from("203.0.113.10", "was this key used?").status_code == 201
    again = post_from("198.51.100.7")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Comment-Token"] == victim.headers["Comment-Token"]
    assert texts(server.url) == ["only once", "only once", "was this key used?"]


def test_a_refused_first_try_is_not_kept(client):
    key = {"Idempotency-Key": "k-1"}
    assert client.post("/api/comments", json={"author": "", "text": "x"}, headers=key).status_code == 400
    # The same refused body may be sent again and is checked again, not replayed from a record.
    again = client.post("/api/comments", json={"author": "", "text": "x"}, headers=key)
    assert again.status_code == 400 and "Idempotent-Replayed" not in again.headers


@pytest.mark.parametrize("key", ['"unterminated', "x" * 256, "caf\u00e9"])
def test_a_malformed_key_is_400(client, key):
    response = client.post(
        "/api/comments", json={"author": "a", "text": "b"}, headers={"Idempotency-Key": key.encode()}
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()["error"]


def test_two_instances_on_postgresql_answer_racing_repeats_once(start_server, pg_url, tmp_path):
    dynos = [
        start_server(workers=2, DATABASE_URL=pg_url, COMMENTS_FILE=str(tmp_path / "unused.json"))
        for _ in range(2)
    ]
    key = str(uuid.uuid4())
    assert_one_answer(racing_repeats([d.url for d in dynos], key, 16))
    assert texts(dynos[0].url) == ["only once"]
    assert post(dynos[1].url, key, "other").status_code == 422


def test_records_survive_a_new_app_on_the_same_store(comments_file):
    settings = {"COMMENTS_FILE": str(comments_file), "COMMENTS_RATE_LIMIT": "off"}
    first = (
        create_app(settings)
        .test_client()
        .post("/api/comments", json={"author": "a", "text": "b"}, headers={"Idempotency-Key": "k-2"})
    )
    again = (
        create_app(settings)
        .test_client()
        .post("/api/comments", json={"author": "a", "text": "b"}, headers={"Idempotency-Key": "k-2"})
    )
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.data == first.data
    assert len(json.loads(comments_file.read_text())) == 1
