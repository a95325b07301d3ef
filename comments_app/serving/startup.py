"""What the server says once as it starts: where the comments are, and when they are at risk."""

from __future__ import annotations

import logging
import resource
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


# Files a worker holds open beside its connections: the store's files, its pool's
# connections, the log, the listener.
OTHER_FILES = 200


def raise_open_files(connections: int) -> list[tuple[int, str]]:
    """Raise this process's soft limit of open files (its workers inherit it) to what one
    worker's connections need, within the hard limit; return what to log."""
    needed = connections + OTHER_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        raised = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
        soft = raised
    if soft != resource.RLIM_INFINITY and soft < needed:
        return [
            (
                logging.WARNING,
                f"a worker may hold {connections} connections but may open only {soft} files "
                f"(ulimit -n): raise the hard limit, or lower COMMENTS_STREAM_LIMIT",
            )
        ]
    return []
