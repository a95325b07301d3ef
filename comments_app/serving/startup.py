"""What the server says once as it starts: where the comments are, and when they are at risk."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

from ..config import Settings


def safe_url(url: str) -> str:
    """Return a database URL with its password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def notes(settings: Settings) -> list[tuple[int, str]]:
    """Return (logging level, line) for the log at start-up."""
    if settings.database_url:
        return [(logging.INFO, f"comments are stored in PostgreSQL at {safe_url(settings.database_url)}")]
    path = settings.file
    if path.exists():
        lines = [(logging.INFO, f"comments are stored in {path}")]
    else:
        lines = [(logging.INFO, f"comments will be stored in {path}, a new file made by the first comment")]
    if settings.dyno:
        # Heroku's dynos start from a clean disk at every restart, at least daily.
        lines.append(
            (
                logging.WARNING,
                f"DYNO is set: this platform's disk is ephemeral, so the comments in {path} will be "
                "lost at the next restart; set DATABASE_URL (for example with Heroku Postgres) to keep them",
            )
        )
    return lines
