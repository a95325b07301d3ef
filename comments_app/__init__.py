"""The comment box's backend: a Flask app factory around the comments blueprint.

The packages, bottom to top (a module imports only from its own floor or below):
config and cooperative; model/ (a comment without Flask or storage); stores/ (one
contract, one package per backend); state (the one object the app shares); web/
(plumbing, then guards/ and api/); serving/ (the list cache, start-up) and jobs/
(background work, started by gunicorn's worker hooks, not here); cli; and create_app
here, which reads as the table of contents. docs/architecture.md has the map.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from . import cli, config, web
from .serving import list_cache
from .serving.application import CommentsFlask
from .state import AppState
from .stores import open_idempotency, open_store
from .stores.streams import Streams
from .web.codings import CompressedBodies
from .web.guards.ratelimit import make_limiter
from .web.guards.throttle import LoginThrottle


def create_app(test_config: Mapping | None = None) -> Flask:
    """Build the app: defaults, then the environment, then test_config; check them all."""
    app = CommentsFlask(__name__, static_folder=None)
    settings = load_settings(app, test_config)
    state = open_state(settings)
    state.attach(app)
    # Directly around Flask, beneath the proxies' middleware, which then runs first.
    list_cache.init_app(app, state)
    # The comments blueprint, with everything that guards it attached from outside.
    web.init_app(app, state)
    cli.init_app(app)
    return app


def load_settings(app: Flask, test_config: Mapping | None) -> config.Settings:
    """Read the settings into app.config and return them parsed; raise ConfigError naming a bad one."""
    app.config.from_mapping(config.defaults())
    app.config.from_mapping(PUBLIC_FOLDER=str(config.PROJECT_ROOT / "public"))
    app.config.from_mapping(config.from_env(os.environ))
    if test_config is not None:
        app.config.from_mapping(test_config)
    settings = config.validate(app.config)
    # The raw strings stay behind in app.config, but for the one Flask itself reads.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    return settings


def open_state(settings: config.Settings) -> AppState:
    """Make what the app's requests share, each part from the parts above it."""
    store = open_store(settings)
    limiter = make_limiter(settings)
    return AppState(
        settings=settings,
        store=store,
        records=open_idempotency(settings, store),
        compressed=CompressedBodies(),
        limiter=limiter,
        throttle=LoginThrottle(limiter, settings.login_limit),
        streams=Streams(store, settings.stream_limit, settings.stream_limit_per_client, settings.stream_ping),
        readers=settings.auth_users,
        moderators=settings.admin_users,
    )
