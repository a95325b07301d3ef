"""Cross-origin rules: refuse forged cross-site writes (CSRF) and answer CORS when configured.

An Origin is compared with the listed ones in one form, normal_origin's (scheme and host
lower case, no default port), by the write check and by flask-cors's read headers alike:
an origin allowed to read may write, and one refused a write is refused the read headers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask_cors import CORS

from ...config import Settings, normal_origin
from ..endpoints import SAFE_METHODS, VERSION_HEADER
from ..errors import APIError

# The paths CORS answers: the API but the moderation routes, which never answer it, so
# that no other origin's page reads them with a moderator's credentials.
API_PATHS = [r"/api/(?!moderation(?:/|$)).*", r"/comments\.json"]


def is_own_origin(origin: str) -> bool:
    """Tell whether an Origin header names this server, by host and port.

    The scheme is not compared: behind a TLS-terminating proxy (Heroku's router)
    the page is https while the request reaching us is http.
    """
    return urlsplit(origin).netloc.lower() == request.host.lower()


def check_origin(allowed: tuple[str, ...]) -> None:
    """Refuse an unsafe request sent by a page of another origin."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    if origin is not None:
        if is_own_origin(origin) or normal_origin(origin) in allowed:
            return
        raise APIError(
            403,
            f"a page at {origin} may not change comments here (add it to COMMENTS_CORS_ORIGINS to allow it)",
        )
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        raise APIError(403, "a cross-site request may not change comments here")


def init_app(app: Flask, settings: Settings) -> None:
    origins = settings.cors_origins
    # "*" lets any page read; only origins named one by one may also write.
    writers = () if origins == ("*",) else origins
    app.before_request(lambda: check_origin(writers))
    if not origins:
        return
    app.wsgi_app = origin_in_normal_form(app.wsgi_app)
    # CORS headers go only to a request whose Origin is allowed (flask-cors would otherwise
    # answer a request without Origin with the first configured origin and credentials,
    # disclosing the setting); since the answer then depends on Origin, caches are told so.
    app.after_request(vary_on_origin)
    CORS(
        app,
        resources={path: {} for path in API_PATHS},
        origins=list(origins),
        methods=["GET", "HEAD"] if origins == ("*",) else ["GET", "HEAD", "POST", "PATCH", "DELETE"],
        allow_headers=["Content-Type", "Authorization", "If-None-Match", "Prefer", "Comment-Token"],
        expose_headers=[
            "ETag",
            "Location",
            "Preference-Applied",
            "Comment-Token",
            "Link",
            VERSION_HEADER,
        ],
        supports_credentials=origins != ("*",),
        send_wildcard=origins == ("*",),
        max_age=600,
        always_send=False,
    )


API_PATH = re.compile("|".join(API_PATHS))


def origin_in_normal_form(wsgi_app: Callable) -> Callable:
    """Wrap a WSGI app: the Origin header it sees is in its normal form, when it has one.

    flask-cors compares the Origin header with the listed origins as strings; given the
    normal form of both, it compares what check_origin compares.
    """

    def app_seeing_normal_origins(environ: dict, start_response: Callable) -> Iterable[bytes]:
        origin = environ.get("HTTP_ORIGIN")
        if origin:
            environ["HTTP_ORIGIN"] = normal_origin(origin) or origin
        return wsgi_app(environ, start_response)

    return app_seeing_normal_origins


def vary_on_origin(response: Response) -> Response:
    if API_PATH.fullmatch(request.path):
        response.vary.add("Origin")
    return response
