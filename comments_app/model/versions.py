"""Versions of the list, and the ETags of what is derived from one (a page, changes).

A version is opaque to clients: they hand back the Comments-Version header as ?since=.
Each store makes its own; this module says what any of them may look like and how the
ETags of a page and of a changes answer are spelled, the one spelling for stores and web.
"""

from __future__ import annotations

import re

# What a version looks like on either store; it is also part of an ETag, so nothing else.
VERSION_FORM = re.compile(r"[0-9A-Za-z-]{1,100}")


class VersionUnknown(ValueError):
    """A since value that is malformed, from the future, or from another store or epoch."""


class VersionGone(LookupError):
    """A since value older than the history the store keeps: the client reloads."""


def changes_etag(version: str, since: str) -> str:
    """Return the ETag of the changes from since to version (before its coding's suffix)."""
    return f"{version}.s{since}"


def page_etag(version: str, limit: int, before: int | None) -> str:
    """Return the ETag of a page of the list at a version (before its coding's suffix)."""
    return f"{version}.p{limit}" + ("" if before is None else f".b{before}")
