"""PostgreSQL's private data (stores/private.py): comments_contacts, written in the
comment's own transaction (adds.py's with_contact) and deleted with it (comments_change),
comments_used_links and comments_mails, each changed in one statement."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import psycopg

from ..private import Contact
from .outbox import moment

if TYPE_CHECKING:
    from .store import PostgresStore

CONTACTS = "SELECT id, email, replies FROM comments_contacts"
UNSUBSCRIBE = """
UPDATE comments_contacts SET replies = false
WHERE lower(email) = (SELECT lower(email) FROM comments_contacts WHERE id = %s)
"""
USE_LINK = """
WITH gone AS (DELETE FROM comments_used_links WHERE until < now())
INSERT INTO comments_used_links (nonce, until) VALUES (%s, %s) ON CONFLICT DO NOTHING
"""
MAIL_SENT = """
WITH gone AS (DELETE FROM comments_mails WHERE at < %s - interval '1 hour')
INSERT INTO comments_mails (address, at) VALUES (%s, %s)
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

    def unsubscribe(self, comment_id: int) -> bool:
        return self._run(lambda conn: conn.execute(UNSUBSCRIBE, (comment_id,)).rowcount) > 0

    def use_link(self, nonce: str, until: float) -> bool:
        # Not tried again: a lost answer to a first try that used the link would make
        # the second say it was used already.
        work = lambda conn: conn.execute(USE_LINK, (nonce, moment(until))).rowcount  # noqa: E731
        return self.store._run(work, retry=lambda: False) == 1

    def link_used(self, nonce: str) -> bool:
        query = "SELECT EXISTS (SELECT 1 FROM comments_used_links WHERE nonce = %s)"
        return self._run(lambda conn: conn.execute(query, (nonce,)).fetchone()[0])

    def mails_sent(self, address: str, since: float) -> int:
        query = "SELECT count(*) FROM comments_mails WHERE address = %s AND at >= %s"
        return self._run(lambda conn: conn.execute(query, (address, moment(since))).fetchone()[0])

    def mail_sent(self, address: str, at: float) -> None:
        self._run(lambda conn: conn.execute(MAIL_SENT, (moment(at), address, moment(at))))

    def import_contacts(self, contacts: dict[int, tuple[str, Contact]]) -> None:
        rows = [
            (comment_id, contact.email, contact.replies, comment_id)
            for comment_id, (_, contact) in contacts.items()
        ]
        if rows:
            self._run(lambda conn: conn.cursor().executemany(IMPORT, rows))
