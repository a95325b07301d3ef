"""Commands for `flask --app wsgi …`: a wrong setting or input costs one line, never a traceback."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app, has_app_context
from werkzeug.security import generate_password_hash

from .config import ConfigError
from .model.comment import stamp
from .state import EXTENSION, AppState, app_state
from .stores import Store, StoreError
from .stores.backup import (
    BadExport,
    closed_threads,
    encode_export,
    read_export,
    take_contacts,
    write_atomically,
)
from .stores.outbox import Item


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
            # The pool and the listener retry in threads of their own: stop them
            # before logging is back, or a retry's warning races the one line.
            state = current_app.extensions.get(EXTENSION) if has_app_context() else None
            if isinstance(state, AppState):
                state.store.close()
            logging.disable(logging.NOTSET)

    return run


def app_store() -> Store:
    return app_state().store


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
    if store.kind != "postgresql":
        raise click.ClickException("DATABASE_URL is not set: there is no database to use")
    return store


@click.command("init-db")
@one_line_errors
def init_db() -> None:
    """Create the comments tables in DATABASE_URL's database (safe to run again)."""
    store = database_store()
    store.init_schema()
    click.echo(f"comments tables are ready in {store.safe_url}")


@click.command("export-json")
@click.argument("file", required=False, type=click.Path(path_type=Path, allow_dash=True))
@one_line_errors
def export_json(file: Path | None) -> None:
    """Write every comment, moderation state included, to FILE (atomically) or standard output."""
    store = app_store()
    # Closed before the records are read: a thread reopened meanwhile is restored closed,
    # which a moderator sees, rather than open.
    closed = store.closed_threads()
    records = store.export_records()
    body = encode_export(records, closed, store.private.all_contacts())
    if file is None or str(file) == "-":
        try:
            stdout = click.get_binary_stream("stdout")
            stdout.write(body)
            stdout.flush()
        except OSError as error:
            message = f"cannot write to standard output: {error.strerror or error}"
            raise click.ClickException(message) from None
        return
    try:
        write_atomically(file, body)
    except OSError as error:
        raise click.ClickException(f"cannot write {file}: {error.strerror or error}") from None
    click.echo(f"exported {len(records)} comments to {file}")


@click.command("import-json")
@click.argument("file", required=False, type=click.Path(path_type=Path, allow_dash=True))
@one_line_errors
def import_json(file: Path | None) -> None:
    """Restore comments from FILE (default: COMMENTS_FILE) into the store, keeping ids; safe to rerun."""
    store = app_store()
    path = file or app_state().settings.file
    from_stdin = str(path) == "-"
    if from_stdin:
        path = "standard input"
    try:
        body = click.get_binary_stream("stdin").read() if from_stdin else path.read_bytes()
    except OSError as error:
        raise click.ClickException(f"cannot read {path}: {error.strerror or error}") from None
    try:
        records = read_export(body)
    except BadExport as error:
        raise click.ClickException(refusal(path, error)) from None
    closed = closed_threads(records)
    contacts = take_contacts(records)
    try:
        added, present = store.import_records(records)
    except StoreError as error:
        raise click.ClickException(f"{error.detail}; nothing was imported") from None
    try:
        # After the comments, which they belong to: a rerun after a failure here adds them.
        store.private.import_contacts(contacts)
    except StoreError as error:
        message = f"{error.detail}; the comments were imported, not the authors' emails"
        raise click.ClickException(message) from None
    try:
        for thread in sorted(closed):
            store.close_thread(thread, True)
    except StoreError as error:
        message = f"{error.detail}; the comments were imported, not every closed thread"
        raise click.ClickException(message) from None
    closing = f"; {len(closed)} threads closed" if closed else ""
    click.echo(f"imported {added} comments from {path} ({present} were already there){closing}")


@click.command("notifications")
@one_line_errors
def notifications() -> None:
    """List the outbox's items not delivered yet, pending and failed, oldest first."""
    outbox = getattr(app_store(), "outbox", None)
    if outbox is None:
        raise click.ClickException(
            "notifications are off: neither COMMENTS_WEBHOOK_URL nor COMMENTS_SMTP_URL is set"
        )
    items = outbox.listing()
    for item in items:
        click.echo(describe(item))
    failed = sum(item.failed is not None for item in items)
    click.echo(f"{len(items) - failed} pending, {failed} failed")


def describe(item: Item) -> str:
    """Say one line of an item: what, when, and how its delivery goes."""
    said = f"{item.id} {item.type} comment {item.comment.get('id')} written {when(item.created)}"
    if item.failed is not None:
        return f"{said}: failed {when(item.failed)} after {item.attempts} attempts: {item.error}"
    said += f": pending, {item.attempts} attempts"
    if item.attempts:
        said += f", next {when(item.next_at)}, last: {item.error}"
    return said


def when(seconds: float) -> str:
    return stamp(datetime.fromtimestamp(seconds, UTC))


# How many bad items an import names: enough to see the pattern, not a screenful per item.
SHOWN_PROBLEMS = 20


def refusal(path: object, error: BadExport) -> str:
    """Say why nothing was imported: one line for one bad item, else one line per item."""
    lines = [f"{path}: {error}; nothing was imported"]
    if len(error.problems) > 1:
        lines += [f"  {problem}" for problem in error.problems[:SHOWN_PROBLEMS]]
        if len(error.problems) > SHOWN_PROBLEMS:
            lines.append(f"  and {len(error.problems) - SHOWN_PROBLEMS:,} more")
    return "\n".join(lines)


def init_app(app: Flask) -> None:
    for command in (hash_password, init_db, export_json, import_json, notifications):
        app.cli.add_command(command)
