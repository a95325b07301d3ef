"""HTTP Basic auth, attached to a blueprint from outside: its handlers carry no auth code.

from comments_app import auth
auth.protect(app, "comments", users={"alice": generate_password_hash("s3cret")})
"""

from __future__ import annotations

import functools
import hmac
import os

from flask import Flask, current_app, request
from flask_httpauth import HTTPBasicAuth
from werkzeug.security import check_password_hash, generate_password_hash

from .errors import error_response
from .throttle import get_throttle

REALM = "Comments"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

basic_auth = HTTPBasicAuth(realm=REALM)

# Checking a scrypt hash costs tens of milliseconds of CPU; a page polling every
# two seconds would pay it on every poll. Remember the passwords that passed, by
# a keyed digest (never the password itself), for this process's life.
_CACHE_KEY = os.urandom(32)
_CACHE_SIZE = 1024
_verified: set[tuple[str, bytes]] = set()


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(os.urandom(16).hex(), method)


def _hash_method(users: dict[str, str]) -> str:
    """The method of a configured hash, so that an unknown name costs what a known one does."""
    return next(iter(users.values())).split("$", 1)[0] if users else "scrypt"


def _cache_key(pw_hash: str, password: str) -> tuple[str, bytes]:
    return (pw_hash, hmac.digest(_CACHE_KEY, password.encode("utf-8", "surrogatepass"), "sha256"))


def password_matches(pw_hash: str, password: str) -> bool:
    """Check a password against a werkzeug hash, and remember it when it passes."""
    if not check_password_hash(pw_hash, password):
        return False
    if len(_verified) >= _CACHE_SIZE:
        _verified.clear()
    _verified.add(_cache_key(pw_hash, password))
    return True


@basic_auth.verify_password
def verify_password(username: str, password: str) -> str | None:
    if request.authorization is None:
        return None
    users: dict[str, str] = current_app.extensions["comments_auth_users"]
    pw_hash = users.get(username)
    if pw_hash is not None and _cache_key(pw_hash, password) in _verified:
        return username
    # Counted before hashing: a client past the limit is refused here, at no hash's cost.
    throttle = get_throttle()
    throttle.reserve()
    if pw_hash is None:
        # Spend the same time as for a known user, so names cannot be probed.
        check_password_hash(_dummy_hash(_hash_method(users)), password)
        return None
    if not password_matches(pw_hash, password):
        return None
    throttle.release()
    return username


@basic_auth.error_handler
def auth_error(status: int):
    if status == 401:
        return error_response(401, "a valid user name and password are needed (HTTP Basic auth)")
    return error_response(status)


# login_required answers 401 itself and lets OPTIONS (CORS preflights) through.
_login = basic_auth.login_required(lambda: None)


def protect(
    app: Flask, blueprint: str = "comments", users: dict[str, str] | None = None, scope: str = "all"
) -> None:
    """Require credentials for every request the blueprint answers, or only its writes."""
    if users is not None:
        app.extensions["comments_auth_users"] = dict(users)
    app.extensions.setdefault("comments_auth_users", {})

    @app.before_request
    def require_login():
        if request.blueprint != blueprint:
            return None
        if scope == "write" and request.method in SAFE_METHODS:
            return None
        return _login()


def init_app(app: Flask, settings: dict) -> None:
    """Protect the comments blueprint when COMMENTS_AUTH_USERS names users."""
    if settings["auth_users"]:
        protect(app, "comments", settings["auth_users"], settings["auth_scope"])
