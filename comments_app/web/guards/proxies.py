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

Some proxies append the client's address with its port ("192.0.2.1:51234",
"[2001:db8::3]:443"): the address the app sees is the address alone, so that a client is
one client to the rate limit, the login throttle and Idempotency-Key scoping (which key on
it), and to the logs, whatever port its connections come from.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ...config import Settings


def init_app(app: Flask, settings: Settings) -> None:
    """Wrap the app in ProxyFix when the settings name proxy hops to trust."""
    hops = settings.trusted_proxies
    if hops:
        app.wsgi_app = ProxyFix(
            address_only(app.wsgi_app), x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0
        )


def address_only(wsgi_app: Callable) -> Callable:
    """Wrap a WSGI app beneath ProxyFix: the REMOTE_ADDR it sees has no port or brackets."""

    def app_seeing_the_address(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REMOTE_ADDR"):
            environ["REMOTE_ADDR"] = client_address(environ["REMOTE_ADDR"])
        return wsgi_app(environ, start_response)

    return app_seeing_the_address


# "a.b.c.d:port", "[v6]:port" or "[v6]": the address is the first group.
WITH_PORT = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}|\[([^\]]+)\](?::\d{1,5})?")


def client_address(forwarded: str) -> str:
    """Return the IP address in a forwarded value; anything else unchanged (a client of its own)."""
    value = forwarded.strip()
    match = WITH_PORT.fullmatch(value)
    address = (match.group(1) or match.group(2)) if match else value
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return forwarded
