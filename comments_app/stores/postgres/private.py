"""PostgreSQL's private data (stores/private.py): comments_contacts, written in the
comment's own transaction (adds.py's with_contact) and deleted with it (comments_change),
comments_used_links and comments_mails, each changed in one statement."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import psycopg

from ..private import MAIL_LOG_KEEP, Contact
from .outbox import moment

if TYPE_CHECKING:
    from .store import PostgresStore

CONTACTS = "SELECT id, email, replies FROM comments_contacts"
# The address's hash as stores/private.py's address_key makes it (addresses are ASCII).
UNSUBSCRIBE = """
UPDATE comments_contacts SET replies = false
WHERE encode(sha256(convert_to(lower(btrim(email)), 'UTF8')), 'hex') = %s
"""
USE_LINK = """
WITH gone AS (DELETE FROM comments_used_links WHERE until < now())
INSERT INTO comments_used_links (nonce, until) VALUES (%s, %s) ON CONFLICT DO NOTHING
"""
MAIL_SENT = """
WITH gone AS (DELETE FROM comments_mails WHERE at < %s - make_interval(secs => %s))
INSERT INTO comments_mails (address, at, about) VALUES (%s, %s, %s)
"""
IMPORT = """
INSERT INTO comments_contacts (id, email, replies)
SELECT %s, %s, %s WHERE EXISTS (SELECT 1 FROM comments WHERE id = %s AND deleted IS NULL)
ON CONFLICT (id) DO UPDATE SET email = excluded.email, replies = excluded.replies
"""


class PostgresPrivate:
    """The private data of a PostgresStore, read and written through its pool."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"PostgresPrivate({self.store.safe_url!r})"

    def _run(self, work: Callable[[psycopg.Connection], object]):
        return self.store._read(work)

    def contacts(self, comment_ids: Iterable[int]) -> dict[int, Contact]:
        wanted = sorted({comment_id for comment_id in comment_ids if type(comment_id) is int})
        if not wanted:
            return {}
        rows = self._run(lambda conn: conn.execute(CONTACTS + " WHERE id = ANY(%s)", (wanted,)).fetchall())
        return {comment_id: Contact(email, replies) for comment_id, email, replies in rows}

    def all_contacts(self) -> dict[int, Contact]:
        rows = self._run(lambda conn: conn.execute(CONTACTS + " ORDER BY id").fetchall())
        return {comment_id: Contact(email, replies) for comment_id, email, replies in rows}

    def unsubscribe(self, address: str) -> bool:
        return self._run(lambda conn: conn.execute(UNSUBSCRIBE, (address,)).rowcount) > 0

    def use_link(self, nonce: str, until: float) -> bool:
        # Not tried again: a lost answer to a first try that used the link would make
        # the second say it was used already.
        work = lambda conn: conn.execute(USE_LINK, (nonce, moment(until))).rowcount  # noqa: E731
        return self.store._run(work, retry=lambda: False) == 1

    def forget_link(self, nonce: str) -> None:
        self._run(lambda conn: conn.execute("DELETE FROM comments_used_links WHERE nonce = %s", (nonce,)))

    def link_used(self, nonce: str) -> bool:
        query = "SELECT EXISTS (SELECT 1 FROM comments_used_links WHERE nonce = %s)"
        return self._run(lambda conn: conn.execute(query, (nonce,)).fetchone()[0])

    def mails_sent(self, address: str, since: float) -> int:
        query = "SELECT count(*) FROM comments_mails WHERE address = %s AND at >= %s"
        return self._run(lambda conn: conn.execute(query, (address, moment(since))).fetchone()[0])

    def mailed(self, address: str, about: str) -> bool:
        query = "SELECT EXISTS (SELECT 1 FROM comments_mails WHERE address = %s AND about = %s AND at >= %s)"
        since = moment(time.time() - MAIL_LOG_KEEP)
        return self._run(lambda conn: conn.execute(query, (address, about, since)).fetchone()[0])

    def mail_sent(self, address: str, at: float, about: str) -> None:
        params = (moment(at), MAIL_LOG_KEEP, address, moment(at), about)
        self._run(lambda conn: conn.execute(MAIL_SENT, params))

    def import_contacts(self, contacts: dict[int, tuple[str, Contact]]) -> None:
        rows = [
            (comment_id, contact.email, contact.replies, comment_id)
            for comment_id, (_, contact) in contacts.items()
        ]
        if rows:
            self._run(lambda conn: conn.cursor().executemany(IMPORT, rows))
