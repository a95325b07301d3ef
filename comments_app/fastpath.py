"""The plain list's fast path: GET /api/comments answered beneath Flask, the same bytes.

Every open page of a tutorial client polls the whole list (GET /api/comments, no query),
most often getting a 304; the project's own page polls ?since=<version> with If-None-Match,
getting a 304 while nothing changes. Flask's request machinery (a request context,
routing, eight hooks, a Response object) cost more server CPU than these answers
themselves (docs/performance.md). This WSGI middleware answers the plain list, and the 304
of a changes poll, and only while the answer depends on nothing but the store, the Host,
Accept-Encoding, If-None-Match and the version polled:

- the app is configured as create_app left it (the same request hooks, the same view and
  TRUSTED_HOSTS), with reads not behind a login and no CORS origins (their hooks answer
  differently per request); a hook attached afterwards, such as auth.protect() on a
  running app, sends every request through Flask again;
- the request is a GET of /api/comments or /comments.json, for a host the app answers
  (hosts.py's rules, remembered per Host header), with no query string, or with exactly
  since=<version> (as written, no escapes) and an If-None-Match that still matches.

Anything else goes to Flask unchanged (the changes themselves, too), and so does a
request whose store read fails, to be answered and logged as usual. The answer is built
from the same parts as the handler's (comments.list_headers, headers.hardening);
tests/test_fastpath.py checks that both paths give the same status, headers and body.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from flask import (
    Flask,
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    request_finished,
    request_started,
    request_tearing_down,
)
from werkzeug.http import parse_etags

from . import encoding, headers, hosts
from .comments import VERSION_FORM, changes_etag, list_headers, not_modified_headers
from .config import Settings

PATHS = frozenset({"/api/comments", "/comments.json"})
# The page's poll for changes, when it is exactly this query: anything else goes to Flask.
SINCE = re.compile(f"since=({VERSION_FORM.pattern})")
# The handler the fast path stands in for, and its blueprint's name.
ENDPOINT = "comments.list_comments"
BLUEPRINT = "comments"
# What Flask sends around a request, and the fast path does not: with a receiver connected,
# which may change the answer or count requests, every request goes through Flask.
SIGNALS = (
    request_started,
    request_finished,
    request_tearing_down,
    appcontext_pushed,
    appcontext_popped,
    appcontext_tearing_down,
)


class PlainListFastPath:
    """WSGI middleware answering a plain GET of the list as the app would, without Flask."""

    def __init__(self, app: Flask, settings: Settings) -> None:
        self.app = app
        self.wsgi_app = app.wsgi_app
        # What the security headers hook adds to a JSON answer that sets none of them.
        self.tail = [*headers.hardening(settings), headers.JSON_CACHE_CONTROL]
        reads_open = not settings.auth_users or settings.auth_scope == "write"
        self.possible = reads_open and not settings.cors_origins
        self.frozen: tuple | None = None
        self.host_answered: Callable[[str, str], bool] = lambda scheme, host: False
        self.settings = settings

    def freeze(self) -> None:
        """Take the app's configuration as it is now (at the end of create_app) as the one
        the fast path reproduces; from then on it answers while nothing has changed."""
        self.frozen = self.configuration()
        trusted = self.app.config["TRUSTED_HOSTS"]
        self.host_answered = hosts.verdict(self.settings, None if trusted is None else list(trusted))

    def configuration(self) -> tuple:
        """Return what a plain GET of the list depends on in the app: the hooks run for it
        and its view, the response class, the trusted hosts and the session key; and
        whether anything listens to the request signals, which are not sent here. (The
        store is read from app.extensions on each request, as the handler reads it.)"""
        app = self.app
        registries = (
            app.url_value_preprocessors,
            app.before_request_funcs,
            app.after_request_funcs,
            app.teardown_request_funcs,
        )
        hooks = tuple(tuple(registry.get(name, ())) for registry in registries for name in (None, BLUEPRINT))
        trusted = app.config["TRUSTED_HOSTS"]
        return (
            hooks,
            tuple(app.teardown_appcontext_funcs),
            app.view_functions.get(ENDPOINT),
            app.response_class,
            None if trusted is None else tuple(trusted),
            app.config["SECRET_KEY"],
            any(signal.receivers for signal in SIGNALS),
        )

    def takes(self, environ: dict) -> bool:
        """Tell whether this request is the plain list, answered here as Flask would."""
        return (
            self.possible
            and environ["REQUEST_METHOD"] == "GET"
            and environ.get("PATH_INFO") in PATHS
            and (not environ.get("QUERY_STRING") or "HTTP_IF_NONE_MATCH" in environ)
            and self.host_answered(environ["wsgi.url_scheme"], environ.get("HTTP_HOST", ""))
            and self.configuration() == self.frozen
        )

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.takes(environ):
            try:
                answer = self.answer(environ)
            except Exception:
                answer = None  # Flask answers it, and logs it, as it would anyway
            if answer is not None:
                status, answer_headers, body = answer
                start_response(status, answer_headers)
                return [body]
        return self.wsgi_app(environ, start_response)

    def answer(self, environ: dict) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """Return the status, headers and body of the list or of a 304, or None for Flask."""
        query = environ.get("QUERY_STRING")
        since = None
        if query:
            polled = SINCE.fullmatch(query)
            if polled is None:
                return None
            since = polled.group(1)
        coding = encoding.choose(environ.get("HTTP_ACCEPT_ENCODING"))
        condition = environ.get("HTTP_IF_NONE_MATCH")
        store = self.app.extensions["comments_store"]
        if condition:
            version = store.etag()
            tag = encoding.tagged(version if since is None else changes_etag(version, since), coding)
            if parse_etags(condition).contains_weak(tag):
                return "304 NOT MODIFIED", [*not_modified_headers(tag, version), *self.tail], b""
        if since is not None:
            return None  # the changes themselves: Flask
        snapshot = store.snapshot()
        body = snapshot.body
        if coding != encoding.IDENTITY:
            body = self.app.extensions["comments_compressed"].get(snapshot.etag, coding, body)
        tag = encoding.tagged(snapshot.etag, coding)
        listed = list_headers(tag, coding, snapshot.etag)
        return "200 OK", [*listed, ("Content-Length", str(len(body))), *self.tail], body


def init_app(app: Flask, settings: Settings) -> None:
    """Put the fast path directly around Flask (inside ProxyFix, which then runs first);
    it answers nothing until ready(app) says the app is configured."""
    fast = PlainListFastPath(app, settings)
    app.wsgi_app = fast
    app.extensions["comments_fastpath"] = fast


def ready(app: Flask) -> None:
    """Freeze the configuration the fast path reproduces: call last in create_app."""
    app.extensions["comments_fastpath"].freeze()
