"""Idempotency-Key records in PostgreSQL, shared by every instance on the database."""

from __future__ import annotations

import psycopg

from ..idempotency import KEEP_SECONDS, STALE_SECONDS, Answer, Bounds, Found
from .store import PostgresStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS comments_idempotency (
    key text PRIMARY KEY,
    fingerprint text NOT NULL,
    claimed timestamptz NOT NULL DEFAULT now(),
    status integer,
    headers jsonb,
    body bytea,
    list_version text,
    share bigint,
    place bigint
)
"""
UPGRADE_NEEDED = """
SELECT count(*) = 0 FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = 'comments_idempotency' AND column_name = 'place'
"""
# The table of an earlier release: records kept the whole answer, under the client's own
# key. Those keys are nobody's now (keys are scoped), so the records go.
UPGRADE = """
ALTER TABLE comments_idempotency ADD COLUMN IF NOT EXISTS list_version text;
ALTER TABLE comments_idempotency ADD COLUMN IF NOT EXISTS share bigint;
ALTER TABLE comments_idempotency ADD COLUMN IF NOT EXISTS place bigint;
DELETE FROM comments_idempotency;
"""
INDEXES = """
CREATE INDEX IF NOT EXISTS comments_idempotency_place ON comments_idempotency (place);
CREATE INDEX IF NOT EXISTS comments_idempotency_claimed ON comments_idempotency (claimed);
"""

CLAIM = """
INSERT INTO comments_idempotency AS r (key, fingerprint) VALUES (%(key)s, %(fingerprint)s)
ON CONFLICT (key) DO UPDATE SET
    fingerprint = excluded.fingerprint, claimed = now(), status = NULL, headers = NULL, body = NULL,
    list_version = NULL, share = NULL, place = NULL
WHERE (r.status IS NULL AND r.claimed < now() - make_interval(secs => %(stale)s))
   OR r.claimed < now() - make_interval(secs => %(keep)s)
RETURNING 1
"""

FIND = "SELECT fingerprint, status, headers, body, list_version FROM comments_idempotency WHERE key = %s"

# The record takes its share of the running count after the newest record's; the records
# whose shares start before the window, and the expired ones, go in the same statement.
COMPLETE = """
WITH done AS (
    UPDATE comments_idempotency SET
        status = %(status)s, headers = %(headers)s::jsonb, body = %(body)s,
        list_version = %(list_version)s, share = %(share)s,
        place = coalesce((SELECT place + share FROM comments_idempotency WHERE place IS NOT NULL
                          ORDER BY place DESC LIMIT 1), 0)
    WHERE key = %(key)s AND status IS NULL
    RETURNING place + share AS next
)
DELETE FROM comments_idempotency
WHERE place < (SELECT next FROM done) - %(window)s
   OR claimed < now() - make_interval(secs => %(keep)s)
"""


class PostgresRecords:
    """Records in a table of the store's database, through the store's connection pool."""

    def __init__(self, store: PostgresStore, bounds: Bounds | None = None) -> None:
        self.store = store
        self.bounds = bounds or Bounds()
        self._schema_ready = False

    def _run(self, work):
        def with_schema(conn: psycopg.Connection):
            if not self._schema_ready:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (0x69646D70,))
                    conn.execute(SCHEMA)
                    if conn.execute(UPGRADE_NEEDED).fetchone()[0]:
                        conn.execute(UPGRADE)
                    conn.execute(INDEXES)
                self._schema_ready = True
            return work(conn)

        # Every statement here is safe to repeat, so a dropped connection is retried.
        return self.store._run(with_schema, retry=lambda: True)

    def claim(self, key: str, fingerprint: str) -> Found:
        params = {"key": key, "fingerprint": fingerprint, "stale": STALE_SECONDS, "keep": KEEP_SECONDS}

        def work(conn: psycopg.Connection) -> Found | None:
            if conn.execute(CLAIM, params).fetchone():
                return Found(claimed=True)
            row = conn.execute(FIND, (key,)).fetchone()
            if row is None:
                return None
            stored_fingerprint, status, headers, body, list_version = row
            answer = Answer(status, headers, bytes(body or b""), list_version) if status is not None else None
            return Found(claimed=False, fingerprint=stored_fingerprint, answer=answer)

        found = self._run(work)
        # Released between our insert and our read: try again.
        return found if found is not None else self.claim(key, fingerprint)

    def complete(self, key: str, answer: Answer) -> None:
        params = {**self.bounds.completion(key, answer), "window": self.bounds.window, "keep": KEEP_SECONDS}
        self._run(lambda conn: conn.execute(COMPLETE, params))

    def release(self, key: str) -> None:
        self._run(
            lambda conn: conn.execute(
                "DELETE FROM comments_idempotency WHERE key = %s AND status IS NULL", (key,)
            )
        )
