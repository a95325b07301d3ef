"""Mail to the moderators: a new comment held for approval (or, with COMMENTS_NOTIFY=all,
every new comment), with one-click links to publish, hide or delete it."""

from __future__ import annotations

from collections.abc import Callable

from ..config import Settings
from ..cooperative import blocking
from ..stores.outbox import Item
from .messages import moderator_mail
from .smtp import Smtp

# What a new comment's event is: held for approval, or published at once.
PENDING_EVENT = "comment.pending"
PUBLISHED_EVENT = "comment.published"


class ModeratorMail:
    """One mail per new comment to every address of COMMENTS_MODERATOR_EMAILS."""

    name = "moderators"

    def __init__(self, settings: Settings, smtp: Smtp, key: Callable[[], bytes]) -> None:
        """key returns the links' signing key (the store's secret key): asked at each mail,
        so that a store away when the worker starts delays mail, not the worker."""
        self.settings = settings
        self.smtp = smtp
        self.key = key

    def wants(self, item: Item) -> bool:
        """Tell whether moderators hear of this item: a new comment they may have to act on."""
        if not self.settings.moderator_emails or not item.fresh:
            return False
        if item.type == PENDING_EVENT:
            return True
        return item.type == PUBLISHED_EVENT and self.settings.notify == "all"

    def deliver(self, item: Item) -> str | None:
        """Send the mail; return None when the server took it, else why not."""
        to = self.settings.moderator_emails
        key = blocking(self.key)
        return self.smtp.send(moderator_mail(item, self.settings, key, to))
