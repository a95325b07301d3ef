"""Idempotency-Key records in PostgreSQL, shared by every instance on the database.

A POST's record is completed in its comment's own transaction (the store's add, called
with the key attached): it points at the comment, and a repeat is answered from that
comment, as the handler answers it again, rather than from a kept answer. So a POST with
a key costs two round trips (the claim, then the comment with its record), and a worker
killed at any moment leaves either both or neither: a claim with its comment is never
taken over, however old, nor released.
"""

from __future__ import annotations

import psycopg

from ..idempotency import KEEP_SECONDS, STALE_SECONDS, Answer, Bounds, Found
from .adds import KeyedAdd
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
    place bigint,
    comment_id bigint,
    stamp bigint
)
"""
UPGRADE_NEEDED = """
SELECT count(*) = 0 FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = 'comments_idempotency' AND column_name = 'place'
"""
# Records before they were written with their comments: they stay as they are.
COMMENT_ID_NEEDED = """
SELECT count(*) = 0 FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = 'comments_idempotency' AND column_name = 'comment_id'
"""
COMMENT_ID = """
ALTER TABLE comments_idempotency
    ADD COLUMN IF NOT EXISTS comment_id bigint, ADD COLUMN IF NOT EXISTS stamp bigint
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

# A claim left by a request that died is taken over: never one whose comment is stored.
# The record found is read in the same statement, from its snapshot (before the insert):
# one round trip, claimed or not.
CLAIM = """
WITH claimed AS (
    INSERT INTO comments_idempotency AS r (key, fingerprint) VALUES (%(key)s, %(fingerprint)s)
    ON CONFLICT (key) DO UPDATE SET
        fingerprint = excluded.fingerprint, claimed = now(), status = NULL, headers = NULL, body = NULL,
        list_version = NULL, share = NULL, place = NULL, comment_id = NULL, stamp = NULL
    WHERE (r.status IS NULL AND r.comment_id IS NULL AND r.claimed < now() - make_interval(secs => %(stale)s))
       OR r.claimed < now() - make_interval(secs => %(keep)s)
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM claimed),
    f.fingerprint, f.status, f.headers, f.body, f.list_version, f.comment_id, f.stamp
FROM (SELECT 1) one LEFT JOIN comments_idempotency f ON f.key = %(key)s
"""

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
                    if conn.execute(COMMENT_ID_NEEDED).fetchone()[0]:
                        conn.execute(COMMENT_ID)
                    conn.execute(INDEXES)
                self._schema_ready = True
            return work(conn)

        # Every statement here is safe to repeat, so a dropped connection is retried.
        return self.store._run(with_schema, retry=lambda: True)

    def claim(self, key: str, fingerprint: str) -> Found:
        params = {"key": key, "fingerprint": fingerprint, "stale": STALE_SECONDS, "keep": KEEP_SECONDS}

        def work(conn: psycopg.Connection) -> Found | None:
            claimed, stored_fingerprint, status, headers, body, list_version, comment_id, stamp = (
                conn.execute(CLAIM, params).fetchone()
            )
            if claimed:
                return Found(claimed=True)
            if stored_fingerprint is None:
                return None
            answer = Answer(status, headers, bytes(body or b""), list_version) if status is not None else None
            return Found(False, stored_fingerprint, answer, comment_id, stamp)

        found = self._run(work)
        # Inserted by a request whose transaction began after this statement's snapshot,
        # or released between: try again.
        return found if found is not None else self.claim(key, fingerprint)

    def complete(self, key: str, answer: Answer) -> None:
        params = {**self.bounds.completion(key, answer), "window": self.bounds.window, "keep": KEEP_SECONDS}
        self._run(lambda conn: conn.execute(COMPLETE, params))

    def release(self, key: str) -> None:
        # A claim whose comment is stored stays: a retry is answered that comment.
        self._run(
            lambda conn: conn.execute(
                "DELETE FROM comments_idempotency WHERE key = %s AND status IS NULL AND comment_id IS NULL",
                (key,),
            )
        )

    def attach(self, key: str, comment_id: int | None = None, stamp: int | None = None) -> None:
        """Have this context's next add complete the key's record, or (comment_id) hand that back."""
        # A record that keeps no answer: its key, its fingerprint, the comment's id and the stamp.
        share = self.bounds.share(key, "", Answer(0, {}, b"\0" * 16))
        keyed = KeyedAdd(key, share, self.bounds.window, KEEP_SECONDS, stamp, comment_id)
        self.store.attach_key(keyed)

    def detach(self) -> None:
        self.store.attach_key(None)
