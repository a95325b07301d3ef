"""Throttle failed Basic logins per client, before any password hash is computed.

A wrong password costs the server a scrypt hash (about 100 ms of CPU). A client past
COMMENTS_LOGIN_LIMIT failures is answered 429 at the cost of one counter update.
"""

from __future__ import annotations

from functools import cached_property

from flask import Flask, current_app
from flask_limiter import Limiter
from limits import parse_many
from limits.strategies import FixedWindowRateLimiter

from .ratelimit import client_key, retry_after, too_many_response


class LoginsThrottled(Exception):
    """This client failed to log in too often; it may try again in `seconds`."""

    def __init__(self, seconds: int, limit: str) -> None:
        super().__init__(f"too many failed logins from your address (at most {limit})")
        self.seconds = seconds


class LoginThrottle:
    """Per-client counts of failed logins in the storage of the rate limits, which every
    worker shares (the limiter's, once ratelimit.init_app has given it its storage)."""

    def __init__(self, limits: Limiter, limits_text: str) -> None:
        self.limits = limits
        self.items = parse_many(limits_text) if limits_text else []

    @cached_property
    def limiter(self) -> FixedWindowRateLimiter:
        return FixedWindowRateLimiter(self.limits.storage)

    def reserve(self) -> None:
        """Count this try as failed before checking it; raise LoginsThrottled past the limit.

        Counting first, and taking the count back when the password is right, keeps the
        count exact when many tries arrive at once: never more hashes than the limit.
        """
        key = client_key()
        for item in self.items:
            try:
                allowed = self.limiter.hit(item, "login", key)
                reset = self.limiter.get_window_stats(item, "login", key).reset_time if not allowed else 0
            except self.limiter.storage.base_exceptions:
                current_app.logger.exception("the login throttle cannot count; letting this try through")
                return
            if not allowed:
                raise LoginsThrottled(retry_after(reset), str(item))

    def release(self) -> None:
        """Take back the count of a try whose password was right."""
        key = client_key()
        for item in self.items:
            try:
                self.limiter.storage.incr(item.key_for("login", key), item.get_expiry(), -1)
            except self.limiter.storage.base_exceptions:
                current_app.logger.exception("the login throttle cannot count")


def handle_throttled(error: LoginsThrottled):
    return too_many_response(str(error), error.seconds)


def init_app(app: Flask) -> None:
    """Answer a throttled login 429, as a refused comment is."""
    app.register_error_handler(LoginsThrottled, handle_throttled)
