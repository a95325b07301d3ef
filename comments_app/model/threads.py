"""Threads: the page a comment belongs to, named by its path, one spelling per page.

A thread is the page's path as a browser's location.pathname gives it
(`/blog/hello-world/`). Two spellings of one path are one thread: percent-encoding is
normalised as RFC 3986 section 6.2.2 says (an escaped unreserved character is the
character itself, hex digits upper case), and a character a path may not hold as it is
(a space, a letter beyond ASCII) is escaped as browsers escape it. A query or a
fragment is not part of a page's path. DEFAULT, the empty name, is the thread that
holds everything stored before threads: a request that names no thread reads and
writes it, exactly as before.
"""

from __future__ import annotations

import hashlib
import re
import string

DEFAULT = ""
MAX_LENGTH = 500
# RFC 3986: what a path may hold as it is (pchar and "/"); escapes come apart below.
UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
PATH_CHARACTERS = UNRESERVED | frozenset("!$&'()*+,;=:@/")
ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
# A path already in its one spelling, as pages ask for their threads: no work to do.
PLAIN = re.compile(rf"/[A-Za-z0-9\-._~!$&'()*+,;=:@/]{{0,{MAX_LENGTH - 1}}}")


class ThreadRefused(ValueError):
    """A thread name that is not a page's path; str(error) says why, for a person."""


def normalize(raw: str) -> str:
    """Return the one spelling of a page's path; raise ThreadRefused saying what is wrong."""
    if PLAIN.fullmatch(raw):
        return raw
    if not raw.startswith("/"):
        raise ThreadRefused("thread must be a page's path, starting with /")
    if "?" in raw or "#" in raw:
        raise ThreadRefused("thread is a page's path: a query (?…) or fragment (#…) is not part of it")
    if re.search(r"%(?![0-9A-Fa-f]{2})", raw):
        raise ThreadRefused("thread has a % that does not start an escape like %2F")
    # split keeps the escapes' hex digits at the odd places, the text between at the even.
    parts = ESCAPE.split(raw)
    spelled = "".join(_unescaped(part) if odd else _escaped_text(part) for odd, part in _alternating(parts))
    if len(spelled) > MAX_LENGTH:
        raise ThreadRefused(f"thread must be at most {MAX_LENGTH} characters, escapes included")
    return spelled


def _alternating(parts: list[str]):
    return ((number % 2 == 1, part) for number, part in enumerate(parts))


def _unescaped(digits: str) -> str:
    """Return an escape as one spelling: an unreserved character as itself, any other escaped."""
    character = chr(int(digits, 16))
    return character if character in UNRESERVED else "%" + digits.upper()


def _escaped_text(text: str) -> str:
    """Escape what a path may not hold as it is, as a browser does (UTF-8, upper-case hex)."""
    return "".join(
        character
        if character in PATH_CHARACTERS
        else "".join(f"%{byte:02X}" for byte in character.encode("utf-8", "surrogatepass"))
        for character in text
    )


def tag(thread: str) -> str:
    """Return a short name for a thread, safe in a file name and a version: hex digits."""
    return hashlib.blake2b(thread.encode(), person=b"comments thread", digest_size=10).hexdigest()
