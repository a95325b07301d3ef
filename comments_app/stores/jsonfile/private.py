"""The file store's private data (stores/private.py): tables of the side file (sidefile.py).

Contacts are written by the thread's writer with the comment, marked with its version, and
confirmed on first read as the outbox's events are; the used links and the mail log are
written here, each in one commit.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable

from ..private import MAIL_LOG_KEEP, Contact, address_key
from .sidefile import SideFile


class FilePrivate:
    """Contacts, used links and the mail log in the side file every worker shares."""

    def __init__(self, side: SideFile, wrote: Callable[[str, int], bool]) -> None:
        self.side = side
        self._wrote = wrote

    def __repr__(self) -> str:
        return f"FilePrivate({str(self.side.path)!r})"

    def contacts(self, comment_ids: Iterable[int]) -> dict[int, Contact]:
        wanted = sorted({comment_id for comment_id in comment_ids if type(comment_id) is int})
        if not wanted or not self.side.exists():
            return {}
        marks = ",".join("?" * len(wanted))
        query = f"SELECT id, thread, email, replies, version FROM contacts WHERE id IN ({marks})"
        with self.side.connection() as conn:
            return self._confirmed(conn, conn.execute(query, wanted).fetchall())

    def all_contacts(self) -> dict[int, Contact]:
        if not self.side.exists():
            return {}  # a read makes no file: a store in a folder it may not write still exports
        with self.side.connection() as conn:
            rows = conn.execute("SELECT id, thread, email, replies, version FROM contacts ORDER BY id")
            return self._confirmed(conn, rows.fetchall())

    def _confirmed(self, conn: sqlite3.Connection, rows: list[tuple]) -> dict[int, Contact]:
        """Return the rows whose comments were stored: confirm those not known yet, drop
        those of a write that was killed before its version was renamed in."""
        found = {}
        for comment_id, thread, email, replies, version in rows:
            if version:
                if not self._wrote(thread, version):
                    conn.execute("DELETE FROM contacts WHERE id = ? AND version = ?", (comment_id, version))
                    continue
                confirm = "UPDATE contacts SET version = 0 WHERE id = ? AND version = ?"
                conn.execute(confirm, (comment_id, version))
            found[comment_id] = Contact(email, bool(replies))
        return found

    def unsubscribe(self, address: str) -> bool:
        if not self.side.exists():
            return False
        with self.side.connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            rows = conn.execute("SELECT id, email FROM contacts").fetchall()
            ids = [(comment_id,) for comment_id, email in rows if address_key(email) == address]
            conn.executemany("UPDATE contacts SET replies = 0 WHERE id = ?", ids)
            conn.execute("COMMIT")
        return bool(ids)

    def use_link(self, nonce: str, until: float) -> bool:
        with self.side.connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM used_links WHERE until < ?", (time.time(),))
            fresh = conn.execute(
                "INSERT OR IGNORE INTO used_links (nonce, until) VALUES (?, ?)", (nonce, until)
            ).rowcount
            conn.execute("COMMIT")
        return fresh == 1

    def forget_link(self, nonce: str) -> None:
        with self.side.connection() as conn:
            conn.execute("DELETE FROM used_links WHERE nonce = ?", (nonce,))

    def link_used(self, nonce: str) -> bool:
        if not self.side.exists():
            return False
        with self.side.connection() as conn:
            return conn.execute("SELECT 1 FROM used_links WHERE nonce = ?", (nonce,)).fetchone() is not None

    def mails_sent(self, address: str, since: float) -> int:
        if not self.side.exists():
            return 0
        with self.side.connection() as conn:
            query = "SELECT count(*) FROM mails WHERE address = ? AND at >= ?"
            return conn.execute(query, (address, since)).fetchone()[0]

    def mailed(self, address: str, about: str) -> bool:
        if not self.side.exists():
            return False
        with self.side.connection() as conn:
            query = "SELECT 1 FROM mails WHERE address = ? AND about = ? AND at >= ?"
            return conn.execute(query, (address, about, time.time() - MAIL_LOG_KEEP)).fetchone() is not None

    def mail_sent(self, address: str, at: float, about: str) -> None:
        with self.side.connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM mails WHERE at < ?", (at - MAIL_LOG_KEEP,))
            conn.execute("INSERT INTO mails (address, at, about) VALUES (?, ?, ?)", (address, at, about))
            conn.execute("COMMIT")

    def import_contacts(self, contacts: dict[int, tuple[str, Contact]]) -> None:
        """Keep contacts of comments already stored (an import's), {id: (thread, contact)}."""
        rows = [
            (comment_id, thread, contact.email, int(contact.replies), 0)
            for comment_id, (thread, contact) in contacts.items()
        ]
        with self.side.connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT OR REPLACE INTO contacts VALUES (?, ?, ?, ?, ?)", rows)
            conn.execute("COMMIT")
