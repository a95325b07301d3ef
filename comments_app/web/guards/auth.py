"""HTTP Basic auth, attached to a blueprint from outside: its handlers carry no auth code.

from comments_app.web.guards import auth
auth.protect(app, "comments", users={"alice": generate_password_hash("s3cret")})

Two kinds of users: readers (COMMENTS_AUTH_USERS, realm "Comments") and
moderators (COMMENTS_ADMIN_USERS, realm "Comments moderation"). A moderator's
login also opens what a reader's does; a reader's never opens moderation.
"""

from __future__ import annotations

import functools
import hmac
import os
from collections.abc import Mapping
from types import MappingProxyType

from flask import Flask, request
from flask_httpauth import HTTPBasicAuth
from werkzeug.security import check_password_hash, generate_password_hash

from ...config import Settings
from ...cooperative import blocking
from ...state import app_state
from .. import endpoints
from ..endpoints import SAFE_METHODS
from ..errors import error_response

REALM = "Comments"
MODERATION_REALM = "Comments moderation"

basic_auth = HTTPBasicAuth(realm=REALM)
moderator_auth = HTTPBasicAuth(realm=MODERATION_REALM)

# Checking a scrypt hash costs tens of milliseconds of CPU; a page polling every
# two seconds would pay it on every poll. Remember the passwords that passed, by
# a keyed digest (never the password itself), for this process's life.
_CACHE_KEY = os.urandom(32)
_CACHE_SIZE = 1024
_verified: set[tuple[str, bytes]] = set()


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(os.urandom(16).hex(), method)


def _hash_method(user_sets: list[Mapping[str, str]]) -> str:
    """The method of a configured hash, so that an unknown name costs what a known one does."""
    for users in user_sets:
        for pw_hash in users.values():
            return pw_hash.split("$", 1)[0]
    return "scrypt"


def _cache_key(pw_hash: str, password: str) -> tuple[str, bytes]:
    return (pw_hash, hmac.digest(_CACHE_KEY, password.encode("utf-8", "surrogatepass"), "sha256"))


def password_matches(pw_hash: str, password: str) -> bool:
    """Check a password against a werkzeug hash, and remember it when it passes."""
    # Tens of milliseconds of CPU (scrypt releases the GIL): off the event loop.
    if not blocking(check_password_hash, pw_hash, password):
        return False
    if len(_verified) >= _CACHE_SIZE:
        _verified.clear()
    _verified.add(_cache_key(pw_hash, password))
    return True


def check_user(user_sets: list[Mapping[str, str]], username: str, password: str) -> str | None:
    """Return the user name when the password is theirs in one of the sets, else None.

    A password that passed before is known at once. Any other try is counted as a failed
    login before its hash is computed (and the count taken back when it passes), so a
    client past COMMENTS_LOGIN_LIMIT gets 429 (throttle.LoginsThrottled) at no hash's cost.
    The user it returns is remembered on the request (request.login_user), proven once.
    """
    if request.authorization is None:
        return None
    hashes = [users[username] for users in user_sets if username in users]
    if any(_known(pw_hash, password) for pw_hash in hashes):
        return _proven(username)
    throttle = app_state().throttle
    throttle.reserve()
    if not hashes:
        # Spend the same time as for a known user, so names cannot be probed.
        dummy = _dummy_hash(_hash_method(user_sets))
        blocking(check_password_hash, dummy, password)
        return None
    if not any(password_matches(pw_hash, password) for pw_hash in hashes):
        return None
    throttle.release()
    return _proven(username)


def _known(pw_hash: str, password: str) -> bool:
    """Whether this password passed against this hash before, in this process."""
    return _cache_key(pw_hash, password) in _verified


def _proven(username: str) -> str:
    """Remember on the request that its password is this user's, and return the name."""
    request.login_user = username
    return username


@basic_auth.verify_password
def verify_password(username: str, password: str) -> str | None:
    """A reader's login, or a moderator's: moderators may read and post too."""
    state = app_state()
    return check_user([state.readers, state.moderators], username, password)


@moderator_auth.verify_password
def verify_moderator(username: str, password: str) -> str | None:
    return check_user([app_state().moderators], username, password)


def current_moderator() -> str | None:
    """Return the moderator the request's Basic credentials name, or None; never answers."""
    credentials = request.authorization
    if credentials is None or credentials.type != "basic" or credentials.username is None:
        return None
    username, password = credentials.username, credentials.password or ""
    if request.login_user != username:
        return verify_moderator(username, password)
    # This request proved its password already (a reader's login): asking whether its user
    # is also a moderator is no new login, so no failure is counted, whatever the answer.
    pw_hash = app_state().moderators.get(username)
    if pw_hash is None:
        return None
    # The same name may be a moderator's with a password of its own: only then is it hashed.
    if _known(pw_hash, password) or password_matches(pw_hash, password):
        return username
    return None


@basic_auth.error_handler
def auth_error(status: int):
    if status == 401:
        return error_response(401, "a valid user name and password are needed (HTTP Basic auth)")
    return error_response(status)


@moderator_auth.error_handler
def moderator_error(status: int):
    if status == 401:
        return error_response(401, "a moderator's user name and password are needed (HTTP Basic auth)")
    return error_response(status)


# login_required answers 401 itself and lets OPTIONS (CORS preflights) through.
_login = basic_auth.login_required(lambda: None)
_moderator_login = moderator_auth.login_required(lambda: None)


def protect(
    app: Flask,
    blueprint: str = endpoints.COMMENTS,
    users: Mapping[str, str] | None = None,
    scope: str = "all",
) -> None:
    """Require credentials for every request the blueprint answers, or only its writes."""
    if users is not None:
        app_state(app).readers = MappingProxyType(dict(users))

    @app.before_request
    def require_login():
        if request.blueprint != blueprint:
            return None
        if scope == "write" and request.method in SAFE_METHODS:
            return None
        return _login()


def protect_moderation(app: Flask, blueprint: str = endpoints.MODERATION) -> None:
    """Require a moderator's credentials for every request the blueprint answers."""

    @app.before_request
    def require_moderator():
        if request.blueprint != blueprint:
            return None
        return _moderator_login()


def init_app(app: Flask, settings: Settings) -> None:
    """Protect the comments blueprint when COMMENTS_AUTH_USERS names users; moderation always."""
    if settings.auth_users:
        protect(app, endpoints.COMMENTS, scope=settings.auth_scope)
    protect_moderation(app)
    if settings.auth_users or settings.admin_users:
        # Made now, not on the first unknown name, whose answer would otherwise take two hashes.
        _dummy_hash(_hash_method([settings.auth_users, settings.admin_users]))
