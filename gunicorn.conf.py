"""gunicorn settings: PORT and WEB_CONCURRENCY from the platform, settings checked before forking."""

import os
import sys

from comments_app import config as comments_config


def _positive_int(name: str, default: str, high: int) -> int:
    value = os.environ.get(name, default).strip()
    if not value.isdigit() or not 1 <= int(value) <= high:
        sys.exit(f"Configuration error: {name}: must be a whole number from 1 to {high}, not {value!r}")
    return int(value)


# Heroku-style platforms set PORT; locally the comment box's classic port.
bind = [f"0.0.0.0:{_positive_int('PORT', '3000', 65535)}"]
workers = _positive_int("WEB_CONCURRENCY", "2", 64)
# Threads: a browser polling every two seconds keeps its connection alive, and
# concurrent POSTs in one process share a single fsync (the store's group commit).
worker_class = "gthread"
threads = _positive_int("GUNICORN_THREADS", "4", 64)
# Forwarded headers are trusted in one place, the app's ProxyFix (COMMENTS_TRUSTED_PROXIES);
# gunicorn's own check would believe X-Forwarded-Proto from any local process.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
accesslog = "-"
errorlog = "-"


def on_starting(server):
    """Refuse to start on a bad setting, naming it, instead of booting workers that fail."""
    try:
        comments_config.load()
    except comments_config.ConfigError as error:
        sys.exit(f"Configuration error: {error}")
