"""Email addresses: what the settings and a comment's optional email are checked with."""

from __future__ import annotations

import re

# An email address as mails need it: a local part of RFC 5322's atext (but the backtick,
# which nobody's address holds) and dots: no space, quote, bracket or control character,
# nothing that could break a header; an @; and a domain of labels of letters, digits and
# inner hyphens (an international one in its xn-- form). Deliberately plain: the SMTP
# server has the last word. openapi.yaml says the same.
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = re.compile(rf"[A-Za-z0-9.!#$%&'*+/=?^_{{|}}~-]{{1,64}}@{LABEL}(?:\.{LABEL})*")
EMAIL_LIMIT = 254


def email_problem(address: str) -> str | None:
    """Say why an address is not an email address, or None when it is one."""
    if len(address) > EMAIL_LIMIT:
        return f"email is {len(address):,} characters long; the limit is {EMAIL_LIMIT}"
    if not EMAIL.fullmatch(address):
        return "email is not an email address like name@example.org"
    return None
