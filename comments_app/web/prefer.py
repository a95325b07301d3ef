"""The client's Prefer header (RFC 7240), read into {preference: value}."""

from __future__ import annotations

from werkzeug.datastructures import Headers
from werkzeug.http import parse_list_header


def preferences(headers: Headers) -> dict[str, str]:
    """Return the preferences of every Prefer header; names lower-cased, the first of each kept.

    "Prefer: respond-async, return=minimal; foo" gives {"respond-async": "", "return": "minimal"}.
    """
    found: dict[str, str] = {}
    for header in headers.getlist("Prefer"):
        for item in parse_list_header(header):
            preference = item.split(";", 1)[0]
            name, _, value = preference.partition("=")
            name = name.strip().lower()
            if name and name not in found:
                found[name] = value.strip().strip('"')
    return found


def wants_minimal(headers: Headers) -> bool:
    """Tell whether the client asked for Prefer: return=minimal."""
    return preferences(headers).get("return", "").lower() == "minimal"
