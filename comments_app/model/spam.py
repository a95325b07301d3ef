"""Spam signals: a pure function from a submission to the status it earns.

- The page's form carries a field named "website" that people never see. A submission
  that fills it is a bot's: it is kept with the status "spam" (moderators see it and may
  publish a false positive) and answered like a success, so the bot learns nothing.
- A comment with more than COMMENTS_MAX_LINKS links is held as "pending" for a moderator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .comment import PENDING, SPAM

HONEYPOT = "website"

# A Markdown link or image counts once, and so does a bare or <autolinked> address.
LINK = re.compile(r"!?\[[^\]]*\]\([^)]*\)|<?\b(?:https?://|ftp://|www\.)[^\s<>()]+", re.IGNORECASE)


def count_links(*texts: str) -> int:
    """Return how many links the texts hold."""
    return sum(len(LINK.findall(text)) for text in texts)


def verdict(form: Mapping, cleaned: Mapping[str, str], max_links: int) -> str | None:
    """Return the status the spam signals give this comment, or None when they say nothing."""
    trap = form.get(HONEYPOT)
    if trap is not None and (not isinstance(trap, str) or trap.strip()):
        return SPAM
    if count_links(cleaned["author"], cleaned["text"]) > max_links:
        return PENDING
    return None
