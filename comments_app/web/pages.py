"""The pages: public/ served at the site's root and /moderate, with a note when not built;
the comment box other sites embed (/embed.js, the script they include, and /embed, the page
it frames), with the counts its script reads from their pages.

The build (ui/vite.config.js) leaves index-<hash>.js.br and .gz beside index-<hash>.js: a file is
answered in the best coding the request accepts that has such a copy, with an ETag
of its own per coding. Hashed assets are cached for a year, everything else revalidated.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import threading
from pathlib import Path

from flask import Blueprint, Flask, Response, make_response, request, send_file
from werkzeug.exceptions import NotFound
from werkzeug.routing import PathConverter
from werkzeug.security import safe_join

from ..config import normal_origin
from ..state import app_state
from . import codings
from .endpoints import COUNTS_PATH
from .headers import content_security_policy, embed_policy

bp = Blueprint("pages", __name__)

BUILD_NOTE = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Comments</title>
<h1>The comment box page is not built yet</h1>
<p>The API works: <a href="/api/comments">/api/comments</a>.
To build the page, run <code>make ui</code> (or <code>npm ci &amp;&amp; npm run build</code>
in <code>ui/</code>), then reload.</p>
</html>
"""

# Vite names built assets after their content, so they never change: cache them for a
# year without revalidating. The HTML names the current assets: revalidate it every time.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# /embed.js keeps its name across builds (other sites' pages name it): an hour, then
# revalidated with its ETag, so that a new build reaches every site within the hour.
EMBED_SCRIPT = "public, max-age=3600"


class PublicPath(PathConverter):
    """A path outside /api/, so an unknown API address answers 404, not 405."""

    regex = r"(?!api/)[^/].*?"


def init_app(app: Flask) -> None:
    app.url_map.converters["public"] = PublicPath
    app.register_blueprint(bp)
    if app_state(app).settings.embed_origins:
        app.after_request(counts_for_embedders)


def public_folder() -> Path:
    return app_state().settings.public_folder


def built_page(name: str):
    """Answer public/<name>, or the note on building it when the page is not built."""
    if not (public_folder() / name).is_file():
        return BUILD_NOTE, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": REVALIDATE}
    return send_public(name)


@bp.get("/")
def index():
    return built_page("index.html")


@bp.get("/moderate")
def moderate():
    """The moderation view; its API calls ask the browser for a moderator's login.

    Never in a frame, whatever COMMENTS_FRAME_ANCESTORS or COMMENTS_EMBED_ORIGINS allow:
    a framed moderator's buttons could be clicked for them (clickjacking).
    """
    response = make_response(built_page("moderate.html"))
    response.headers["Content-Security-Policy"] = content_security_policy(())
    response.headers["X-Frame-Options"] = "DENY"
    return response


@bp.get("/embed")
def embedded():
    """The comment box that embed.js frames on the sites of COMMENTS_EMBED_ORIGINS."""
    response = make_response(built_page("widget.html"))
    response.headers["Content-Security-Policy"] = embed_policy(app_state().settings)
    return response


@bp.get("/embed.js")
def embed_script():
    """The script other sites include: the same for every page that loads it."""
    response = send_public("embed.js")
    response.headers["Cache-Control"] = EMBED_SCRIPT
    # Any page may load it, with or without crossorigin (a public script, no credentials).
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def counts_for_embedders(response: Response) -> Response:
    """Let the pages of COMMENTS_EMBED_ORIGINS read GET /api/counts (embed.js's one request);
    attached only when the setting names some.

    Read-only and without credentials; an answer that already carries CORS headers (from
    COMMENTS_CORS_ORIGINS) is left as it is. It varies on Origin, so no cache keeps it for
    another site (nor the list cache, which keeps no answer that varies on more than its coding).
    """
    if request.path != COUNTS_PATH or request.method not in ("GET", "HEAD"):
        return response
    response.vary.add("Origin")
    origin = normal_origin(request.headers.get("Origin", ""))
    if origin in app_state().settings.embed_origins and "Access-Control-Allow-Origin" not in response.headers:
        response.headers["Access-Control-Allow-Origin"] = origin
    return response


@bp.get("/<public:filename>")
def public_file(filename: str):
    return send_public(filename)


def send_public(filename: str):
    """Send a file of public/ in the best coding it has a copy in, or 404."""
    path = safe_join(str(public_folder()), filename)
    if path is None or not os.path.isfile(path):
        raise NotFound()
    mimetype, implied = mimetypes.guess_type(filename)
    if implied is None:
        offered = tuple(c for c in codings.CODINGS if os.path.isfile(path + codings.SUFFIXES[c]))
        mimetype = mimetype or "application/octet-stream"
    else:
        # A .gz or .br copy asked for by its name: sent as werkzeug sends it, with the
        # Content-Encoding and type its name implies.
        offered, mimetype = (), None
    coding = codings.choose(request.headers.get("Accept-Encoding"), offered)
    served = path if coding == codings.IDENTITY else path + codings.SUFFIXES[coding]
    response = send_file(
        served,
        mimetype=mimetype,
        download_name=os.path.basename(filename),
        etag=content_etag(served),
        conditional=True,
    )
    if coding != codings.IDENTITY:
        response.headers["Content-Encoding"] = coding
    if offered:
        response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = IMMUTABLE if filename.startswith("assets/") else REVALIDATE
    return response


_etags: dict[tuple[str, int, int, int], str] = {}
_etags_lock = threading.Lock()


def content_etag(path: str) -> str:
    """Return a strong ETag from the file's bytes, read once per version of the file.

    From the bytes, not the modification time, so that every instance serving the
    same build gives the same ETag, and each coding's copy has its own.
    """
    st = os.stat(path)
    key = (path, st.st_ino, st.st_mtime_ns, st.st_size)
    etag = _etags.get(key)
    if etag is None:
        with open(path, "rb") as file:
            etag = hashlib.blake2b(file.read(), digest_size=12).hexdigest()
        with _etags_lock:
            if len(_etags) > 1000:
                _etags.clear()
            _etags[key] = etag
    return etag
