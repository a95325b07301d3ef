"""The private capability: what a store keeps that no reader ever sees.

An author may give an email address with a comment, and ask to be told of replies. The
address is kept beside the comment, never in it: the file store serves its threads' files
byte for byte, so the address lives in the store's private SQLite file (jsonfile/private.py),
written in the comment's own write; PostgreSQL keeps it in comments_contacts, written in
the comment's transaction. A deleted comment's address is forgotten with it.

The same place keeps what mails need to be sent safely: the moderation links already
used (a link works once), and when reply mails went to each address (at most
REPLY_MAILS_PER_HOUR), the address kept only as a hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

REPLY_MAILS_PER_HOUR = 10
# How long the mail log keeps a mail: past the outbox's 24 hours of retries.
MAIL_LOG_KEEP = 25 * 3600.0


@dataclass(frozen=True)
class Contact:
    """An author's address, and whether they want a mail when someone replies."""

    email: str
    replies: bool


def address_key(email: str) -> str:
    """Return what the mail log keeps of an address: a hash of it, case folded."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


@runtime_checkable
class Private(Protocol):
    """A store's private side: authors' contacts, used links, the reply mails' log."""

    def contacts(self, comment_ids: Iterable[int]) -> dict[int, Contact]:
        """Return the contacts given with these comments (those that have one, not deleted)."""

    def all_contacts(self) -> dict[int, Contact]:
        """Return every contact kept, by comment id (for exports)."""

    def unsubscribe(self, address: str) -> bool:
        """Stop reply mails to an address (its address_key), for every comment it was given
        with; return False when no comment kept has it."""

    def use_link(self, nonce: str, until: float) -> bool:
        """Record a link as used; return False when it was already (kept until `until`)."""

    def forget_link(self, nonce: str) -> None:
        """Take back a link's use: what it was to do failed, and may be tried again."""

    def link_used(self, nonce: str) -> bool:
        """Tell whether a link was used, without using it (its confirmation page says so)."""

    def mails_sent(self, address: str, since: float) -> int:
        """Return how many reply mails went to this address since a time (time.time())."""

    def mailed(self, address: str, about: str) -> bool:
        """Tell whether a mail about this (a reply: "reply <id>") went to this address already,
        within MAIL_LOG_KEEP: a retry, or a reply published again, mails nobody twice."""

    def mail_sent(self, address: str, at: float, about: str) -> None:
        """Note a reply mail about something sent to this address at a time."""

    def import_contacts(self, contacts: dict[int, tuple[str, Contact]]) -> None:
        """Keep the contacts of comments already stored, {id: (thread, contact)} (an import's)."""
