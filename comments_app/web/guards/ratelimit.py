"""Limit how fast one client writes comments (Flask-Limiter over stores/ratelimits.py).

Posting, editing and deleting a comment count against one limit (COMMENTS_RATE_LIMIT):
each is a write of the whole list (the file store rewrites its file), so an author's
edits cost what new comments do. A moderator's edits and deletes do not count: a
moderator has logged in with a password (COMMENTS_ADMIN_USERS), and a spam wave is
when a moderator must hide or delete many comments in a minute. Reading the list,
however often a page polls, never counts. Every counted write counts, refused ones too,
so that a burst is counted exactly as it arrives.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limit, Limiter, RateLimitExceeded

from ...config import Settings
from ...model.editing import MODERATOR
from ...state import app_state
from ...stores import ratelimits  # noqa: F401 - registers the comments:// storage with limits
from ..endpoints import is_write
from ..errors import error_response


def client_key() -> str:
    """Return who the client is: its address (after ProxyFix), an IPv6 client by its /64."""
    address = request.remote_addr or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        # One IPv6 subscriber holds a whole /64 and can pick any address in it.
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def is_counted() -> bool:
    """Tell whether the request is a write the limit counts: anyone's but a moderator's.

    The editors guard runs first and has set request.editor for an edit or a delete.
    """
    return is_write(request) and request.editor != MODERATOR


def is_not_counted() -> bool:
    return not is_counted()


def retry_after(reset_time: float) -> int:
    """Whole seconds until a window resets, at least 1."""
    return max(1, math.ceil(reset_time - time.time()))


def too_many_response(message: str, seconds: int):
    response = error_response(429, f"{message}; try again in {seconds} seconds", retry_after=seconds)
    response.headers["Retry-After"] = str(seconds)
    return response


def handle_rate_limit(error: RateLimitExceeded):
    current = app_state().limiter.current_limit
    try:
        seconds = retry_after(current.window.reset_time) if current else 60
    except Exception:
        # The storage failed between counting and this answer: a whole window is safe.
        current_app.logger.exception("cannot read when the rate limit resets")
        seconds = error.limit.limit.get_expiry()
    return too_many_response(
        f"too many comments and changes from your address (at most {error.limit.limit})", seconds
    )


# Flask-Limiter settings an embedding app may give that limit every request, not only
# counted writes: with one of them, this limiter's hooks run for every request.
LIMITS_OF_EVERY_REQUEST = ("RATELIMIT_APPLICATION", "RATELIMIT_META")


# The scope of the one count that posts, edits and deletes share, in the limit's key.
WRITES = "writes"


def make_limiter(settings: Settings) -> Limiter:
    """Return the limiter of writes per client, counting in the shared storage."""
    # One count per client for every write route, shared: a default limit is otherwise
    # counted per route, and a client would have the limit once for posts, once for edits
    # and once for deletes.
    writes = Limit(settings.rate_limit, scope=WRITES, shared=True, exempt_when=is_not_counted)
    return Limiter(
        client_key,
        default_limits=[writes] if settings.rate_limit else [],
        storage_uri="comments://",
        storage_options={"path": str(settings.limits_file), "redis_url": settings.redis_url},
        strategy="fixed-window",
        # A storage that fails (a broken SQLite file) must not refuse comments: let them in, logged.
        swallow_errors=True,
        key_prefix="comments",
    )


def init_app(app: Flask, limiter: Limiter) -> None:
    """Attach the limiter's hooks for counted writes; answer 429 past the limit."""
    if any(app.config.get(name) for name in LIMITS_OF_EVERY_REQUEST):
        limiter.init_app(app)  # an embedding app's own limits: every request is checked
    else:
        for_counted_writes_only(app, limiter.init_app)
    app.register_error_handler(RateLimitExceeded, handle_rate_limit)


def for_counted_writes_only(app: Flask, register: Callable[[Flask], None]) -> None:
    """Call register(app), then run the request hooks it added for counted writes only.

    Flask-Limiter's before_request hook works out every request's limits, reads and all,
    before its exemption says no: on a GET of the list that was 40% of the app's own work
    (docs/performance.md). Only a counted write is ever counted (is_not_counted), so for
    the other requests its hooks (the check, the headers, the context's reset) are
    skipped, and their answer is the same; a GET is let through at the method's check.
    Limits for other routes belong on a Limiter of their own, whose hooks are its own.
    """
    registries = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    known = [list(registry.get(None, ())) for registry in registries]
    register(app)
    for registry, old in zip(registries, known, strict=True):
        hooks = registry.get(None, [])
        registry[None] = [hook if hook in old else only_for_counted_writes(hook) for hook in hooks]


def only_for_counted_writes(hook: Callable) -> Callable:
    """Wrap a before_request, after_request or teardown hook: it runs for counted writes only.
    Otherwise the wrapper gives back what it was given (the response, for after_request)."""

    def hook_for_counted_writes(*args: Any) -> Any:
        if is_not_counted():
            return args[0] if args else None
        return hook(*args)

    return hook_for_counted_writes
