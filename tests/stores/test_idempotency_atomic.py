"""On PostgreSQL a POST's Idempotency-Key record is written in its comment's transaction:
a worker killed (kill -9) after the comment's commit and before its answer leaves the
comment with its record, so a retry, even once the claim is stale, stores nothing twice.
And a POST with a key costs two round trips to the database, not three."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import itsdangerous.timed
import psycopg
import pytest

from comments_app import create_app
from comments_app.state import app_state
from comments_app.stores.idempotency import STALE_SECONDS, Bounds
from comments_app.stores.postgres.idempotency import PostgresRecords

from ..conftest import NO_RATE_LIMIT

ROOT = Path(__file__).resolve().parents[2]
BODY = {"author": "Ann", "text": "Only once, even after a crash"}
KEY = "k-crash"

# The first POST, in a process of its own that kills itself (SIGKILL, as kill -9 does)
# after the handler stored the comment and before any answer or record completion: a
# hook added after create_app's runs before the guards' after-request hooks.
FIRST_TRY = """
import json, os, signal, sys
from comments_app import create_app

settings, body, key = json.loads(sys.argv[1])
app = create_app(settings)

@app.after_request
def die(response):
    os.kill(os.getpid(), signal.SIGKILL)

app.test_client().post("/api/comments", json=body, headers={"Idempotency-Key": key})
"""


def first_try_killed(settings: dict[str, str]) -> None:
    """Run a first POST in a process that is killed after its commit, before its answer."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", FIRST_TRY, json.dumps([settings, BODY, KEY])], env=env, timeout=60, check=False
    )
    assert done.returncode == -signal.SIGKILL


def age_claims(url: str) -> None:
    """Make every claim older than STALE_SECONDS, as a retry after that long would find it."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "UPDATE comments_idempotency SET claimed = claimed - make_interval(secs => %s)",
            (STALE_SECONDS + 1,),
        )


def age_file_claims(path: Path) -> None:
    """The same for the file store's records (SQLite, claimed in seconds since the epoch)."""
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE idempotency SET claimed = claimed - ?", (STALE_SECONDS + 1,))


@pytest.mark.parametrize(
    "store",
    [
        "postgresql",
        pytest.param(
            "json",
            # The file store's records are a SQLite file beside the comments: no
            # transaction spans both, and this window stays open there.
            marks=pytest.mark.xfail(strict=True, reason="the file store's records are not in its commit"),
        ),
    ],
)
def test_a_retry_after_a_crash_past_the_commit_stores_nothing_twice(store, request, tmp_path):
    """Failed on PostgreSQL before records were written with their comments: the claim,
    never completed, was taken over after STALE_SECONDS and the comment stored twice."""
    if store == "postgresql":
        url = request.getfixturevalue("pg_url")
        settings, age = {"DATABASE_URL": url}, lambda: age_claims(url)
    else:
        path = tmp_path / "comments.json"
        settings = {"COMMENTS_FILE": str(path)}
        age = lambda: age_file_claims(path.with_name("comments.idempotency.sqlite3"))  # noqa: E731
    settings = {**settings, **NO_RATE_LIMIT}
    first_try_killed(settings)
    age()
    app = create_app(settings)
    retry = app.test_client().post("/api/comments", json=BODY, headers={"Idempotency-Key": KEY})
    assert retry.status_code == 201
    assert [comment["text"] for comment in retry.get_json()] == [BODY["text"]]
    assert retry.headers["Idempotent-Replayed"] == "true"
    stored = app_state(app).store.moderation()
    assert [comment["text"] for comment in stored] == [BODY["text"]]
    assert retry.headers["Location"] == f"/api/comments/{stored[0]['id']}"


KINDS = {
    "the list": ({}, {}, {}),
    "the comment alone": ({}, {}, {"Prefer": "return=minimal"}),
    "held for moderation": ({"COMMENTS_MODERATION": "pre"}, {}, {}),
    "a trapped bot's": ({}, {"website": "http://spam.example"}, {}),
    "a trapped bot's, held": ({"COMMENTS_MODERATION": "pre"}, {"website": "http://spam.example"}, {}),
}


class Later:
    """The clock Comment-Tokens are stamped with, some seconds on."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def time(self) -> float:
        return time.time() + self.seconds


@pytest.mark.parametrize("kind", KINDS)
def test_a_repeat_answers_as_the_first_did(pg_url, kind, monkeypatch):
    """Status, Location, the same Comment-Token (made seconds later), and the body."""
    settings, fields, headers = KINDS[kind]
    client = create_app({"DATABASE_URL": pg_url, **NO_RATE_LIMIT, **settings}).test_client()
    body, headers = {**BODY, **fields}, {**headers, "Idempotency-Key": KEY}
    first = client.post("/api/comments", json=body, headers=headers)
    monkeypatch.setattr(itsdangerous.timed, "time", Later(5))
    again = client.post("/api/comments", json=body, headers=headers)
    assert first.status_code in (201, 202) and again.status_code == first.status_code
    assert {**again.headers} == {**first.headers, "Idempotent-Replayed": "true"}
    assert again.get_data() == first.get_data()
    other = client.post("/api/comments", json={**body, "text": "else"}, headers=headers)
    assert other.status_code == 422


def test_a_repeats_comment_token_lets_its_author_edit(pg_url, monkeypatch):
    client = create_app({"DATABASE_URL": pg_url, **NO_RATE_LIMIT}).test_client()
    first = client.post("/api/comments", json=BODY, headers={"Idempotency-Key": KEY})
    monkeypatch.setattr(itsdangerous.timed, "time", Later(5))
    again = client.post("/api/comments", json=BODY, headers={"Idempotency-Key": KEY})
    token = {"Comment-Token": again.headers["Comment-Token"]}
    edited = client.patch(first.headers["Location"], json={"text": "fixed"}, headers=token)
    assert edited.status_code == 200 and edited.get_json()["text"] == "fixed"


def test_a_repeat_shows_the_list_as_it_is_now(pg_url):
    client = create_app({"DATABASE_URL": pg_url, **NO_RATE_LIMIT}).test_client()
    first = client.post("/api/comments", json=BODY, headers={"Idempotency-Key": KEY})
    client.post("/api/comments", json={"author": "Bo", "text": "later"})
    again = client.post(
        "/api/comments", json=BODY, headers={"Idempotency-Key": KEY, "Accept-Encoding": "gzip"}
    )
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Content-Encoding"] == "gzip"
    assert [c["text"] for c in json.loads(gzip.decompress(again.get_data()))] == [BODY["text"], "later"]


def count_messages(monkeypatch) -> list[str]:
    """Record the queries this thread sends from now on: each execute is one message, one
    round trip (the pool's and the listener's threads are not the request's)."""
    sent: list[str] = []
    thread = threading.get_ident()
    execute = psycopg.Cursor.execute

    def counted(self, query, *args, **kwargs):
        if threading.get_ident() == thread:
            sent.append(str(query).split("(")[0].strip())
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    return sent


@pytest.mark.parametrize("prefer", ["", "return=minimal"])
def test_a_post_with_a_key_is_two_round_trips(pg_url, prefer, monkeypatch):
    """The claim, then the comment with its record in one transaction (three on HEAD: the
    claim, the comment, the record's completion)."""
    client = create_app({"DATABASE_URL": pg_url, **NO_RATE_LIMIT}).test_client()
    headers = {"Prefer": prefer} if prefer else {}
    # Warmed up: the schemas made, the token key read, the list copied.
    client.post(
        "/api/comments", json={"author": "a", "text": "warm"}, headers={**headers, "Idempotency-Key": "w"}
    )
    client.get("/api/comments")
    sent = count_messages(monkeypatch)
    answer = client.post("/api/comments", json=BODY, headers={**headers, "Idempotency-Key": KEY})
    assert answer.status_code == 201
    assert len(sent) == 2, sent


def test_records_kept_with_their_comments_are_bounded(pg_url):
    store = app_state(create_app({"DATABASE_URL": pg_url})).store
    records = PostgresRecords(store, Bounds(max_records=5, max_bytes=1024 * 1024))
    for n in range(8):
        assert records.claim(f"key-{n}", "fingerprint").claimed
        records.attach(f"key-{n}")
        try:
            store.add("Ann", f"comment {n}")
        finally:
            records.detach()
    found = [records.claim(f"key-{n}", "fingerprint") for n in range(8)]
    assert [n for n, one in enumerate(found) if not one.claimed] == [3, 4, 5, 6, 7]
    assert [one.comment_id for one in found[3:]] == [c["id"] for c in store.moderation()[3:]]


def test_a_claim_with_its_comment_is_never_released_nor_taken_over(pg_url):
    store = app_state(create_app({"DATABASE_URL": pg_url})).store
    records = PostgresRecords(store)
    assert records.claim(KEY, "fingerprint").claimed
    records.attach(KEY)
    try:
        comment, _ = store.add("Ann", "stored")
    finally:
        records.detach()
    records.release(KEY)
    age_claims(pg_url)
    found = records.claim(KEY, "fingerprint")
    assert not found.claimed and found.comment_id == comment["id"]
