"""What is new, for readers elsewhere: the site's latest comments, and Atom feeds.

The latest comments across the site are listed only with COMMENTS_LATEST=on: a site with
unlisted pages does not want their comments listed. A thread's feed is its own page's
business, always there; the whole site's feed is the latest comments, under the same
switch. Routes of the comments blueprint, so that a login guarding reads guards these.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict

from feedgen.feed import FeedGenerator
from flask import current_app, request

from ...model.threads import DEFAULT
from ...state import app_state
from .. import threads
from ..errors import APIError
from .comments import bp, json_response

LATEST_LIMIT = 100
LATEST_DEFAULT = 20
# The newest comments a feed holds.
FEED_SIZE = 50
ATOM = "application/atom+xml"
# Feeds made per worker, by version: a feed reader polls, and a feed costs a parse.
_feeds: OrderedDict[tuple, bytes] = OrderedDict()
_feeds_lock = threading.Lock()
KEPT_FEEDS = 64
# What XML 1.0 cannot hold: a file imported or edited by hand may have it; the API refuses it.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def latest_enabled() -> None:
    if not app_state().settings.latest:
        raise APIError(404, "this site does not list its latest comments")


@bp.get("/api/comments/latest")
def latest_comments():
    """Answer the newest published comments of every thread, newest first (?limit=)."""
    latest_enabled()
    raw = request.args.get("limit", str(LATEST_DEFAULT))
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= LATEST_LIMIT):
        message = f"limit must be a whole number from 1 to {LATEST_LIMIT}"
        raise APIError(400, message, fields={"limit": message})
    comments = [shown_thread(comment) for comment in app_state().store.latest(int(raw))]
    return json_response(json.dumps(comments, ensure_ascii=False).encode())


def shown_thread(comment: dict) -> dict:
    """Return a comment with its thread named: null for the default thread."""
    return {**comment, "thread": comment.get("thread")}


@bp.get("/api/feed.atom")
def atom_feed():
    """Answer an Atom 1.0 feed of a thread's newest published comments (?thread=), or of
    the whole site's with COMMENTS_LATEST=on and no thread."""
    store = app_state().store
    if threads.FIELD in request.args:
        thread = threads.of_query(request.args)
        version = store.etag(thread)
    else:
        latest_enabled()
        thread, version = None, None
    key = (thread, version, request.host_url)
    body = _feeds.get(key) if version is not None else None
    if body is None:
        if thread is None:
            comments = store.latest(FEED_SIZE)
        else:
            shown = json.loads(store.snapshot(thread).body)
            comments = [comment for comment in reversed(shown) if not comment.get("removed")][:FEED_SIZE]
        body = atom(comments, thread)
        if version is not None:
            with _feeds_lock:
                _feeds[key] = body
                while len(_feeds) > KEPT_FEEDS:
                    _feeds.popitem(last=False)
    response = current_app.response_class(body, content_type=f"{ATOM}; charset=utf-8")
    if version is not None:
        response.set_etag(f"f{version}")
        response.make_conditional(request)
    return response


def atom(comments: list[dict], thread: str | None) -> bytes:
    """Return the comments (newest first) as an Atom feed."""
    site = app_state().settings.site_url
    feed = FeedGenerator()
    feed.id(request.url)
    feed.title(f"Comments on {thread}" if thread else "Latest comments")
    feed.link(href=request.url, rel="self", type=ATOM)
    if site:
        feed.link(href=site + (thread or "/"), rel="alternate")
    times = [comment.get("edited") or comment["created"] for comment in comments if comment.get("created")]
    feed.updated(max(times, default="1970-01-01T00:00:00.000Z"))
    for comment in reversed(comments):  # feedgen puts the last added first
        entry = feed.add_entry()
        entry.id(f"{request.host_url}api/comments/{comment['id']}")
        author = NOT_XML.sub("\ufffd", comment["author"])
        entry.title(f"{author} on {comment.get('thread') or thread or 'the page'}")
        entry.author(name=author)
        entry.content(NOT_XML.sub("\ufffd", comment["text"]), type="text")
        entry.published(comment.get("created") or "1970-01-01T00:00:00.000Z")
        entry.updated(comment.get("edited") or comment.get("created") or "1970-01-01T00:00:00.000Z")
        page = comment.get("thread") or thread
        if site and page != DEFAULT and page is not None:
            entry.link(href=f"{site}{page}#comment-{comment['id']}", rel="alternate")
    return feed.atom_str(pretty=False)
