"""Check a submitted comment: a pure function from the form to a clean comment or reasons."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

LIMITS = {"author": 100, "text": 10_000}

# Control characters and lone surrogates (which cannot be stored as UTF-8); the
# text may keep tabs and line breaks, the author is a single line.
FORBIDDEN = {
    "author": re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]"),
    "text": re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]"),
}


def clean_comment(form: Mapping) -> tuple[dict[str, str], dict[str, str]]:
    """Return (the cleaned author and text, {field: why it is refused})."""
    return clean_fields(form, LIMITS)


def clean_fields(form: Mapping, fields: Mapping[str, int]) -> tuple[dict[str, str], dict[str, str]]:
    """Check the given fields of a form (the author NFKC-normalised); return (cleaned, reasons)."""
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field, limit in fields.items():
        value = form.get(field)
        if field == "author" and isinstance(value, str):
            value = unicodedata.normalize("NFKC", value)
        problem = field_problem(field, value, limit)
        if problem:
            errors[field] = problem
        else:
            cleaned[field] = value.strip()
    return cleaned, errors


def field_problem(field: str, value: object, limit: int) -> str | None:
    """Say why a field's value is refused, or None when it is fine."""
    if value is None:
        return f"{field} is missing"
    if not isinstance(value, str):
        return f"{field} must be a string"
    value = value.strip()
    if not value:
        return f"{field} must not be empty"
    if len(value) > limit:
        return f"{field} is {len(value):,} characters long; the limit is {limit:,}"
    bad = FORBIDDEN[field].search(value)
    if bad is not None:
        if bad.group() in "\r\n":
            return f"{field} must be a single line"
        return f"{field} contains control characters or invalid Unicode"
    if field == "author":
        return name_problem(value)
    return None


def name_problem(name: str) -> str | None:
    """Say why a (normalised) name could pass for another, or None when it is fine.

    Invisible characters make "Admin" + zero width space look like "Admin", bidi controls
    show "Ad" + RLO + "nim" as "Adnim" reversed, and private-use characters look like
    whatever a font draws for them: none of them belongs in a name people read.
    """
    for char in name:
        category = unicodedata.category(char)
        if category in ("Zl", "Zp"):
            return "author must be a single line"
        if category == "Cf":
            return f"author contains an invisible formatting character ({describe(char)})"
        if category == "Co":
            return f"author contains a private-use character ({describe(char)})"
    return None


def describe(char: str) -> str:
    """Name a character for a person: U+202E RIGHT-TO-LEFT OVERRIDE."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".rstrip()


def clean_changes(form: Mapping, statuses: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """Return (the cleaned changes of an edit, {field: why it is refused}).

    author and text are checked exactly as in a new comment; status must be one
    of statuses. Other fields are ignored, as in a new comment.
    """
    changes, errors = clean_fields(form, {field: limit for field, limit in LIMITS.items() if field in form})
    if "status" in form:
        status = form.get("status")
        if status in statuses:
            changes["status"] = status
        else:
            errors["status"] = f"status must be one of {', '.join(statuses)}"
    if not changes and not errors:
        errors["text"] = "nothing to change: send text, author or status"
    return changes, errors
