"""The page: public/ served at the site's root, with a note when it has not been built."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, send_from_directory
from werkzeug.routing import PathConverter

bp = Blueprint("pages", __name__)

BUILD_NOTE = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Comments</title>
<h1>The comment box page is not built yet</h1>
<p>The API works: <a href="/api/comments">/api/comments</a>.
To build the page, run <code>make ui</code> (or <code>npm ci &amp;&amp; npm run build</code>
in <code>ui/</code>), then reload.</p>
</html>
"""

# Vite names built assets after their content, so they never change: cache them for a year.
IMMUTABLE_MAX_AGE = 365 * 24 * 3600


class PublicPath(PathConverter):
    """A path outside /api/, so an unknown API address answers 404, not 405."""

    regex = r"(?!api/)[^/].*?"


def init_app(app: Flask) -> None:
    app.url_map.converters["public"] = PublicPath
    app.register_blueprint(bp)


def public_folder() -> Path:
    return Path(current_app.config["PUBLIC_FOLDER"])


@bp.get("/")
def index():
    if not (public_folder() / "index.html").is_file():
        return BUILD_NOTE, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"}
    return send_from_directory(public_folder(), "index.html", max_age=0)


@bp.get("/<public:filename>")
def public_file(filename: str):
    max_age = IMMUTABLE_MAX_AGE if filename.startswith("assets/") else 0
    return send_from_directory(public_folder(), filename, max_age=max_age)
