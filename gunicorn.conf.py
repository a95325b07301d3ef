"""gunicorn settings: PORT and WEB_CONCURRENCY from the platform, settings checked before forking."""

import os
import signal
import sys

from comments_app import config as comments_config
from comments_app import startup


def _positive_int(name: str, default: str, high: int) -> int:
    value = os.environ.get(name, default).strip()
    if not value.isdigit() or not 1 <= int(value) <= high:
        sys.exit(f"Configuration error: {name}: must be a whole number from 1 to {high}, not {value!r}")
    return int(value)


def _client_timeout() -> int:
    try:
        return comments_config.parse_client_timeout(
            os.environ.get("COMMENTS_CLIENT_TIMEOUT", comments_config.defaults()["COMMENTS_CLIENT_TIMEOUT"])
        )
    except comments_config.ConfigError as error:
        sys.exit(f"Configuration error: {error}")


# Heroku-style platforms set PORT; locally the comment box's classic port.
bind = [f"0.0.0.0:{_positive_int('PORT', '3000', 65535)}"]
workers = _positive_int("WEB_CONCURRENCY", "2", 64)
# gevent: each connection is a greenlet, not a thread, so hundreds of slow or idle
# clients cost memory, not the service (gthread gave 4 slow clients per worker the
# power to stop it). What blocks the process is sent to threads (cooperative.py);
# psycopg 3 waits cooperatively on its own once gevent has patched the process.
worker_class = "gevent"
worker_connections = 1000
# A client has COMMENTS_CLIENT_TIMEOUT seconds to send each request's headers (and
# idles no longer than that between requests); submission.py gives the body as long.
keepalive = _client_timeout()
# Forwarded headers are trusted in one place, the app's ProxyFix (COMMENTS_TRUSTED_PROXIES);
# gunicorn's own check would believe X-Forwarded-Proto from any local process.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
accesslog = "-"
errorlog = "-"


def on_starting(server):
    """Refuse to start on a bad setting, naming it, instead of booting workers that fail."""
    try:
        settings = comments_config.load()
    except comments_config.ConfigError as error:
        sys.exit(f"Configuration error: {error}")
    # Said once, by the master, rather than by every worker.
    for level, line in startup.notes(settings):
        server.log.log(level, line)


def post_fork(server, worker):
    """Keep a SIGTERM that arrives while the worker boots, before gunicorn installs its handler.

    The gevent worker patches the standard library first, which takes long enough under
    load for a stop to land there and be lost, leaving the worker running until killed.
    """
    signal.signal(signal.SIGTERM, lambda signum, frame: setattr(worker, "alive", False))
