"""make bench, the abuse limits: what a throttled login costs, and POST with the limiter on.

- Logins: wrk sends a wrong Basic password to a file-store server (4 workers), once with
  the login throttle off (every try computes the scrypt hash) and once with the client
  far past COMMENTS_LOGIN_LIMIT (every try is refused before hashing). The table shows
  requests per second and the workers' CPU time per try, read from /proc.
- POSTs: the file store with COMMENTS_RATE_LIMIT off, on with a limit high enough that
  every post is taken (the cost of counting: SQLite file, then Redis), and on with the
  client past a small limit (every post refused with 429).
The store benchmarks in run.py turn the rate limit off (one client, wrk, posts thousands).
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from werkzeug.security import generate_password_hash

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.redisserver import RedisServer, installed  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))


def worker_cpu(master_pid: int) -> float:
    """CPU seconds used so far by the children of a gunicorn master."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def wrk_counted(url: str, *args: str, post: bool = False) -> tuple[float, int, dict[str, int]]:
    """Run wrk; return (requests per second, requests, {status: count}) from bench/load.lua."""
    result = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{SECONDS}s",
            "-s",
            str(ROOT / "bench" / "load.lua"),
            *args,
            url,
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "BENCH_POST": "1" if post else "0"},
    )
    rate = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    total = re.search(r"(\d+) requests in", result.stdout)
    if result.returncode != 0 or rate is None or total is None:
        raise RuntimeError(f"wrk failed on {url}: {result.stdout} {result.stderr}")
    statuses = {code: int(n) for code, n in re.findall(r"status (\d+): (\d+)", result.stdout)}
    return float(rate.group(1)), int(total.group(1)), statuses


def login_rows(gunicorn, work: Path) -> list[str]:
    """Wrong passwords, with and without the throttle: rate and CPU per try."""
    users = f"alice:{generate_password_hash('right')}"
    wrong = "Authorization: Basic " + base64.b64encode(b"alice:wrong").decode()
    rows = []
    for label, limit in (
        ("throttle off: every try hashes", "off"),
        ("throttled: refused before hashing", "1/hour"),
    ):
        server = gunicorn(
            f"login-{limit.replace('/', '-')}",
            "wsgi:app",
            work,
            COMMENTS_FILE=str(work / "login.json"),
            COMMENTS_AUTH_USERS=users,
            COMMENTS_LOGIN_LIMIT=limit,
        )
        try:
            before = worker_cpu(server.process.pid)
            rate, total, statuses = wrk_counted(server.url + "/api/comments", "-H", wrong)
            cpu_ms = (worker_cpu(server.process.pid) - before) * 1000 / max(total, 1)
        finally:
            server.stop()
        answers = ", ".join(f"{n} × {code}" for code, n in sorted(statuses.items()))
        rows.append(f"| {label} | {rate:,.0f} | {cpu_ms:.2f} | {answers} |")
    return rows


def post_rows(gunicorn, work: Path, redis_url: str | None) -> list[str]:
    """POST throughput: the limiter off, counting in SQLite, in Redis, and refusing."""
    cases = [
        ("off", "off", None),
        ("on, SQLite file, every post taken", "100000000/minute", None),
        ("on, Redis, every post taken", "100000000/minute", redis_url),
        ("on, past the limit: every post 429", "1/hour", None),
    ]
    rows = []
    for number, (label, limit, redis) in enumerate(cases):
        if redis is None and "Redis" in label:
            rows.append(f"| {label} | – | redis-server is not installed |")
            continue
        settings = {"COMMENTS_FILE": str(work / f"posts-{number}.json"), "COMMENTS_RATE_LIMIT": limit}
        if redis:
            settings["REDIS_URL"] = redis
        server = gunicorn(f"posts-{number}", "wsgi:app", work, **settings)
        try:
            rate, _total, statuses = wrk_counted(server.url + "/api/comments", post=True)
        finally:
            server.stop()
        answers = ", ".join(f"{n} × {code}" for code, n in sorted(statuses.items()))
        rows.append(f"| {label} | {rate:,.0f} | {answers} |")
    return rows


def measure_limits(gunicorn) -> str:
    """Run both measurements with run.py's gunicorn starter; return the report's section."""
    work = Path(tempfile.mkdtemp(prefix="comments-bench-limits-"))
    redis = RedisServer(work).start() if installed() else None
    try:
        logins = login_rows(gunicorn, work)
        posts = post_rows(gunicorn, work, redis.url if redis else None)
    finally:
        if redis is not None:
            redis.kill()
    return "\n".join(
        [
            "",
            f"Abuse limits: wrk -t2 -c{CONNECTIONS} for {SECONDS} s, gunicorn 4 workers, file store.",
            "",
            "| wrong Basic password | req/s | worker CPU ms per try | answers |",
            "|---|---:|---:|---|",
            *logins,
            "",
            "| POST, COMMENTS_RATE_LIMIT | req/s | answers |",
            "|---|---:|---|",
            *posts,
        ]
    )
