"""Commands for `flask --app wsgi …`: a wrong setting or input costs one line, never a traceback."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask, current_app
from werkzeug.security import generate_password_hash

from .config import ConfigError
from .errors import error_response
from .stores import StoreError
from .stores.base import STATUSES, parse_list


class SettingsProblem(click.ClickException):
    """A setting is wrong: say which, in gunicorn's words, and exit with status 1."""

    def show(self, file=None) -> None:
        click.echo(f"Configuration error: {self.message}", err=True)


def one_line_errors(command: Callable) -> Callable:
    """Turn the failures a command can expect into click's one-line message and exit status 1."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        # What the stores log for a server's operator (each failed connection,
        # the listener's state) would bury the one line that says what failed.
        logging.disable(logging.ERROR)
        try:
            return command(*args, **kwargs)
        except ConfigError as error:
            raise SettingsProblem(str(error)) from None
        except StoreError as error:
            # The operator runs commands: tell them the path or the database's reason.
            raise click.ClickException(error.detail) from None
        finally:
            logging.disable(logging.NOTSET)

    return run


def settings() -> dict:
    """Return the app's settings, or raise the ConfigError that stopped it from being built."""
    error = current_app.extensions.get("comments_config_error")
    if error is not None:
        raise error
    return current_app.extensions["comments_settings"]


def app_store():
    settings()
    return current_app.extensions["comments_store"]


def app_for_commands(error: ConfigError) -> Flask:
    """Return an app that runs the commands despite a wrong setting; re-raise outside the CLI.

    `flask --app wsgi` builds the app before it runs a command. Built this way, every
    command that needs the settings says in one line which one is wrong, and
    hash-password, which makes the value COMMENTS_AUTH_USERS needs, still runs.
    """
    if click.get_current_context(silent=True) is None:
        raise error
    app = Flask("comments_app", static_folder=None)
    app.extensions["comments_config_error"] = error

    @app.before_request
    def refuse():
        # Only `flask run` would serve this app; gunicorn refuses to start instead.
        current_app.logger.error("Configuration error: %s", error)
        return error_response(503, "the server's settings are wrong; its log says which")

    init_app(app)
    return app


@click.command("hash-password")
@one_line_errors
def hash_password() -> None:
    """Ask for a password twice and print its hash for COMMENTS_AUTH_USERS."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise click.UsageError("the password must not be empty")
    click.echo(generate_password_hash(password))


def database_store():
    """Return the PostgreSQL store, or stop with a message when DATABASE_URL is not set."""
    store = app_store()
    if not hasattr(store, "import_comments"):
        raise click.ClickException("DATABASE_URL is not set: there is no database to use")
    return store


@click.command("init-db")
@one_line_errors
def init_db() -> None:
    """Create the comments tables in DATABASE_URL's database (safe to run again)."""
    store = database_store()
    store.init_schema()
    click.echo(f"comments tables are ready in {store.safe_url}")


@click.command("import-json")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@one_line_errors
def import_json(file: Path | None) -> None:
    """Copy a comments.json (default: COMMENTS_FILE) into the database, keeping ids."""
    store = database_store()
    path = file or settings()["file"]
    try:
        items = parse_list(path.read_bytes())
    except OSError as error:
        raise click.ClickException(f"cannot read {path}: {error.strerror}") from None
    except ValueError as error:
        raise click.ClickException(f"{path} is {error}") from None
    for index, item in enumerate(items):
        problem = import_problem(item)
        if problem:
            raise click.ClickException(f"{path}: item {index} {problem}; nothing was imported")
    try:
        added, present = store.import_comments(items)
    except (StoreError, ValueError) as error:
        raise click.ClickException(f"{error}; nothing was imported") from None
    click.echo(f"imported {added} comments from {path} ({present} were already there)")


def import_problem(item: dict) -> str | None:
    if type(item.get("id")) is not int:
        return "has no integer id"
    if "deleted" in item:
        return None
    if item.get("status", "published") not in STATUSES:
        return f"has an unknown status {item.get('status')!r}"
    for field in ("author", "text"):
        if not isinstance(item.get(field), str):
            return f"has no {field} string"
    return None


def init_app(app: Flask) -> None:
    for command in (hash_password, init_db, import_json):
        app.cli.add_command(command)
