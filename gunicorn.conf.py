"""gunicorn settings: PORT and WEB_CONCURRENCY from the platform, settings checked before forking."""

import signal
import sys

from comments_app import config as comments_config
from comments_app.serving import startup

# Every setting, PORT and the server's numbers included, is read and checked once, in
# comments_app.config, before gunicorn forks: a wrong one stops the start, naming it.
try:
    settings = comments_config.load()
except comments_config.ConfigError as error:
    sys.exit(f"Configuration error: {error}")

bind = [f"0.0.0.0:{settings.port}"]
workers = settings.web_concurrency
# gevent: each connection is a greenlet, not a thread, so hundreds of slow or idle
# clients cost memory, not the service (gthread gave 4 slow clients per worker the
# power to stop it). What blocks the process is sent to threads (cooperative.py);
# psycopg 3 waits cooperatively on its own once gevent has patched the process.
# gunicorn's gevent worker, whose own refusals (a request line or headers over the limits,
# malformed framing) are JSON in the app's error shape, not HTML (serving/worker.py).
worker_class = "comments_app.serving.worker.Worker"
# Each open event stream (web/api/events.py) holds a connection for as long as its page is
# open: room for COMMENTS_STREAM_LIMIT of them beside the requests of the rest of the API.
worker_connections = settings.stream_limit + 1000
# A client has COMMENTS_CLIENT_TIMEOUT seconds to send each request's headers (and
# idles no longer than that between requests); submission.py gives the body as long.
keepalive = settings.client_timeout
# Forwarded headers are trusted in one place, the app's ProxyFix (COMMENTS_TRUSTED_PROXIES);
# gunicorn's own check would believe X-Forwarded-Proto from any local process.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
# One line per request to stdout, unless COMMENTS_ACCESS_LOG=off; off by default where
# the platform's router logs every request already (Heroku: DYNO set).
accesslog = "-" if settings.access_log else None
# The mails' one-click links carry a token in their path: cut from the access log (serving/accesslog.py).
logger_class = "comments_app.serving.accesslog.RedactingLogger"
errorlog = "-"
# gunicorn's control socket (gunicornc: change the worker count, stop) is not used here, and
# its default path is one per user, which every gunicorn of that user would take over.
control_socket_disable = True


def on_starting(server):
    """Say where the store is (and warn on an ephemeral disk), once, from the master; let
    the workers it forks hold as many connections as they are set to."""
    for level, line in startup.notes(settings):
        server.log.log(level, line)
    for level, line in startup.raise_open_files(worker_connections):
        server.log.log(level, line)


def post_fork(server, worker):
    """Keep a SIGTERM that arrives while the worker boots, before gunicorn installs its handler.

    The gevent worker patches the standard library first, which takes long enough under
    load for a stop to land there and be lost, leaving the worker running until killed.
    """
    signal.signal(signal.SIGTERM, lambda signum, frame: setattr(worker, "alive", False))


def post_worker_init(worker):
    """Start this worker's background jobs (backups, the notifications' sender) once its app is loaded.

    Here, not in create_app: the tests' apps, the test client and the commands start none.
    """
    from comments_app import jobs

    worker.comments_jobs = jobs.start(worker.wsgi, worker.log)


def worker_exit(server, worker):
    """Stop this worker's background jobs as it exits: within a second, no half-written file."""
    from comments_app import jobs

    jobs.stop(getattr(worker, "comments_jobs", []))
