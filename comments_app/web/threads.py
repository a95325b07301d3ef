"""Which thread a request names: ?thread= on reads, a field or ?thread= on a new comment.

No thread named is the default thread (model/threads.py), so every client from before
threads reads and writes what it always did. A bad name is a 400 naming `thread`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..model import threads
from .errors import APIError

FIELD = "thread"


def named(raw: object) -> str:
    """Return the one spelling of a thread a client gave; refuse a bad one with a 400."""
    if not isinstance(raw, str):
        refuse("thread must be a page's path, given as a string")
    try:
        return threads.normalize(raw)
    except threads.ThreadRefused as error:
        refuse(str(error))


def refuse(message: str):
    raise APIError(400, message, fields={FIELD: message})


def of_query(args: Mapping) -> str:
    """Return the thread ?thread= names, or the default thread; it is named once at most."""
    given = args.getlist(FIELD) if hasattr(args, "getlist") else [args[FIELD]] if FIELD in args else []
    if len(given) > 1:
        refuse("thread is named more than once")
    return named(given[0]) if given else threads.DEFAULT


def of_submission(args: Mapping, fields: Mapping) -> str:
    """Return the thread of a new comment: its field or ?thread=; both given must agree."""
    in_query = of_query(args)
    if FIELD not in fields:
        return in_query
    in_body = named(fields[FIELD])
    if FIELD in args and in_body != in_query:
        refuse("thread is given in the query and in the body, differently")
    return in_body


def check_allowed(thread: str, pattern: re.Pattern | None) -> None:
    """Refuse a new comment on a page outside COMMENTS_THREAD_PATTERN with a 403."""
    if thread != threads.DEFAULT and pattern is not None and not pattern.fullmatch(thread):
        raise APIError(403, "this page does not take comments: its path is not one this site comments on")
