"""The names the API is spelled with, once: the blueprints and endpoints the guards attach by
and the API registers under, the list's paths, and the header its version travels in."""

from __future__ import annotations

from flask import Request

COMMENTS = "comments"
MODERATION = "moderation"

LIST = f"{COMMENTS}.list_comments"
ADD = f"{COMMENTS}.add_comment"
GET = f"{COMMENTS}.get_comment"
EDIT = f"{COMMENTS}.edit_comment"
DELETE = f"{COMMENTS}.delete_comment"
# The endpoints that change one comment, each with the comment's id in the URL.
CHANGES = frozenset({EDIT, DELETE})

# Where the list is: the API's address and the tutorial's older one.
LIST_PATHS = ("/api/comments", "/comments.json")
# Where the counts are, and the environ key under which their handler tells the list cache
# (serving/list_cache.py) which threads it counted and at which versions.
COUNTS_PATH = "/api/counts"
COUNTED = "comments.counted"
# Where a thread's changes are pushed as they happen (Server-Sent Events).
EVENTS_PATH = "/api/comments/events"
# The header every list answer carries: the version a client passes back as ?since=.
VERSION_HEADER = "Comments-Version"
# The methods that only read (RFC 9110).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_new_comment(request: Request) -> bool:
    """Tell whether the request posts a new comment."""
    return request.method == "POST" and request.blueprint == COMMENTS


def is_write(request: Request) -> bool:
    """Tell whether the request writes the list: posts, edits or deletes a comment."""
    if request.method in SAFE_METHODS:
        return False
    return is_new_comment(request) or request.endpoint in CHANGES
