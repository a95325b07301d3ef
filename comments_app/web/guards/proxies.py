"""Trust the X-Forwarded-* headers of COMMENTS_TRUSTED_PROXIES proxy hops, and no more.

With 0 (the default off Heroku) the client's address and scheme are the socket's and
every X-Forwarded-* header is ignored, so a client cannot choose its own identity.
With N, Werkzeug's ProxyFix takes the client's address from the N-th X-Forwarded-For
entry counted from the right (the one our own proxy appended) and the scheme from
X-Forwarded-Proto.

X-Forwarded-Host and X-Forwarded-Port are never trusted: Heroku's router and the usual
nginx setup pass the visitor's Host through unchanged and route by it, and a router that
forwards a client's own X-Forwarded-Host untouched (Heroku's does) would otherwise let
any client choose the host the app sees, and so get past COMMENTS_ALLOWED_HOSTS.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ...config import Settings


def init_app(app: Flask, settings: Settings) -> None:
    """Wrap the app in ProxyFix when the settings name proxy hops to trust."""
    hops = settings.trusted_proxies
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)
