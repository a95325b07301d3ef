"""The comment box's backend: a Flask app factory around the comments blueprint."""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from . import (
    apidoc,
    auth,
    cli,
    comments,
    config,
    editors,
    errors,
    fastpath,
    headers,
    health,
    hosts,
    idempotency,
    moderation,
    origins,
    pages,
    proxies,
    ratelimit,
    throttle,
)
from .application import CommentsFlask
from .compressed import CompressedBodies
from .stores import open_store


def create_app(test_config: Mapping | None = None) -> Flask:
    """Build the app: defaults, then the environment, then test_config; check them all."""
    app = CommentsFlask(__name__, static_folder=None)
    app.config.from_mapping(config.defaults())
    app.config.from_mapping(PUBLIC_FOLDER=str(config.PROJECT_ROOT / "public"))
    app.config.from_mapping(config.from_env(os.environ))
    if test_config is not None:
        app.config.from_mapping(test_config)
    settings = config.validate(app.config)
    # The raw strings stay behind in app.config; every module reads the parsed value.

    app.extensions["comments_settings"] = settings
    app.extensions["comments_store"] = open_store(settings)
    app.extensions["comments_compressed"] = CompressedBodies()

    # Directly around Flask, so that ProxyFix (when configured) runs before it.
    fastpath.init_app(app, settings)
    proxies.init_app(app, settings)
    errors.init_app(app)
    headers.init_app(app, settings)
    # First of the before_request hooks: a refused host is answered before auth or CSRF.
    hosts.init_app(app, settings)
    # The order of the request hooks: cross-site checks, then auth, then a repeated
    # Idempotency-Key is answered from its record, and only then is a new comment counted.
    origins.init_app(app, settings)
    auth.init_app(app, settings)
    editors.init_app(app)
    idempotency.init_app(app, settings)
    ratelimit.init_app(app, settings)
    throttle.init_app(app, settings)
    app.register_blueprint(comments.bp)
    app.register_blueprint(moderation.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(apidoc.bp)
    pages.init_app(app)
    cli.init_app(app)
    # Last: the fast path reproduces the app as configured so far, and no later change.
    fastpath.ready(app)
    return app
