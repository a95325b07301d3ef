"""Cross-origin rules: refuse forged cross-site writes (CSRF) and answer CORS when configured."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask_cors import CORS

from ...config import Settings
from ..endpoints import SAFE_METHODS, VERSION_HEADER
from ..errors import APIError

API_PATHS = [r"/api/.*", r"/comments\.json"]


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
        if is_own_origin(origin) or origin.rstrip("/") in allowed:
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


def vary_on_origin(response: Response) -> Response:
    if API_PATH.fullmatch(request.path):
        response.vary.add("Origin")
    return response
