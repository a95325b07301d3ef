"""Commands for `flask --app wsgi …`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from werkzeug.security import generate_password_hash

from .stores import StoreError
from .stores.base import STATUSES, parse_list


@click.command("hash-password")
def hash_password() -> None:
    """Ask for a password twice and print its hash for COMMENTS_AUTH_USERS."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise click.UsageError("the password must not be empty")
    click.echo(generate_password_hash(password))


def database_store():
    """Return the PostgreSQL store, or stop with a message when DATABASE_URL is not set."""
    store = current_app.extensions["comments_store"]
    if not hasattr(store, "import_comments"):
        raise click.ClickException("DATABASE_URL is not set: there is no database to use")
    return store


@click.command("init-db")
def init_db() -> None:
    """Create the comments tables in DATABASE_URL's database (safe to run again)."""
    store = database_store()
    try:
        store.init_schema()
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"comments tables are ready in {store.safe_url}")


@click.command("import-json")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def import_json(file: Path | None) -> None:
    """Copy a comments.json (default: COMMENTS_FILE) into the database, keeping ids."""
    store = database_store()
    path = file or current_app.extensions["comments_settings"]["file"]
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
