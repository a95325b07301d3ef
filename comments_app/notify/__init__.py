"""The outbox's destinations: one module per destination (webhook.py, moderators.py,
replies.py; smtp.py and messages.py make and send their mails), each turning an outbox
item into a delivery and saying how it went. Never called inside a request: the sender
(jobs/notifications.py) calls them, beside the requests."""

from __future__ import annotations

from typing import Any, Protocol

from ..config import Settings
from ..stores.contract import Store
from ..stores.outbox import Item
from .moderators import ModeratorMail
from .replies import ReplyMail
from .smtp import Smtp
from .webhook import Webhook


class Destination(Protocol):
    """Where the outbox's items go."""

    name: str

    def wants(self, item: Item) -> bool:
        """Tell whether this destination has something to deliver for an item."""

    def deliver(self, item: Item) -> str | None:
        """Deliver an item; return None when it was, or why not (for the log: no secret in it)."""


def destinations(settings: Settings, store: Store, log: Any) -> list[Destination]:
    """Return where the settings send notifications: the webhook, the moderators' and the
    authors' mails; an empty list when nowhere."""
    found: list[Destination] = []
    if settings.webhook_url:
        found.append(Webhook(settings))
    if settings.smtp is not None:
        smtp = Smtp(settings.smtp, log=log)
        found.append(ModeratorMail(settings, smtp, store.secret_key))
        found.append(ReplyMail(settings, smtp, store, log))
    return found
