"""The WSGI entry point that gunicorn, the Procfile and `flask --app wsgi` name."""

from comments_app import create_app
from comments_app.config import ConfigError
from comments_app.misconfigured import app_for_commands

try:
    app = create_app()
except ConfigError as error:
    # Under `flask --app wsgi …` a wrong setting is one line, and hash-password,
    # which fixes COMMENTS_AUTH_USERS, still runs; elsewhere this raises again.
    app = app_for_commands(error)
