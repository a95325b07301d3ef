"""The headers every answer carries, set in one after_request hook that the factory registers.

Every answer, pages, API, errors and /healthz alike, carries the browser hardening below;
it costs nothing on JSON and means a page added later is covered without a line of its own.
JSON answers are also marked to be revalidated before reuse (Cache-Control: no-cache).

The policy allows scripts, styles, images and fetches from this server only, and no inline
script or style attribute: the built page (Vite) loads one script and one stylesheet, and
comment text is Markdown sanitized by DOMPurify into elements without style or handlers.
Images in comments are not rendered (the page turns them into links), so a comment cannot
make readers' browsers call another host; img-src 'self' backs that up.

A handler that needs a different policy for its page sets the header itself: values set by
a handler are kept. One that sets its own Content-Security-Policy naming sites in its
frame-ancestors decides framing by it alone (no X-Frame-Options is added): the embedded
comment box (/embed, web/pages.py) may be framed by the sites of COMMENTS_EMBED_ORIGINS,
and /moderate never, whatever the settings.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, Response
from werkzeug.datastructures import Headers

from ..config import Settings

# Same-origin requests keep their Referer; other sites get none. Not no-referrer: with it,
# browsers send "Origin: null" on the page's own POSTs, which the CSRF check refuses.
REFERRER_POLICY = "same-origin"


def content_security_policy(frame_ancestors: tuple[str, ...]) -> str:
    """Return the Content-Security-Policy for the sites allowed to frame the page."""
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "connect-src 'self'",
            "font-src 'self'",
            "manifest-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {ancestors}",
        ]
    )


def embed_policy(settings: Settings) -> str:
    """Return the policy of the framed comment box: framed by this server and the sites of
    COMMENTS_EMBED_ORIGINS, exactly."""
    return content_security_policy(("'self'", *settings.embed_origins))


def frames_allowed(policy: str | None) -> bool:
    """Tell whether a policy's frame-ancestors lets some site frame the answer."""
    for directive in (policy or "").split(";"):
        name, _, sources = directive.strip().partition(" ")
        if name.lower() == "frame-ancestors":
            return sources.strip().lower() not in ("", "'none'")
    return False


def security_headers(frame_ancestors: tuple[str, ...]) -> dict[str, str]:
    """Return the hardening headers for every answer."""
    headers = {
        "Content-Security-Policy": content_security_policy(frame_ancestors),
        "Referrer-Policy": REFERRER_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
    }
    # For browsers without CSP frame-ancestors. Its ALLOW-FROM is gone from every browser,
    # so when sites may frame the page it is left out and CSP alone says which.
    if not frame_ancestors:
        headers["X-Frame-Options"] = "DENY"
    return headers


@lru_cache(maxsize=64)
def is_json(content_type: str | None) -> bool:
    """Tell whether a Content-Type is JSON (application/json or application/*+json, in any
    case, as media types are), remembered: answers carry a handful of types."""
    if not content_type:
        return False
    mimetype = content_type.split(";", 1)[0].strip().lower()
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


# What a JSON answer that sets no Cache-Control of its own gets: revalidate before reuse.
JSON_CACHE_CONTROL = ("Cache-Control", "no-cache")


def hardening(settings: Settings) -> list[tuple[str, str]]:
    """Return the hardening headers as (name, value) pairs, each value checked by werkzeug
    (no line breaks) once here: the hook adds them unchecked."""
    return Headers(security_headers(settings.frame_ancestors)).to_wsgi_list()


def init_app(app: Flask, settings: Settings) -> None:
    """Register the one hook that adds the headers to every answer."""
    checked = hardening(settings)
    names = frozenset(name.lower() for name, _ in checked)

    @app.after_request
    def add_headers(response: Response) -> Response:
        # One pass over the answer's few headers and one list extend: this runs on every
        # request, and six setdefaults scanned and checked six times (docs/performance.md).
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}
        if "content-security-policy" in present and frames_allowed(headers.get("Content-Security-Policy")):
            # The handler's own policy names who may frame its answer: it alone decides.
            present.add("x-frame-options")
        missing = (
            checked if present.isdisjoint(names) else [h for h in checked if h[0].lower() not in present]
        )
        # Checked once, by hardening(): added without checking again.
        headers._list.extend(missing)
        if "cache-control" not in present and is_json(headers.get("Content-Type")):
            headers.add(*JSON_CACHE_CONTROL)
        return response
