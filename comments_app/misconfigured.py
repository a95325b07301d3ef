"""The app `flask --app wsgi …` gets when a setting is wrong: the commands still run and say which."""

from __future__ import annotations

import click
from flask import Flask, current_app

from . import cli
from .config import ConfigError
from .state import EXTENSION, Misconfigured
from .web.errors import error_response


def app_for_commands(error: ConfigError) -> Flask:
    """Return an app that runs the commands despite a wrong setting; re-raise outside the CLI.

    `flask --app wsgi` builds the app before it runs a command. Built this way, every
    command that needs the settings says in one line which one is wrong (app_state()
    raises the error), and hash-password, which makes the value COMMENTS_AUTH_USERS
    needs, still runs.
    """
    if click.get_current_context(silent=True) is None:
        raise error
    app = Flask("comments_app", static_folder=None)
    app.extensions[EXTENSION] = Misconfigured(error)

    @app.before_request
    def refuse():
        # Only `flask run` would serve this app; gunicorn refuses to start instead.
        current_app.logger.error("Configuration error: %s", error)
        return error_response(503, "the server's settings are wrong; its log says which")

    cli.init_app(app)
    return app
