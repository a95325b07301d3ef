"""Idempotency-Key records on both stores: small whatever the list's size, bounded in
number and bytes, and old records upgraded in place."""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path

import psycopg

from comments_app import create_app
from comments_app.state import app_state
from comments_app.stores.idempotency import Answer, Bounds
from comments_app.stores.jsonfile.idempotency import SqliteRecords

from ..conftest import NO_RATE_LIMIT

# What a record may hold: its key, fingerprint, a few headers and at most one comment.
SMALL = 20 * 1024
CREATED = "2024-05-01T12:00:00.000Z"


def sqlite_path(settings: dict[str, str]) -> Path:
    return Path(settings["COMMENTS_FILE"]).with_name("comments.idempotency.sqlite3")


def record_sizes(settings: dict[str, str]) -> tuple[int, int, int]:
    """Return (records, the largest record's bytes, the bytes the records take on disk)."""
    if "DATABASE_URL" not in settings:
        path = sqlite_path(settings)
        with sqlite3.connect(path) as conn:
            count, largest = conn.execute(
                "SELECT count(*), max(length(key) + length(fingerprint)"
                " + coalesce(length(headers), 0) + coalesce(length(body), 0)) FROM idempotency"
            ).fetchone()
        wal = path.with_name(path.name + "-wal")
        return count, largest, path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    with psycopg.connect(settings["DATABASE_URL"]) as conn:
        return conn.execute(
            "SELECT count(*), max(pg_column_size(r.*)),"
            " pg_total_relation_size('comments_idempotency') FROM comments_idempotency r"
        ).fetchone()


def test_a_record_keeps_the_comment_not_the_list(store_settings):
    """2,000 comments (8 MB): five POSTs with keys used to keep 41 to 49 MB of records."""
    app = create_app({**store_settings, **NO_RATE_LIMIT})
    # 4,000 characters each, none like another: the list does not compress.
    app_state(app).store.import_records(
        [
            {"id": n, "author": "a", "text": secrets.token_urlsafe(3000), "created": CREATED}
            for n in range(1, 2001)
        ]
    )
    client = app.test_client()
    for n in range(5):
        answer = client.post(
            "/api/comments", json={"author": "b", "text": f"n{n}"}, headers={"Idempotency-Key": f"k-{n}"}
        )
        assert answer.status_code == 201 and len(answer.get_json()) == 2001 + n
    count, largest, on_disk = record_sizes(store_settings)
    assert count == 5
    assert largest < SMALL
    assert on_disk < 1024 * 1024
    # And a repeat still answers the whole list.
    again = client.post(
        "/api/comments", json={"author": "b", "text": "n0"}, headers={"Idempotency-Key": "k-0"}
    )
    assert again.headers["Idempotent-Replayed"] == "true" and len(again.get_json()) == 2005


def bounded_records(settings: dict[str, str], tmp_path: Path, bounds: Bounds):
    """The store's kind of records, with bounds of the test's own."""
    if "DATABASE_URL" not in settings:
        return SqliteRecords(tmp_path / "bounded.sqlite3", bounds)
    from comments_app.stores.postgres.idempotency import PostgresRecords

    return PostgresRecords(app_state(create_app(settings)).store, bounds)


def fill(records, count: int, body: bytes) -> list[Answer]:
    answers = []
    for n in range(count):
        key, answer = f"key-{n}", Answer(201, {"Location": f"/api/comments/{n}"}, body)
        assert records.claim(key, "fingerprint").claimed
        records.complete(key, answer)
        answers.append(answer)
    return answers


def kept(records, count: int) -> list[int]:
    """Which of the keys filled are still answered from their record (a claim finds it)."""
    found = []
    for n in range(count):
        result = records.claim(f"key-{n}", "fingerprint")
        if result.claimed:
            records.release(f"key-{n}")
        else:
            found.append(n)
    return found


def test_records_past_the_bound_drop_the_oldest(store_settings, tmp_path):
    records = bounded_records(store_settings, tmp_path, Bounds(max_records=5, max_bytes=1024 * 1024))
    answers = fill(records, 8, b'{"id": 1}')
    assert kept(records, 8) == [3, 4, 5, 6, 7]
    assert records.claim("key-7", "fingerprint").answer == answers[7]


def test_records_past_the_byte_bound_drop_the_oldest(store_settings, tmp_path):
    records = bounded_records(store_settings, tmp_path, Bounds(max_records=1000, max_bytes=10_000))
    fill(records, 8, b"x" * 3000)
    assert kept(records, 8) == [5, 6, 7]


OLD_SQLITE = """
CREATE TABLE idempotency (
    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, claimed REAL NOT NULL,
    status INTEGER, headers TEXT, body BLOB
) WITHOUT ROWID
"""
OLD_POSTGRES = """
CREATE TABLE comments_idempotency (
    key text PRIMARY KEY, fingerprint text NOT NULL, claimed timestamptz NOT NULL DEFAULT now(),
    status integer, headers jsonb, body bytea
)
"""
OLD_RECORD = ("k-old", "f" * 64, 201, '{"Content-Type": "application/json"}', secrets.token_bytes(2_000_000))


def make_old_records(settings: dict[str, str]) -> None:
    """Records as the previous release kept them: unscoped keys, the whole list as the body."""
    if "DATABASE_URL" not in settings:
        with sqlite3.connect(sqlite_path(settings)) as conn:
            conn.execute(OLD_SQLITE)
            conn.execute("INSERT INTO idempotency VALUES (?, ?, unixepoch(), ?, ?, ?)", OLD_RECORD)
        return
    with psycopg.connect(settings["DATABASE_URL"]) as conn:
        conn.execute(OLD_POSTGRES)
        conn.execute(
            "INSERT INTO comments_idempotency (key, fingerprint, status, headers, body)"
            " VALUES (%s, %s, %s, %s, %s)",
            OLD_RECORD,
        )


def test_old_records_are_upgraded_in_place(store_settings):
    make_old_records(store_settings)
    client = create_app({**store_settings, **NO_RATE_LIMIT}).test_client()
    body = {"author": "Ann", "text": "After the upgrade"}
    first = client.post("/api/comments", json=body, headers={"Idempotency-Key": "k-old"})
    # An old record's key was nobody's in particular: it answers no one now.
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = client.post("/api/comments", json=body, headers={"Idempotency-Key": "k-old"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Comment-Token"] == first.headers["Comment-Token"]
    count, largest, on_disk = record_sizes(store_settings)
    # The old record, 2 MB, is gone with its bytes.
    assert count == 1 and largest < SMALL
    if "DATABASE_URL" not in store_settings:
        assert on_disk < 1024 * 1024
