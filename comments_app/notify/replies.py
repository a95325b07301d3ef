"""Mail to authors: a published reply tells everyone earlier in its conversation who gave
an address and asked to hear of replies, once each, never the reply's own author, and at
most REPLY_MAILS_PER_HOUR mails an hour to one address. Once: the mail log keeps which
reply each address was told of, so that a retry after a failure further down the list, or
the reply published again, mails nobody twice.

Each mail carries a one-click unsubscribe (messages.py). Nothing this module logs or
answers holds an address: the log says which comment, never whom.
"""

from __future__ import annotations

import time
from typing import Any

from ..addresses import email_problem
from ..config import Settings
from ..cooperative import blocking
from ..stores.outbox import Item
from ..stores.private import REPLY_MAILS_PER_HOUR, address_key
from .messages import reply_mail
from .smtp import Refusal, Smtp

PUBLISHED_EVENT = "comment.published"
# How far up a conversation the walk goes: deeper than any real one, short of a loop.
MAX_DEPTH = 100
HOUR = 3600.0


class ReplyMail:
    """Tell the authors of a conversation of a new reply in it."""

    name = "replies"

    def __init__(self, settings: Settings, smtp: Smtp, store: Any, log: Any) -> None:
        self.settings = settings
        self.smtp = smtp
        self.store = store
        self.log = log

    def wants(self, item: Item) -> bool:
        """Tell whether an item is a reply now published."""
        return item.type == PUBLISHED_EVENT and item.comment.get("parent") is not None

    def deliver(self, item: Item) -> str | None:
        """Send the reply to each subscriber; return None when every mail was sent or
        skipped, else the first failure (the mails after it wait for the retry)."""
        reply_id = item.comment["id"]
        ancestors = self.ancestors(item.comment["parent"])
        contacts = blocking(self.store.private.contacts, [*ancestors, reply_id])
        own = contacts.get(reply_id)
        skip = {own.email.strip().lower()} if own is not None else set()
        subscribers = []
        for comment_id in ancestors:
            contact = contacts.get(comment_id)
            if contact is None or not contact.replies or contact.email.strip().lower() in skip:
                continue
            skip.add(contact.email.strip().lower())
            if email_problem(contact.email):
                # Only a store written by hand holds such an address: a header must not take it.
                self.log.warning("reply mail of comment %s skipped: an address is not one", reply_id)
                continue
            subscribers.append((comment_id, contact.email))
        if not subscribers:
            return None
        key = blocking(self.store.secret_key)
        for subscribed, address in subscribers:
            problem = self._send(item, key, subscribed, address)
            if problem is not None:
                return problem
        return None

    def ancestors(self, parent: int) -> list[int]:
        """Return the comments a reply answers, nearest first, up to MAX_DEPTH of them."""
        found: list[int] = []
        current: int | None = parent
        while type(current) is int and current not in found and len(found) < MAX_DEPTH:
            found.append(current)
            record = blocking(self.store.record, current)
            current = None if record is None else record.get("parent")
        return found

    def _send(self, item: Item, key: bytes, subscribed: int, address: str) -> str | None:
        """Send one subscriber the reply, unless their hour's mails are spent."""
        reply_id = item.comment["id"]
        hashed = address_key(address)
        about = f"reply {reply_id}"
        if blocking(self.store.private.mailed, hashed, about):
            # Mailed already: by a try of this item that failed further on, or when the
            # reply was first published (hidden and published again since).
            return None
        now = time.time()
        sent = blocking(self.store.private.mails_sent, hashed, now - HOUR)
        if sent >= REPLY_MAILS_PER_HOUR:
            self.log.info("reply mail of comment %s skipped: an address had %d this hour", reply_id, sent)
            return None
        problem = self.smtp.send(reply_mail(item, self.settings, key, address, subscribed))
        if isinstance(problem, Refusal):
            # Refused for good (an address that is no more): sending it again would not help.
            self.log.warning("reply mail of comment %s not sent to one address: %s", reply_id, problem)
            return None
        if problem is None:
            blocking(self.store.private.mail_sent, hashed, time.time(), about)
        return problem
