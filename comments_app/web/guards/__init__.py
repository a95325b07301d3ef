"""Everything attached to the blueprints from outside: the handlers carry none of it.

The order below is the order the guards run for a request, stated once:

1. proxies: the client's address and scheme, from COMMENTS_TRUSTED_PROXIES hops only
   (WSGI middleware, before Flask);
2. hosts: a refused Host is answered 400 before anything else;
3. origins: forged cross-site writes (CSRF) refused, CORS answered when configured;
4. auth: HTTP Basic logins for readers and moderators (COMMENTS_AUTH_USERS,
   COMMENTS_ADMIN_USERS), counted by the login throttle;
5. editors: who may change a comment (a moderator, or its author with its token);
6. ratelimit: a write (a new comment, an author's edit or delete) is counted against the
   client's limit, a repeated POST too (a retry counts as one more, as a refused one does);
7. idempotency: a repeated Idempotency-Key is answered from its record, the client's own;
8. throttle: failed logins past COMMENTS_LOGIN_LIMIT are answered 429.
"""

from __future__ import annotations

from flask import Flask

from ...state import AppState
from . import auth, editors, hosts, idempotency, origins, proxies, ratelimit, throttle


def init_app(app: Flask, state: AppState) -> None:
    """Attach every guard the settings ask for, in the order they run."""
    settings = state.settings
    proxies.init_app(app, settings)
    hosts.init_app(app, settings)
    origins.init_app(app, settings)
    auth.init_app(app, settings)
    editors.init_app(app)
    ratelimit.init_app(app, state.limiter)
    idempotency.init_app(app)
    throttle.init_app(app)
