"""The blueprints of the API: the comments (with no auth code in them), moderation, the health
check and the API's own description. Everything that guards them is attached from outside
(web/guards/)."""

from __future__ import annotations

from flask import Flask

from . import apidoc, comments, events, feeds, health, moderation, threads

# events, feeds and threads add routes to the comments blueprint: imported before it is
# registered.
ROUTES_OF_COMMENTS = (events, feeds, threads)


def init_app(app: Flask) -> None:
    """Register the API's blueprints."""
    for blueprint in (comments.bp, moderation.bp, health.bp, apidoc.bp):
        app.register_blueprint(blueprint)
