"""Answer only for the hosts this server is meant to be reached by (COMMENTS_ALLOWED_HOSTS).

Without this, any web page can read and write an instance on a laptop or a LAN through
DNS rebinding: the attacker's name resolves to the instance, the browser sees one origin,
and the same-origin checks pass. Checking the Host header closes that.

- COMMENTS_ALLOWED_HOSTS set: Flask's TRUSTED_HOSTS checks every request against the
  list (a leading dot allows the subdomains too; "*" allows any host).
- Unset, behind a trusted proxy (COMMENTS_TRUSTED_PROXIES > 0): any host, since the proxy
  routes by Host and only sends what it was set up for.
- Unset otherwise: loopback names (localhost, *.localhost) and IP literals, which no DNS
  answer can rebind. TRUSTED_HOSTS cannot say "any IP literal", so this case is checked
  here, with werkzeug's own host parsing.

Refusals are 400 in the one JSON error shape, before auth and routing, so no redirect
ever names a refused host.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from flask import Flask, request
from werkzeug.exceptions import SecurityError

from ...config import Settings
from ..errors import error_response

REFUSED = (
    "this server does not answer for the host named in the request's Host header; "
    "list the host in COMMENTS_ALLOWED_HOSTS to allow it"
)


# Asked on every request with the few hosts a server is reached by: remembered (bounded,
# so a client sending many names only evicts the others).
@lru_cache(maxsize=256)
def is_loopback_name_or_ip(host: str) -> bool:
    """Tell whether a validated host[:port] is localhost, a *.localhost name or an IP literal."""
    if host.startswith("["):
        return "]" in host  # werkzeug has checked the IPv6 literal's characters
    name = host.rsplit(":", 1)[0].lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def refuse_host(_error: Exception | None = None):
    return error_response(400, REFUSED)


def check_default_host() -> None:
    """Refuse a host that is neither loopback nor an IP literal (no list, no proxy)."""
    # request.host is "" when the Host header has characters a host cannot have.
    if not is_loopback_name_or_ip(request.host):
        raise SecurityError()


def init_app(app: Flask, settings: Settings) -> None:
    """Install the host check for the settings; call before any other before_request hook."""
    app.register_error_handler(SecurityError, refuse_host)
    allowed = settings.allowed_hosts
    if allowed == ("*",):
        return
    if allowed:
        # Flask refuses while routing: no route matches, so no redirect and no blueprint's auth.
        app.config["TRUSTED_HOSTS"] = list(allowed)
    elif not settings.trusted_proxies:
        app.before_request(check_default_host)
