"""Check a submitted comment: a pure function from the form to a clean comment or reasons."""

from __future__ import annotations

import re
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
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field, limit in LIMITS.items():
        value = form.get(field)
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
    if bad is None:
        return None
    if bad.group() in "\r\n":
        return f"{field} must be a single line"
    return f"{field} contains control characters or invalid Unicode"


def clean_changes(form: Mapping, statuses: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """Return (the cleaned changes of an edit, {field: why it is refused}).

    author and text are checked exactly as in a new comment; status must be one
    of statuses. Other fields are ignored, as in a new comment.
    """
    changes: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field, limit in LIMITS.items():
        if field not in form:
            continue
        value = form.get(field)
        problem = field_problem(field, value, limit)
        if problem:
            errors[field] = problem
        else:
            changes[field] = value.strip()
    if "status" in form:
        status = form.get("status")
        if status in statuses:
            changes["status"] = status
        else:
            errors["status"] = f"status must be one of {', '.join(statuses)}"
    if not changes and not errors:
        errors["text"] = "nothing to change: send text, author or status"
    return changes, errors
