"""The pages: public/ served at the site's root and /moderate, with a note when not built.

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

from flask import Blueprint, Flask, request, send_file
from werkzeug.exceptions import NotFound
from werkzeug.routing import PathConverter
from werkzeug.security import safe_join

from ..state import app_state
from . import codings

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


class PublicPath(PathConverter):
    """A path outside /api/, so an unknown API address answers 404, not 405."""

    regex = r"(?!api/)[^/].*?"


def init_app(app: Flask) -> None:
    app.url_map.converters["public"] = PublicPath
    app.register_blueprint(bp)


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
    """The moderation view; its API calls ask the browser for a moderator's login."""
    return built_page("moderate.html")


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
