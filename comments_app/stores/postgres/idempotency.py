"""Idempotency-Key records in PostgreSQL, shared by every instance on the database."""

from __future__ import annotations

import random

import psycopg

from ..idempotency import KEEP_SECONDS, STALE_SECONDS, Answer, Found, encode_headers
from .store import PostgresStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS comments_idempotency (
    key text PRIMARY KEY,
    fingerprint text NOT NULL,
    claimed timestamptz NOT NULL DEFAULT now(),
    status integer,
    headers jsonb,
    body bytea
)
"""

CLAIM = """
INSERT INTO comments_idempotency AS r (key, fingerprint) VALUES (%(key)s, %(fingerprint)s)
ON CONFLICT (key) DO UPDATE SET
    fingerprint = excluded.fingerprint, claimed = now(), status = NULL, headers = NULL, body = NULL
WHERE (r.status IS NULL AND r.claimed < now() - make_interval(secs => %(stale)s))
   OR r.claimed < now() - make_interval(secs => %(keep)s)
RETURNING 1
"""


class PostgresRecords:
    """Records in a table of the store's database, through the store's connection pool."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self._schema_ready = False

    def _run(self, work):
        def with_schema(conn: psycopg.Connection):
            if not self._schema_ready:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (0x69646D70,))
                    conn.execute(SCHEMA)
                self._schema_ready = True
            return work(conn)

        # Every statement here is safe to repeat, so a dropped connection is retried.
        return self.store._run(with_schema, retry=lambda: True)

    def claim(self, key: str, fingerprint: str) -> Found:
        params = {"key": key, "fingerprint": fingerprint, "stale": STALE_SECONDS, "keep": KEEP_SECONDS}

        def work(conn: psycopg.Connection) -> Found | None:
            if conn.execute(CLAIM, params).fetchone():
                if random.random() < 0.01:
                    conn.execute(
                        "DELETE FROM comments_idempotency WHERE claimed < now() - make_interval(secs => %s)",
                        (KEEP_SECONDS,),
                    )
                return Found(claimed=True)
            row = conn.execute(
                "SELECT fingerprint, status, headers, body FROM comments_idempotency WHERE key = %s", (key,)
            ).fetchone()
            if row is None:
                return None
            stored_fingerprint, status, headers, body = row
            answer = Answer(status, headers, bytes(body)) if status is not None else None
            return Found(claimed=False, fingerprint=stored_fingerprint, answer=answer)

        found = self._run(work)
        # Released between our insert and our read: try again.
        return found if found is not None else self.claim(key, fingerprint)

    def complete(self, key: str, answer: Answer) -> None:
        self._run(
            lambda conn: conn.execute(
                "UPDATE comments_idempotency SET status = %s, headers = %s::jsonb, body = %s WHERE key = %s",
                (answer.status, encode_headers(answer.headers), answer.body, key),
            )
        )

    def release(self, key: str) -> None:
        self._run(
            lambda conn: conn.execute(
                "DELETE FROM comments_idempotency WHERE key = %s AND status IS NULL", (key,)
            )
        )
