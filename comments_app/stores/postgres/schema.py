"""The PostgreSQL store's tables, their upgrades, and the functions every write calls.

Versions are per thread: the default thread's is the one row of comments_version (as it
was before threads, so that its ETags stay valid across the upgrade), a named thread's
its row in comments_threads. A write locks only its thread's row: writes to different
threads never wait for each other. Each write is one call of a function below, so that
a POST is one round trip: lock and bump the thread's version, check what must be checked
under that lock (the thread closed, the parent published), take an id from the
sequence (after the lock, so that within a thread ids come out in commit order), and
write the row with the thread's new version in its changed column; the thread's name is
announced by a NOTIFY sent with the call, after its COMMIT. The adds one process has
waiting for a thread go as one call of comments_add_many (store.py's group commit): one
transaction, one lock and one WAL flush for all, each add its own version and refusal.
An import locks every thread (comments_version's row, and comments_threads whole) and
starts a new epoch.
"""

from __future__ import annotations

import psycopg

# Serialize schema creation and upgrades between workers starting at the same moment.
SCHEMA_LOCK = 0x636F6D6D
CHANNEL = "comments_changed"
# The NOTIFY payload that tells every thread's cache to go (an import).
EVERY_THREAD = "*"
# What marks the functions below as this release's: a schema without it is upgraded.
MARK = "comments schema: threads 1, keyed adds, outbox 2, private 1, grouped adds 1"

# SQLSTATEs the functions raise, so that a refusal rolls back the version's bump.
THREAD_CLOSED = "CMT01"
PARENT_REFUSED = "CMT02"
NOT_FOUND = "CMT03"
KEY_TAKEN = "CMT04"

TABLES = """
CREATE TABLE IF NOT EXISTS comments (
    id bigint PRIMARY KEY,
    author text NOT NULL,
    text text NOT NULL,
    created timestamptz,
    status text NOT NULL DEFAULT 'published',
    edited timestamptz,
    deleted timestamptz,
    -- Its thread's version when this row last changed: "what changed since" reads
    -- the thread's rows above a version through the index on both.
    changed bigint NOT NULL DEFAULT 0,
    thread text NOT NULL DEFAULT '',
    parent bigint
);
-- The instance's token key when COMMENTS_SECRET_KEY is not set: shared by every
-- worker and instance on this database.
CREATE TABLE IF NOT EXISTS comments_secret (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    key text NOT NULL
);
-- The store's epoch, and the default thread's version, state and count.
CREATE TABLE IF NOT EXISTS comments_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    -- Changes whenever the store changes other than by its writes (an import), so
    -- that caches and versions of every thread made before are thrown away whole.
    epoch text NOT NULL,
    version bigint NOT NULL,
    -- The largest id before ids came from comments_ids (kept, no longer moved).
    last_id bigint NOT NULL,
    -- The first version whose later changes the changed column records: a since
    -- value before it is answered 410 (a table made before the column).
    history_from bigint DEFAULT 0
);
INSERT INTO comments_version (epoch, version, last_id)
SELECT md5(random()::text), 0, coalesce(max(id), 0) FROM comments
ON CONFLICT DO NOTHING;
-- The notifications the writes owe (stores/outbox.py), written in the write's transaction
-- by comments_notify() when the writing connection says comments.outbox = on: a copy of
-- the comment's row as the change left it, the event, and how its delivery goes.
CREATE TABLE IF NOT EXISTS comments_outbox (
    seq bigserial PRIMARY KEY,
    item text NOT NULL UNIQUE,
    event text NOT NULL,
    made timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    next_at timestamptz NOT NULL DEFAULT now(),
    failed timestamptz,
    error text,
    id bigint NOT NULL,
    author text NOT NULL,
    text text NOT NULL,
    created timestamptz,
    status text NOT NULL,
    edited timestamptz,
    deleted timestamptz,
    thread text NOT NULL,
    parent bigint
);
ALTER TABLE comments_outbox ADD COLUMN IF NOT EXISTS fresh boolean NOT NULL DEFAULT false;
ALTER TABLE comments_outbox ADD COLUMN IF NOT EXISTS done text NOT NULL DEFAULT '';
-- What no reader ever sees (stores/private.py): an author's email given with a comment,
-- written in the comment's transaction and deleted with it; the moderation links used
-- (each works once); when reply mails went to each address (a hash of it).
CREATE TABLE IF NOT EXISTS comments_contacts (
    id bigint PRIMARY KEY,
    email text NOT NULL,
    replies boolean NOT NULL
);
CREATE INDEX IF NOT EXISTS comments_contacts_email ON comments_contacts (lower(email));
CREATE TABLE IF NOT EXISTS comments_used_links (nonce text PRIMARY KEY, until timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS comments_mails (
    address text NOT NULL, at timestamptz NOT NULL, about text NOT NULL
);
CREATE INDEX IF NOT EXISTS comments_mails_address ON comments_mails (address, at);
CREATE INDEX IF NOT EXISTS comments_mails_about ON comments_mails (address, about);
"""

# Tables made before moderation lack its columns. Run only when they do, after
# taking the version row as writers do, so that it cannot deadlock with them.
MODERATION_UPGRADE = """
SELECT 1 FROM comments_version FOR UPDATE;
ALTER TABLE comments ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'published';
ALTER TABLE comments ADD COLUMN IF NOT EXISTS edited timestamptz;
ALTER TABLE comments ADD COLUMN IF NOT EXISTS deleted timestamptz;
ALTER TABLE comments ADD COLUMN IF NOT EXISTS changed bigint NOT NULL DEFAULT 0;
ALTER TABLE comments_version ADD COLUMN IF NOT EXISTS history_from bigint;
UPDATE comments_version SET history_from = version WHERE history_from IS NULL;
"""
MODERATION_UPGRADE_NEEDED = """
SELECT count(*) < 5 FROM information_schema.columns
WHERE table_schema = current_schema() AND (
    table_name = 'comments' AND column_name IN ('status', 'edited', 'deleted', 'changed')
    OR table_name = 'comments_version' AND column_name = 'history_from')
"""

# Tables made before threads: every row is the default thread's, its version the one
# row's (so that its ETags stay what they were), and ids go on from the sequence.
# Idempotent: a fresh database runs it too. Old writers are held off by the row lock.
THREADS_UPGRADE = """
SELECT 1 FROM comments_version FOR UPDATE;
DO $$
BEGIN
    -- Even ALTER TABLE ... IF NOT EXISTS locks the table whole: only when it must.
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
            AND table_name = 'comments' AND column_name = 'thread') THEN
        ALTER TABLE comments ADD COLUMN thread text NOT NULL DEFAULT '';
        ALTER TABLE comments ADD COLUMN parent bigint;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
            AND table_name = 'comments_version' AND column_name = 'closed') THEN
        ALTER TABLE comments_version ADD COLUMN closed boolean NOT NULL DEFAULT false;
        ALTER TABLE comments_version ADD COLUMN published bigint;
    END IF;
END $$;
UPDATE comments_version SET published = (
    SELECT count(*) FROM comments WHERE thread = '' AND status = 'published' AND deleted IS NULL
) WHERE published IS NULL;
CREATE TABLE IF NOT EXISTS comments_threads (
    thread text PRIMARY KEY CHECK (thread <> ''),
    version bigint NOT NULL DEFAULT 0,
    closed boolean NOT NULL DEFAULT false,
    -- Published comments, replies included: GET /api/counts reads this row alone.
    published bigint NOT NULL DEFAULT 0
);
DO $$
BEGIN
    IF to_regclass('comments_ids') IS NULL THEN
        CREATE SEQUENCE comments_ids AS bigint;
        PERFORM setval('comments_ids',
            greatest((SELECT last_id FROM comments_version), (SELECT coalesce(max(id), 0) FROM comments)) + 1,
            false);
    END IF;
END $$;
-- The changes of the whole list, before threads: the thread's index below serves them.
DROP INDEX IF EXISTS comments_changed;
"""

INDEXES = """
CREATE INDEX IF NOT EXISTS comments_thread_id ON comments (thread, id);
CREATE INDEX IF NOT EXISTS comments_thread_changed ON comments (thread, changed);
CREATE INDEX IF NOT EXISTS comments_parent ON comments (parent) WHERE parent IS NOT NULL;
CREATE INDEX IF NOT EXISTS comments_outbox_due ON comments_outbox (next_at) WHERE failed IS NULL;
"""

# Lock a thread's version row and bump it (the default thread's is comments_version's),
# adding delta to its published count. Returns the epoch, the new version and whether
# the thread is closed, read under the lock. The NOTIFY is the caller's, in a transaction
# of its own after this one's COMMIT (see store.py: a NOTIFY holds a lock of the whole
# database from its transaction's commit to the end, WAL flush included, which would
# make every write of every thread wait for each other's flush).
FUNCTIONS = f"""
-- Put an event of a comment's change into the outbox, with the row as it is now, when
-- this connection's process has somewhere to send it (comments.outbox = on).
DROP FUNCTION IF EXISTS comments_notify(bigint, text);
CREATE OR REPLACE FUNCTION comments_notify(p_id bigint, p_event text, p_fresh boolean DEFAULT false)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('comments.outbox', true), '') <> 'on' THEN
        RETURN;
    END IF;
    INSERT INTO comments_outbox (item, event, fresh, id, author, text, created, status, edited, deleted,
        thread, parent)
    SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), p_event, p_fresh, c.id, c.author, c.text,
        c.created, c.status, c.edited, c.deleted, c.thread, c.parent
    FROM comments c WHERE c.id = p_id;
END $$;

CREATE OR REPLACE FUNCTION comments_bump(p_thread text, p_delta bigint,
    OUT o_epoch text, OUT o_version bigint, OUT o_closed boolean)
LANGUAGE plpgsql AS $$
BEGIN
    IF p_thread = '' THEN
        UPDATE comments_version v SET version = v.version + 1, published = v.published + p_delta
        RETURNING v.epoch, v.version, v.closed INTO o_epoch, o_version, o_closed;
    ELSE
        INSERT INTO comments_threads AS t (thread, version, published) VALUES (p_thread, 1, p_delta)
        ON CONFLICT (thread) DO UPDATE SET version = t.version + 1, published = t.published + p_delta
        RETURNING t.version, t.closed INTO o_version, o_closed;
        -- Read after the lock: an import (which changes the epoch) holds it off.
        SELECT v.epoch INTO o_epoch FROM comments_version v;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION comments_add(p_thread text, p_parent bigint, p_author text, p_text text,
    p_created timestamptz, p_status text, OUT o_epoch text, OUT o_version bigint, OUT o_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    closed boolean;
BEGIN
    SELECT b.o_epoch, b.o_version, b.o_closed INTO o_epoch, o_version, closed
    FROM comments_bump(p_thread, CASE WHEN p_status = 'published' THEN 1 ELSE 0 END) b;
    IF closed THEN
        RAISE EXCEPTION 'the thread is closed' USING ERRCODE = '{THREAD_CLOSED}';
    END IF;
    -- A statement of its own, after the lock: it sees a hide committed while we waited.
    IF p_parent IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM comments c WHERE c.id = p_parent AND c.thread = p_thread
            AND c.status = 'published' AND c.deleted IS NULL
    ) THEN
        RAISE EXCEPTION 'the parent is not a published comment of the thread'
            USING ERRCODE = '{PARENT_REFUSED}';
    END IF;
    o_id := nextval('comments_ids');
    INSERT INTO comments (id, author, text, created, status, changed, thread, parent)
    VALUES (o_id, p_author, p_text, p_created, p_status, o_version, p_thread, p_parent);
    IF p_status IN ('published', 'pending') THEN
        PERFORM comments_notify(o_id, 'comment.' || p_status, true);
    END IF;
END $$;

-- Add a comment and complete its Idempotency-Key record (postgres/idempotency.py's
-- table), in one transaction: the record points at the comment, and takes its share of the
-- records' running count; the records past the bounds, or expired, go. Raises KEY_TAKEN
-- (and stores nothing) when the claim is no longer this request's.
CREATE OR REPLACE FUNCTION comments_add_keyed(p_thread text, p_parent bigint, p_author text, p_text text,
    p_created timestamptz, p_status text,
    p_key text, p_share bigint, p_window bigint, p_keep double precision, p_stamp bigint,
    OUT o_epoch text, OUT o_version bigint, OUT o_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    next_place bigint;
BEGIN
    SELECT a.o_epoch, a.o_version, a.o_id INTO o_epoch, o_version, o_id
    FROM comments_add(p_thread, p_parent, p_author, p_text, p_created, p_status) a;
    UPDATE comments_idempotency r SET comment_id = o_id, stamp = p_stamp, share = p_share,
        place = coalesce((SELECT n.place + n.share FROM comments_idempotency n WHERE n.place IS NOT NULL
                          ORDER BY n.place DESC LIMIT 1), 0)
    WHERE r.key = p_key AND r.status IS NULL AND r.comment_id IS NULL
    RETURNING r.place + r.share INTO next_place;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the Idempotency-Key was claimed again' USING ERRCODE = '{KEY_TAKEN}';
    END IF;
    DELETE FROM comments_idempotency
    WHERE place < next_place - p_window OR claimed < now() - make_interval(secs => p_keep);
END $$;

-- Add several comments to one thread in one transaction (store.py's group commit: the
-- adds one process received meanwhile), each as comments_add would (comments_add_keyed with
-- its key, its contact kept when given), each with its own version, in order. Each is a
-- subtransaction of its own: a refusal rolls back that one alone (its version's bump
-- included) and is returned in its row, o_refused its SQLSTATE, instead of raised.
CREATE OR REPLACE FUNCTION comments_add_many(p_thread text, p_parents bigint[], p_authors text[],
    p_texts text[], p_created timestamptz[], p_statuses text[], p_keys text[], p_shares bigint[],
    p_windows bigint[], p_keeps double precision[], p_stamps bigint[], p_emails text[],
    p_replies boolean[])
RETURNS TABLE (o_epoch text, o_version bigint, o_id bigint, o_refused text)
LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1 .. cardinality(p_authors) LOOP
        o_epoch := NULL;
        o_version := NULL;
        o_id := NULL;
        o_refused := NULL;
        BEGIN
            IF p_keys[i] IS NULL THEN
                SELECT a.o_epoch, a.o_version, a.o_id INTO o_epoch, o_version, o_id
                FROM comments_add(p_thread, p_parents[i], p_authors[i], p_texts[i], p_created[i],
                    p_statuses[i]) a;
            ELSE
                SELECT a.o_epoch, a.o_version, a.o_id INTO o_epoch, o_version, o_id
                FROM comments_add_keyed(p_thread, p_parents[i], p_authors[i], p_texts[i], p_created[i],
                    p_statuses[i], p_keys[i], p_shares[i], p_windows[i], p_keeps[i], p_stamps[i]) a;
            END IF;
            IF p_emails[i] IS NOT NULL THEN
                INSERT INTO comments_contacts (id, email, replies) VALUES (o_id, p_emails[i], p_replies[i]);
            END IF;
        EXCEPTION WHEN SQLSTATE '{THREAD_CLOSED}' OR SQLSTATE '{PARENT_REFUSED}'
                OR SQLSTATE '{KEY_TAKEN}' THEN
            o_epoch := NULL;
            o_version := NULL;
            o_id := NULL;
            o_refused := SQLSTATE;
        END;
        RETURN NEXT;
    END LOOP;
END $$;

-- Change a comment (p_deleted set: replace it by a tombstone); returns its thread's new
-- version and epoch, and its thread. Raises NOT_FOUND for a comment deleted or never made.
CREATE OR REPLACE FUNCTION comments_change(p_id bigint, p_author text, p_text text, p_status text,
    p_edited timestamptz, p_deleted timestamptz,
    OUT o_epoch text, OUT o_version bigint, OUT o_thread text)
LANGUAGE plpgsql AS $$
DECLARE
    was_public boolean;
    is_public boolean;
    delta bigint;
    old comments%ROWTYPE;
    new_status text;
BEGIN
    SELECT c.thread INTO o_thread FROM comments c WHERE c.id = p_id AND c.deleted IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such comment' USING ERRCODE = '{NOT_FOUND}';
    END IF;
    SELECT b.o_epoch, b.o_version INTO o_epoch, o_version FROM comments_bump(o_thread, 0) b;
    -- Read again under the thread's lock: every writer of this comment takes it first.
    SELECT * INTO old FROM comments c WHERE c.id = p_id AND c.deleted IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such comment' USING ERRCODE = '{NOT_FOUND}';
    END IF;
    was_public := old.status = 'published';
    IF p_deleted IS NOT NULL THEN
        UPDATE comments c SET author = '', text = '', deleted = p_deleted, changed = o_version
        WHERE c.id = p_id;
        is_public := false;
        DELETE FROM comments_contacts WHERE id = p_id;
        PERFORM comments_notify(p_id, 'comment.deleted');
    ELSE
        UPDATE comments c SET author = coalesce(p_author, c.author), text = coalesce(p_text, c.text),
            status = coalesce(p_status, c.status), edited = coalesce(p_edited, c.edited),
            changed = o_version
        WHERE c.id = p_id
        RETURNING c.status = 'published', c.status INTO is_public, new_status;
        IF new_status <> old.status AND new_status IN ('published', 'pending', 'hidden') THEN
            PERFORM comments_notify(p_id, 'comment.' || new_status);
        END IF;
        IF coalesce(p_author, old.author) <> old.author OR coalesce(p_text, old.text) <> old.text THEN
            PERFORM comments_notify(p_id, 'comment.edited');
        END IF;
    END IF;
    delta := is_public::int - was_public::int;
    IF delta <> 0 AND o_thread = '' THEN
        UPDATE comments_version SET published = published + delta;
    ELSIF delta <> 0 THEN
        UPDATE comments_threads SET published = published + delta WHERE thread = o_thread;
    END IF;
END $$;

COMMENT ON FUNCTION comments_change(bigint, text, text, text, timestamptz, timestamptz) IS '{MARK}';
"""

# True when every table, index and function of this release exists: then first use
# changes nothing (a read-only database, or a role that may only read, still serves).
# Catalog tables, not to_regclass(): their rows are read with the statement's snapshot,
# while to_regclass() may answer from this session's cache what it found before another
# worker's upgrade committed (after waiting for the schema lock, that is wrong).
SCHEMA_CURRENT = f"""
SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace
        AND relname IN ('comments', 'comments_version', 'comments_secret', 'comments_threads',
            'comments_ids', 'comments_thread_changed', 'comments_thread_id', 'comments_parent',
            'comments_outbox', 'comments_outbox_due', 'comments_contacts', 'comments_used_links',
            'comments_mails')) = 13
    AND EXISTS (SELECT 1 FROM pg_proc p JOIN pg_description d
            ON d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass AND d.objsubid = 0
        WHERE p.pronamespace = current_schema()::regnamespace AND p.proname = 'comments_change'
            AND d.description = '{MARK}')
"""

# Whether a write would work, without writing: is the transaction read-only,
# and may this role write the tables (or create them, before they exist)?
WRITE_PROBE = """
SELECT current_setting('transaction_read_only') = 'on' OR pg_is_in_recovery(),
    CASE WHEN to_regclass('comments') IS NULL OR to_regclass('comments_version') IS NULL
            OR to_regclass('comments_threads') IS NULL OR to_regclass('comments_ids') IS NULL
        THEN coalesce(has_schema_privilege(current_schema(), 'CREATE'), false)
        ELSE has_table_privilege('comments', 'INSERT') AND has_table_privilege('comments', 'UPDATE')
            AND has_table_privilege('comments_version', 'UPDATE')
            AND has_table_privilege('comments_threads', 'INSERT')
            AND has_table_privilege('comments_threads', 'UPDATE')
            AND has_sequence_privilege('comments_ids', 'USAGE')
    END
"""


def create_schema(conn: psycopg.Connection) -> None:
    """Create the tables, or upgrade those of an earlier release; change nothing when current."""
    if conn.execute(SCHEMA_CURRENT).fetchone()[0]:
        return
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        # Another worker may have done it while this one waited for the lock.
        if conn.execute(SCHEMA_CURRENT).fetchone()[0]:
            return
        conn.execute(TABLES)
        if conn.execute(MODERATION_UPGRADE_NEEDED).fetchone()[0]:
            conn.execute(MODERATION_UPGRADE)
        conn.execute(THREADS_UPGRADE)
        conn.execute(INDEXES)
        conn.execute(FUNCTIONS)
