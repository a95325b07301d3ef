"""The outbox's destinations: one module per destination (webhook.py, moderators.py,
replies.py; smtp.py and messages.py make and send their mails), each turning an outbox
item into a delivery and saying how it went. Never called inside a request: the sender
(jobs/notifications.py) calls them, beside the requests."""

from __future__ import annotations

from typing import Protocol

from ..stores.outbox import Item


class Destination(Protocol):
    """Where the outbox's items go."""

    name: str

    def wants(self, item: Item) -> bool:
        """Tell whether this destination has something to deliver for an item."""

    def deliver(self, item: Item) -> str | None:
        """Deliver an item; return None when it was, or why not (for the log: no secret in it)."""
