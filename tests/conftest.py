"""Fixtures: apps on temporary files, and real gunicorn servers on random ports."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient

from comments_app import create_app

from . import contract

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
FLASK = str(Path(sys.executable).with_name("flask"))
LISTENING = re.compile(rb"Listening at: http://[\d.]+:(\d+)")


# The fixtures that make a test one of the slow layers (docs/testing.md): make test-fast
# leaves these out.
LAYER_FIXTURES = {"start_server": "server", "start_shared_server": "server", "browser": "browser"}


# The slowest layers run first, so that with pytest-xdist both cores stay busy to the end
# rather than one of them finishing a long fuzzing run alone.
FIRST = ("fuzz", "browser", "server")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the slow layers its fixtures bring in; put the slowest first."""
    for item in items:
        for fixture in getattr(item, "fixturenames", ()):
            layer = LAYER_FIXTURES.get(fixture)
            if layer is not None:
                item.add_marker(layer)

    def rank(item: pytest.Item) -> int:
        marked = {mark.name for mark in item.iter_markers()}
        return next((number for number, layer in enumerate(FIRST) if layer in marked), len(FIRST))

    items.sort(key=rank)


@pytest.fixture(autouse=True)
def api_contract(request, monkeypatch):
    """Check every API answer a test receives against the OpenAPI description."""
    if request.node.get_closest_marker("outside_contract"):
        return
    open_client, send = FlaskClient.open, requests.Session.send

    def open_checked(self, *args, **kwargs):
        response = open_client(self, *args, **kwargs)
        sent = response.request
        contract.check(
            sent.method, sent.url, sent.headers, response.status_code, response.headers, response.get_data()
        )
        return response

    def send_checked(self, prepared, **kwargs):
        response = send(self, prepared, **kwargs)
        if not kwargs.get("stream"):
            contract.check(
                prepared.method,
                prepared.url,
                prepared.headers,
                response.status_code,
                response.headers,
                response.content,
            )
        return response

    monkeypatch.setattr(FlaskClient, "open", open_checked)
    monkeypatch.setattr(requests.Session, "send", send_checked)


@pytest.fixture
def comments_file(tmp_path: Path) -> Path:
    return tmp_path / "comments.json"


# The tests that are not about abuse limits post more comments than a person would:
# they turn the rate limit off, explicitly, here. Tests of the limits set their own.
NO_RATE_LIMIT = {"COMMENTS_RATE_LIMIT": "off"}


@pytest.fixture
def app(comments_file: Path):
    return create_app({"COMMENTS_FILE": str(comments_file), **NO_RATE_LIMIT})


@pytest.fixture
def client(app):
    return app.test_client()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(**settings: str) -> dict[str, str]:
    """The environment for a server: ours, less any setting of the app's, plus settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("COMMENTS_") and key not in ("DATABASE_URL", "PORT", "WEB_CONCURRENCY", "DYNO")
    }
    env.update(settings)
    # A setting given as None is left unset, so that its default applies.
    return {key: value for key, value in env.items() if value is not None}


def flask_cli(*args: str, input: str | None = None, **settings: str) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi *args` as a user would, with these settings only."""
    return subprocess.run(
        [FLASK, "--app", "wsgi", *args],
        cwd=ROOT,
        env=server_env(**settings),
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
    )


def eventually(read, expected, seconds: float = 10):
    """Return read() once it equals expected, asking again until seconds have passed.

    For what one instance learns of another's write through PostgreSQL's NOTIFY: it is
    seen as soon as the notification arrives, a few milliseconds later, not at once.
    """
    deadline = time.monotonic() + seconds
    while (value := read()) != expected and time.monotonic() < deadline:
        time.sleep(0.02)
    return value


def storm_then_kill(server: Server, storm: Callable, log: list, seconds: float, clients: int = 8) -> None:
    """Run storm(url, client, stop, log) from several threads until 60 more writes are
    acknowledged in log (or seconds pass), then kill -9 the server mid-storm."""
    before = len(log)
    stop = threading.Event()
    threads = [threading.Thread(target=storm, args=(server.url, n, stop, log)) for n in range(clients)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    while len(log) < before + 60 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join()


def run_script(script: str, *args: str, timeout: float = 60):
    """Run a Python script in a process of its own (gevent's patching stays there); return
    what it printed, as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


class Server:
    """A real gunicorn running wsgi:app with the project's gunicorn.conf.py."""

    def __init__(self, log_path: Path, env: dict[str, str], args: list[str], prefix: tuple = ()) -> None:
        self.log_path = log_path
        self.log = open(log_path, "wb")  # noqa: SIM115 - open for the server's life, closed in stop()
        self.process = subprocess.Popen(
            [*prefix, GUNICORN, "wsgi:app", *args],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.url = ""

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30) -> Server:
        """Wait for the port in the log, then for /healthz to answer."""
        deadline = time.monotonic() + timeout
        while not self.url:
            match = LISTENING.search(self.log_path.read_bytes())
            if match:
                self.url = f"http://127.0.0.1:{int(match.group(1))}"
            elif self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{self.output()}")
            else:
                time.sleep(0.05)
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code in (200, 503):
                    return self
            # A worker still starting on a loaded machine may be slow to answer: ask again.
            except (requests.ConnectionError, requests.Timeout):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer:\n{self.output()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the master and every worker at once, as a power cut would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """Stop the server as a platform does (SIGTERM) and wait for it to exit."""
        self.stop_soon()
        self.wait_stopped()

    def stop_soon(self) -> None:
        """Send SIGTERM and return: a gevent worker takes a second to notice it."""
        if self.process.poll() is None:
            self.process.terminate()

    def wait_stopped(self) -> None:
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()
        self.log.close()


class Reaper:
    """Waits, in a thread of its own, for the servers that tests are done with to exit.

    A stopped gevent worker notices SIGTERM within a second and then exits: a test that is
    done with its server need not wait for that, so the next test starts meanwhile. Every
    server has exited by the end of the session.
    """

    def __init__(self) -> None:
        self.stopping: queue.Queue[Server | None] = queue.Queue()
        self.thread = threading.Thread(target=self.run, name="server-reaper", daemon=True)
        self.thread.start()

    def run(self) -> None:
        while (server := self.stopping.get()) is not None:
            server.wait_stopped()

    def stop_soon(self, server: Server) -> None:
        server.stop_soon()
        self.stopping.put(server)

    def close(self) -> None:
        self.stopping.put(None)
        self.thread.join()


# The URLs of the clusters the tests started and have removed (database_url).
REMOVED_CLUSTERS: set[str] = set()


@pytest.fixture(scope="session")
def schemas_to_drop():
    """(database URL, schema) of the test schemas, dropped at the end of the session: by then
    every server has exited (the reaper, which depends on this, is closed first), so no
    connection of a server stopping in the background holds the schema meanwhile."""
    schemas: list[tuple[str, str]] = []
    yield schemas
    if schemas:
        import psycopg

        for database_url, schema in schemas:
            if database_url in REMOVED_CLUSTERS:
                continue  # its cluster is gone, and its schemas with it
            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(scope="session")
def reaper(schemas_to_drop):
    reaper = Reaper()
    yield reaper
    reaper.close()


def launch(
    folder: Path,
    number: int,
    workers: int | None = 4,
    bind: str | None = "127.0.0.1:0",
    wait: bool = True,
    prefix: tuple = (),
    **settings,
) -> Server:
    """Start gunicorn with its log in folder; the rate limit is off unless settings say otherwise."""
    settings = {**NO_RATE_LIMIT, **settings}
    args = ["--workers", str(workers)] if workers else []
    if bind:
        args += ["--bind", bind]
    server = Server(folder / f"gunicorn-{number}.log", server_env(**settings), args, prefix)
    return server.wait_ready() if wait else server


@contextmanager
def servers_in(folder: Path, reaper: Reaper) -> Iterator[Callable[..., Server]]:
    """Give a start(**options) that launches servers logging in folder; stop them all after."""
    servers: list[Server] = []

    def start(**options) -> Server:
        servers.append(server := launch(folder, len(servers), **options))
        return server

    yield start
    for server in servers:
        reaper.stop_soon(server)


@pytest.fixture
def start_server(tmp_path: Path, reaper: Reaper):
    """Start gunicorn: start_server(workers=4, **env) -> a ready Server; stopped at the end.

    The rate limit is off unless the test sets COMMENTS_RATE_LIMIT (None: the default).
    """
    with servers_in(tmp_path, reaper) as start:
        yield start


@pytest.fixture(scope="module")
def start_shared_server(tmp_path_factory: pytest.TempPathFactory, reaper: Reaper):
    """start_server for the tests of a module that only read: one server serves them all."""
    with servers_in(tmp_path_factory.mktemp("shared-server"), reaper) as start:
        yield start


def unprivileged() -> tuple[str, ...]:
    """A command prefix that runs a server bound by file permissions, as any user but root is.

    Tests run as root, who writes anywhere; and Python may live under /root, which
    another user cannot read. So as root the server keeps its user but loses the
    power to override permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH); as any
    other user it needs nothing.
    """
    if os.geteuid() != 0:
        return ()
    return ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--")


# PostgreSQL: TEST_DATABASE_URL when set (CI sets it); otherwise a private cluster
# when PostgreSQL is installed; otherwise skipped locally and failed in CI.

PG_HOWTO = (
    "PostgreSQL tests need TEST_DATABASE_URL or an installed PostgreSQL server "
    "(apt-get install postgresql); see README, Tests"
)


def require(condition: bool, message: str) -> None:
    """Skip a test that lacks what it needs here, saying how to get it; in CI, fail it."""
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def require_postgres() -> None:
    from .pgcluster import bindir

    require(bool(os.environ.get("TEST_DATABASE_URL")) or bindir() is not None, PG_HOWTO)


@pytest.fixture(scope="session")
def database_url():
    """The URL of a database the tests may create schemas in."""
    require_postgres()
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
        return
    from .pgcluster import Cluster

    cluster = Cluster().init().start()
    try:
        yield cluster.url()
    finally:
        # Torn down before schemas_to_drop when a server test set that one up first.
        REMOVED_CLUSTERS.add(cluster.url())
        cluster.remove()


def new_schema(database_url: str, schemas_to_drop: list) -> str:
    """Return a URL whose tables live in a fresh schema of their own, dropped at the end."""
    import uuid

    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    schemas_to_drop.append((database_url, schema))
    separator = "&" if "?" in database_url else "?"
    return f"{database_url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url(database_url: str, schemas_to_drop: list) -> str:
    """A URL whose tables live in a fresh schema of their own."""
    return new_schema(database_url, schemas_to_drop)


@pytest.fixture(params=["json", "postgresql"])
def store_settings(request, tmp_path: Path) -> dict[str, str]:
    """The settings of a fresh store, once for each backend: the file and PostgreSQL."""
    if request.param == "json":
        return {"COMMENTS_FILE": str(tmp_path / "comments.json")}
    return {
        "COMMENTS_FILE": str(tmp_path / "untouched.json"),
        "DATABASE_URL": request.getfixturevalue("pg_url"),
    }


# Redis: a throwaway redis-server per test that asks for one (tests/redisserver.py).

REDIS_HOWTO = "Redis tests need redis-server (apt-get install redis-server); see README, Tests"


@pytest.fixture
def redis_server(tmp_path: Path):
    """A running redis-server on a free port, killed at the end."""
    from .redisserver import RedisServer, installed

    require(installed(), REDIS_HOWTO)
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(folder).start()
    yield server
    server.kill()


# Chromium for the page tests: Debian's, driven by Playwright.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the session (tests/test_page*.py open their own contexts)."""
    require(
        Path(CHROMIUM).exists() or shutil.which("chromium") is not None,
        "browser tests need Chromium: apt-get install chromium",
    )
    require((ROOT / "public" / "index.html").is_file(), "browser tests need the built page: make ui")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
