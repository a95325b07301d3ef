"""Commands for `flask --app wsgi …`."""

from __future__ import annotations

import click
from flask import Flask
from werkzeug.security import generate_password_hash


@click.command("hash-password")
def hash_password() -> None:
    """Ask for a password twice and print its hash for COMMENTS_AUTH_USERS."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise click.UsageError("the password must not be empty")
    click.echo(generate_password_hash(password))


def init_app(app: Flask) -> None:
    app.cli.add_command(hash_password)
