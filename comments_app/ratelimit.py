"""Limit how fast one client creates comments (Flask-Limiter over limitstorage.py).

Only creating a comment counts: reading the list, however often a page polls, never does.
Every POST counts, refused ones too, so that a burst is counted exactly as it arrives.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter, RateLimitExceeded

from . import limitstorage  # noqa: F401 - registers the comments:// storage with limits
from .config import Settings
from .errors import error_response


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


def is_not_a_new_comment() -> bool:
    return not (request.method == "POST" and request.blueprint == "comments")


def retry_after(reset_time: float) -> int:
    """Whole seconds until a window resets, at least 1."""
    return max(1, math.ceil(reset_time - time.time()))


def too_many_response(message: str, seconds: int):
    response = error_response(429, f"{message}; try again in {seconds} seconds", retry_after=seconds)
    response.headers["Retry-After"] = str(seconds)
    return response


def handle_rate_limit(error: RateLimitExceeded):
    limiter: Limiter = current_app.extensions["comments_limiter"]
    current = limiter.current_limit
    try:
        seconds = retry_after(current.window.reset_time) if current else 60
    except Exception:
        # The storage failed between counting and this answer: a whole window is safe.
        current_app.logger.exception("cannot read when the rate limit resets")
        seconds = error.limit.limit.get_expiry()
    return too_many_response(f"too many comments from your address (at most {error.limit.limit})", seconds)


def init_app(app: Flask, settings: Settings) -> None:
    """Count new comments per client in the shared storage; answer 429 past the limit."""
    limiter = Limiter(
        client_key,
        default_limits=[settings.rate_limit] if settings.rate_limit else [],
        default_limits_exempt_when=is_not_a_new_comment,
        storage_uri="comments://",
        storage_options={"path": str(settings.limits_file), "redis_url": settings.redis_url},
        strategy="fixed-window",
        # A storage that fails (a broken SQLite file) must not refuse comments: let them in, logged.
        swallow_errors=True,
        key_prefix="comments",
    )
    limiter.init_app(app)
    only_for_new_comments(app, limiter)
    app.extensions["comments_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, handle_rate_limit)


def only_for_new_comments(app: Flask, limiter: Limiter) -> None:
    """Run Flask-Limiter's three request hooks for new comments only.

    Its before_request hook works out the limits of every request, reads and all, before
    the exemption says no: on a GET of the list that was 40% of the app's own work
    (docs/performance.md). Only a new comment is ever counted (is_not_a_new_comment), so
    the other requests skip the hooks, and their answer is the same.
    """
    check = limiter._check_request_limit  # the hook init_app registered
    release = limiter._Limiter__release_context

    def check_new_comment() -> None:
        if not is_not_a_new_comment():
            check()

    def release_new_comment(error: BaseException | None = None) -> None:
        if not is_not_a_new_comment():
            release(error)

    def is_inject(hook) -> bool:
        return isinstance(hook, functools.partial) and hook.args == (limiter,)

    before = app.before_request_funcs[None]
    before[before.index(check)] = check_new_comment
    teardown = app.teardown_request_funcs[None]
    teardown[teardown.index(release)] = release_new_comment
    after = app.after_request_funcs[None]
    for index, hook in enumerate(after):
        if is_inject(hook):
            after[index] = functools.partial(inject_for_new_comment, hook)


def inject_for_new_comment(inject, response):
    """Flask-Limiter's after_request hook (its X-RateLimit headers, off here), for new comments only."""
    return response if is_not_a_new_comment() else inject(response)
