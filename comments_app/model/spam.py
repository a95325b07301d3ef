"""Spam signals: a pure function from a submission to the status it earns.

- The page's form carries a field named "website" that people never see. A submission
  that fills it is a bot's: it is kept with the status "spam" (moderators see it and may
  publish a false positive) and answered like a success, so the bot learns nothing.
- A comment with more than COMMENTS_MAX_LINKS links is held as "pending" for a moderator.
  Links are counted as the page renders them (ui/src/markdown.js: marked, GitHub's flavour, whose autolinks
  link bare addresses),
  never fewer: a count that missed some would let them past the limit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

from .comment import PENDING, SPAM

HONEYPOT = "website"

# A bracket's label: no unescaped bracket inside. Each scan from a "[" stops at the next
# unescaped bracket and an escape pair is consumed whole before its "[" can start one, so
# the scans never overlap: the count is linear in the text, whatever it holds.
_LABEL = r"(?:[^\[\]\\]|\\[\s\S])*"
# What starts an address; only that is consumed (with a mailto:'s plain local part, whose
# "@" starts no other), never the rest, where linkify may find another. "www." inside an
# address is not another; a bare "mailto:" counts anyway.
_SCHEME = r"https?://|ftp://|mailto:[\w.+-]*@?|(?<![\w./])www\."
# Every alternative is one rendered link at most, and consumes no more than it must, so that
# what it leaves may be counted as well: a label, an autolink's or an address's rest is only
# looked at (lookaheads), since the renderer may link an address inside what it does not.
_TOKENS = re.compile(
    "|".join(
        (
            r"(?P<escape>\\[!-/:-@\[-`{-~])",  # \[ is no bracket
            # [text](dest) and ![alt](src), however the text nests: the scheme of its
            # destination is consumed, so that its address is not counted again as a bare one.
            rf"(?P<inline>\]\(\s*<?(?:{_SCHEME})?)",
            rf"\[(?=(?P<label>{_LABEL})\])",  # a reference: [label], [text][label], [label][]
            r"(?P<autolink><[A-Za-z][A-Za-z0-9+.-]{1,31}:(?=[^\s<>]*>))",  # <scheme:...>
            rf"(?P<url>{_SCHEME})",  # a bare address, linked by linkify
            r"(?P<mail><(?=[^\s<>@]+@[^\s<>@.]+>))",  # <ann@localhost>
            # ann@example.com, linked as mailto: (linkify takes almost anything before "@")
            r"(?P<email>(?<=[^\s@])@(?=[\w-]+\.[\w-]))",
        )
    ),
    re.IGNORECASE,
)
# A reference definition: "[label]:" (anywhere: more than a Markdown renderer accepts, never fewer).
_DEFINITION = re.compile(rf"\\[!-/:-@\[-`{{-~]|\[({_LABEL})\]:")


def _normalized(label: str) -> str:
    """Return a label as Markdown compares them: whitespace folded, case ignored."""
    return " ".join(label.split()).lower().upper()


def _definitions(text: str) -> set[str]:
    return {_normalized(label) for label in _DEFINITION.findall(text) if label.strip()}


def _count(text: str) -> int:
    defined = _definitions(text)
    links = 0
    references: Counter[str] = Counter()
    for match in _TOKENS.finditer(text):
        kind = match.lastgroup
        if kind == "escape":
            continue
        if kind == "label":
            label = _normalized(match["label"])
            if label in defined:
                references[label] += 1
            continue
        links += 1
    # Each used label's occurrences include its definition, which renders nothing.
    return links + sum(count - 1 for count in references.values())


def count_links(*texts: str) -> int:
    """Return how many links the texts hold once rendered (or more, never fewer)."""
    return sum(_count(text) for text in texts)


def over_limit(cleaned: Mapping[str, str], max_links: int) -> bool:
    """Return whether a comment's author and text hold more links than the limit."""
    return count_links(*(cleaned.get(field, "") for field in ("author", "text"))) > max_links


def verdict(form: Mapping, cleaned: Mapping[str, str], max_links: int) -> str | None:
    """Return the status the spam signals give this comment, or None when they say nothing."""
    trap = form.get(HONEYPOT)
    if trap is not None and (not isinstance(trap, str) or trap.strip()):
        return SPAM
    if over_limit(cleaned, max_links):
        return PENDING
    return None
