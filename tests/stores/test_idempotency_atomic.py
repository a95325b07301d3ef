"""On PostgreSQL a POST's Idempotency-Key record is written in its comment's transaction,
and the file store keeps the key with its comment in the side file, in the comment's own
write: a worker killed (kill -9) after the comment's commit and before its answer leaves
the comment with its key, so a retry, even once the claim is stale, stores nothing twice.
And on PostgreSQL a POST with a key costs two round trips to the database, not three."""

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
from comments_app.model.threads import DEFAULT
from comments_app.state import app_state
from comments_app.stores.idempotency import KEEP_SECONDS, STALE_SECONDS, Bounds
from comments_app.stores.jsonfile.idempotency import SqliteRecords
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


@pytest.mark.parametrize("store", ["postgresql", "json"])
def test_a_retry_after_a_crash_past_the_commit_stores_nothing_twice(store, request, tmp_path):
    """Failed on PostgreSQL before records were written with their comments, and on the
    file store before its adds kept their keys in the side file: the claim, never
    completed, was taken over after STALE_SECONDS and the comment stored twice."""
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


def unanswer_file_claims(path: Path) -> None:
    """Take the answers out of the file store's records, as a worker killed after the
    comment and before completing its record leaves them."""
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE idempotency SET status = NULL, headers = NULL, body = NULL, list_version = NULL,"
            " share = NULL, place = NULL"
        )


@pytest.mark.parametrize("kind", KINDS)
def test_a_repeat_answers_as_the_first_did(store_settings, kind, monkeypatch):
    """Status, Location, the same Comment-Token (made seconds later), and the body."""
    settings, fields, headers = KINDS[kind]
    client = create_app({**store_settings, **NO_RATE_LIMIT, **settings}).test_client()
    body, headers = {**BODY, **fields}, {**headers, "Idempotency-Key": KEY}
    first = client.post("/api/comments", json=body, headers=headers)
    monkeypatch.setattr(itsdangerous.timed, "time", Later(5))
    again = client.post("/api/comments", json=body, headers=headers)
    assert first.status_code in (201, 202) and again.status_code == first.status_code
    assert {**again.headers} == {**first.headers, "Idempotent-Replayed": "true"}
    assert again.get_data() == first.get_data()
    other = client.post("/api/comments", json={**body, "text": "else"}, headers=headers)
    assert other.status_code == 422


@pytest.mark.parametrize("kind", KINDS)
def test_a_repeat_of_a_claim_never_answered_answers_as_the_first_did(tmp_path, kind, monkeypatch):
    """On the file store, answered from the comment the side file says the claim stored."""
    settings, fields, headers = KINDS[kind]
    path = tmp_path / "comments.json"
    app = create_app({"COMMENTS_FILE": str(path), **NO_RATE_LIMIT, **settings})
    client = app.test_client()
    body, headers = {**BODY, **fields}, {**headers, "Idempotency-Key": KEY}
    first = client.post("/api/comments", json=body, headers=headers)
    unanswer_file_claims(path.with_name("comments.idempotency.sqlite3"))
    monkeypatch.setattr(itsdangerous.timed, "time", Later(5))
    again = client.post("/api/comments", json=body, headers=headers)
    assert again.status_code == first.status_code
    assert {**again.headers} == {**first.headers, "Idempotent-Replayed": "true"}
    assert again.get_data() == first.get_data()
    assert len(app_state(app).store.export_records()) == 1
    # That answer completed the record, as the first would have.
    with sqlite3.connect(path.with_name("comments.idempotency.sqlite3")) as conn:
        assert conn.execute("SELECT status FROM idempotency").fetchall() == [(first.status_code,)]


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


def file_records(tmp_path: Path) -> SqliteRecords:
    """The file store's records, as open_idempotency makes them, beside a fresh store."""
    store = app_state(create_app({"COMMENTS_FILE": str(tmp_path / "comments.json")})).store
    return SqliteRecords(tmp_path / "comments.idempotency.sqlite3", store=store)


def keyed_add(records, key: str, text: str) -> dict:
    """Claim the key and store a comment with it, as the guard and the handler do."""
    assert records.claim(key, "fingerprint").claimed
    records.attach(key, stamp=1_700_000_000)
    try:
        comment, _ = records.store.add("Ann", text)
    finally:
        records.detach()
    return comment


def test_a_file_claim_with_its_comment_is_never_released_nor_taken_over(tmp_path):
    records = file_records(tmp_path)
    comment = keyed_add(records, KEY, "stored")
    records.release(KEY)
    age_file_claims(records.path)
    found = records.claim(KEY, "fingerprint")
    assert not found.claimed and (found.comment_id, found.stamp) == (comment["id"], 1_700_000_000)


def test_a_file_claim_whose_write_was_never_renamed_in_is_taken_over(tmp_path):
    """A worker killed after the side file's commit and before the rename stored nothing."""
    records = file_records(tmp_path)
    assert records.claim(KEY, "fingerprint").claimed
    records.store.keys.side.put([], {}, [], DEFAULT, 12345, time.time(), {KEY: (7, 1)})
    assert not records.claim(KEY, "fingerprint").claimed  # not stale yet: the first may run
    age_file_claims(records.path)
    assert records.claim(KEY, "fingerprint").claimed
    assert records.store.keys.stored(KEY) is None


def test_the_file_stores_keys_are_bounded(tmp_path):
    records = file_records(tmp_path)
    records.store.keys.side.max_keys = 5
    comments = [keyed_add(records, f"key-{n}", f"comment {n}") for n in range(8)]
    kept = [records.store.keys.stored(f"key-{n}") for n in range(8)]
    assert kept == [None] * 3 + [(comment["id"], 1_700_000_000) for comment in comments[3:]]
    # Older than KEEP_SECONDS: never found, and gone at the next write.
    with sqlite3.connect(records.store.keys.side.path) as conn:
        conn.execute("UPDATE keys SET made = made - ?", (KEEP_SECONDS + 1,))
    assert records.store.keys.stored("key-7") is None
    keyed_add(records, "key-8", "comment 8")
    with sqlite3.connect(records.store.keys.side.path) as conn:
        assert conn.execute("SELECT key FROM keys").fetchall() == [("key-8",)]


def test_a_file_key_used_again_after_its_record_was_dropped_is_a_new_request(tmp_path):
    """The side file's row of the key's earlier use answers none of its later claims."""
    records = file_records(tmp_path)
    keyed_add(records, KEY, "first use")
    with sqlite3.connect(records.path) as conn:
        conn.execute("DELETE FROM idempotency")  # past the records' bounds
    with sqlite3.connect(records.store.keys.side.path) as conn:
        conn.execute("UPDATE keys SET made = made - 10")
    assert records.claim(KEY, "another body").claimed
    records.release(KEY)  # refused (a 400, say): a retry is checked afresh
    assert records.claim(KEY, "another body").claimed
