"""make bench, a site's threads at scale (#20): a big store against one thread alone, both stores.

For each store (file and PostgreSQL), a site of BENCH_SITE_THREADS (200; the issue's 1,000)
threads of BENCH_SITE_PER_THREAD (100) comments, and a store holding only one of its threads,
the same 100 comments with the same ids. Both are written through the store's own
import_records (each thread in one write, as durable as a POST), so they are what the app
writes; the PostgreSQL tables are then analysed, as autovacuum would.

Each round starts every server in turn (the order alternates) on a fresh copy of its store:
gunicorn with 4 workers, the project's gunicorn.conf.py, the access log and the rate limit
off. Each turn measures, with wrk (-t2 -c16, BENCH_SITE_SECONDS, 3 s), the server's CPU per
request (bench/run.py's group_cpu_seconds: the CPU of its process group over the run,
divided by the requests answered): GET /api/comments?thread=<the thread>, its 304, on the big
store GET /api/counts for 50 threads and a plain 304 (GET /api/comments, If-None-Match), and
last POST to the thread for BENCH_SITE_POST_SECONDS (1 s: each post grows the thread; the
store is copied afresh for the next turn, so every turn starts from a thread of 100), twice:
the first run holds each worker's first write, the second is the steady state.
BENCH_SITE_ROUNDS (5) rounds.

Then, on the big stores: a worker's start-up (a fresh process importing the app, create_app()
and the first GET of the thread, as a gunicorn worker does after its fork: no preload), and
a worker's memory (one worker's RSS before and after serving every thread once) against the
store's size on disk.

Last, PostgreSQL writes against the file store's (#20, "PostgreSQL writes"): on the big
stores, 4 workers, 16 connections posting with Prefer: return=minimal for
BENCH_SITE_WRITE_SECONDS (5) after a second of the same posts, on one thread and spread over
100 threads (bench/load.lua chooses one per request), BENCH_SITE_WRITE_ROUNDS (3) rounds,
each on a fresh copy.

make bench runs it last (BENCH_SITE=1, the default); BENCH_SITE=0 skips it; run it alone with
BENCH_SITE=only make bench (or .venv/bin/python bench/site.py), saved to bench/results/site.md
(site-writes.md for the writes part alone).
The issue's sizes: BENCH_SITE_THREADS=1000. BENCH_SITE_PARTS=writes runs the PostgreSQL writes
part alone (only the big stores built); BENCH_SITE_BEFORE, the path of another checkout (git
worktree add /tmp/pg-before HEAD), runs its PostgreSQL store there too, side by side, as
postgresql-before, on a schema of its own built the same way (that checkout's code upgrades
it to its own functions at its first start):

    BENCH_SITE=only BENCH_SITE_PARTS=writes BENCH_SITE_THREADS=1000 \
        BENCH_SITE_BEFORE=/tmp/pg-before .venv/bin/python bench/site.py
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.mixed import parsed, spread, worker_pids  # noqa: E402
from comments_app.stores.jsonfile import JsonFileStore  # noqa: E402
from comments_app.stores.postgres import PostgresStore  # noqa: E402

THREADS = int(os.environ.get("BENCH_SITE_THREADS", "200"))
PER_THREAD = int(os.environ.get("BENCH_SITE_PER_THREAD", "100"))
ROUNDS = int(os.environ.get("BENCH_SITE_ROUNDS", "5"))
SECONDS = int(os.environ.get("BENCH_SITE_SECONDS", "3"))
# Shorter: every post grows the thread of 100 (by about a thousand a second here).
POST_SECONDS = int(os.environ.get("BENCH_SITE_POST_SECONDS", "1"))
WRITE_ROUNDS = int(os.environ.get("BENCH_SITE_WRITE_ROUNDS", "3"))
WRITE_SECONDS = int(os.environ.get("BENCH_SITE_WRITE_SECONDS", "5"))
STARTS = int(os.environ.get("BENCH_SITE_STARTS", "5"))
# "all", or "writes": the PostgreSQL writes part alone.
PARTS = os.environ.get("BENCH_SITE_PARTS", "all")
# Another checkout whose PostgreSQL store the writes part measures too (postgresql-before).
BEFORE = Path(os.environ["BENCH_SITE_BEFORE"]).resolve() if os.environ.get("BENCH_SITE_BEFORE") else None
CONNECTIONS = 16
COUNTED = 50
SPREAD = 100
SCRIPT = ROOT / "bench" / "load.lua"
# The targets.
READ_TARGET = 1.2
POST_TARGET = 1.5
COUNTS_TARGET = 2.0
START_TARGET = 3.0
MEMORY_TARGET = 2.0
WRITE_RATE_TARGET = 1.0
WRITE_P99_TARGET = 1.5


def page(number: int) -> str:
    return f"/articles/{number:04d}/"


THREAD = page(THREADS // 2)
COUNTED_THREADS = [page(n * THREADS // COUNTED) for n in range(COUNTED)]
SPREAD_THREADS = [page(n * THREADS // SPREAD) for n in range(SPREAD)]


def site_records(threads: int) -> list[dict]:
    """Return a site's records: ids in the order people would have written them, every
    thread's in turn; one comment in four a reply to the one before it in its thread."""
    records = []
    for row in range(PER_THREAD):
        for number in range(threads):
            comment_id = row * threads + number + 1
            records.append(
                {
                    "id": comment_id,
                    "author": f"Author {comment_id % 97}",
                    "text": f"Comment {comment_id} on page {number}: a few words of *Markdown*, "
                    "as people write them in a box.",
                    "created": "2026-11-24T12:00:00.000Z",
                    "thread": page(number),
                    "parent": comment_id - threads if row % 4 == 3 else None,
                }
            )
    return records


# The stores: each built once, then copied afresh for every server start.


class FileSite:
    """A file store built once in `pristine`, served from a fresh copy."""

    # The checkout whose code serves it.
    cwd = ROOT

    def __init__(self, name: str, work: Path, records: list[dict]) -> None:
        self.name = name
        self.pristine = work / f"{name}-pristine"
        self.live = work / f"{name}-live"
        self.pristine.mkdir()
        store = JsonFileStore(self.pristine / "comments.json")
        store.import_records(records)
        store.close()

    def restore(self) -> None:
        shutil.rmtree(self.live, ignore_errors=True)
        shutil.copytree(self.pristine, self.live)
        os.sync()

    def settings(self) -> dict[str, str]:
        return {"COMMENTS_FILE": str(self.live / "comments.json")}

    def disk_bytes(self) -> int:
        """Return the bytes of every file of the store (the ids, the journals and hints included)."""
        return sum(path.stat().st_size for path in self.pristine.rglob("*") if path.is_file())


class PostgresSite:
    """A PostgreSQL store in a schema of its own, put back to what it held before each start."""

    def __init__(
        self, name: str, work: Path, cluster_url: str, records: list[dict], cwd: Path = ROOT
    ) -> None:
        self.name = name
        # The checkout whose code serves it.
        self.cwd = cwd
        self.schema = name.replace("-", "_")
        self.work = work
        with psycopg.connect(cluster_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            conn.execute(f"DROP SCHEMA IF EXISTS {self.schema}_saved CASCADE")
            conn.execute(f"CREATE SCHEMA {self.schema}")
        self.url = f"{cluster_url}?options=-csearch_path%3D{self.schema}"
        store = PostgresStore(self.url)
        store.import_records(records)
        store.close()
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("ANALYZE")
            # What the writes change, kept to be put back: the threads' versions and
            # counts, the default thread's row, the sequence, the largest id.
            saved = f"{self.schema}_saved"
            conn.execute(f"CREATE SCHEMA {saved}")
            conn.execute(f"CREATE TABLE {saved}.threads AS SELECT * FROM comments_threads")
            conn.execute(f"CREATE TABLE {saved}.version AS SELECT * FROM comments_version")
            self.sequence = conn.execute("SELECT last_value, is_called FROM comments_ids").fetchone()
            self.last_id = conn.execute("SELECT max(id) FROM comments").fetchone()[0]

    def restore(self) -> None:
        saved = f"{self.schema}_saved"
        with psycopg.connect(self.url, autocommit=True) as conn:
            with conn.transaction():
                conn.execute("DELETE FROM comments WHERE id > %s", (self.last_id,))
                conn.execute("DELETE FROM comments_threads")
                conn.execute(f"INSERT INTO comments_threads SELECT * FROM {saved}.threads")
                conn.execute("DELETE FROM comments_version")
                conn.execute(f"INSERT INTO comments_version SELECT * FROM {saved}.version")
                conn.execute("SELECT setval('comments_ids', %s, %s)", self.sequence)
            conn.execute("VACUUM ANALYZE comments")

    def settings(self) -> dict[str, str]:
        return {"DATABASE_URL": self.url, "COMMENTS_FILE": str(self.work / f"{self.name}-unused.json")}

    def disk_bytes(self) -> int:
        """Return the bytes of the store's tables, their indexes and TOAST included."""
        with psycopg.connect(self.url) as conn:
            return conn.execute(
                "SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c "
                "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'S')"
            ).fetchone()[0]


# Running wrk.


def run_wrk(
    url: str,
    seconds: int,
    headers: tuple[str, ...] = (),
    post: bool = False,
    threads: list[str] | None = None,
) -> dict:
    """Run wrk with bench/load.lua; return bench/mixed.py's parse of what it printed."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", str(SCRIPT)]
    for header in headers:
        command += ["-H", header]
    env = {**os.environ, "BENCH_POST": "1" if post else "0", "BENCH_SITE_THREADS": ",".join(threads or [])}
    result = subprocess.run([*command, url], capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0 or "p99 ms" not in result.stdout:
        raise RuntimeError(f"wrk failed on {url}: {result.stdout} {result.stderr}")
    return parsed(result.stdout)


def cpu_run(process, url: str, expected: int, *headers: str, post: bool = False) -> float:
    """Return the server's CPU µs per request over a wrk run; every answer must be `expected`."""
    before = process.cpu_seconds()
    result = run_wrk(url, POST_SECONDS if post else SECONDS, headers, post=post)
    spent = process.cpu_seconds() - before
    wrong = {code: n for code, n in result["statuses"].items() if code != expected}
    if wrong or result["errors"]:
        raise RuntimeError(f"{url}: answers other than {expected}: {wrong}, errors {result['errors']}")
    return spent / max(result["requests"], 1) * 1e6


def thread_url(process, thread: str = THREAD) -> str:
    return f"{process.url}/api/comments?{urlencode({'thread': thread}, safe='/')}"


def etag_of(url: str) -> str:
    # The identity copy's ETag: wrk sends no Accept-Encoding.
    response = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=30)
    response.raise_for_status()
    return response.headers["ETag"]


@dataclass
class Turn:
    """One server's figures in one round: CPU µs per request by operation, and the rest."""

    cpu: dict[str, float] = field(default_factory=dict)
    posted: int = 0
    started: float = 0.0


def one_turn(gunicorn: Callable, store, work: Path, big: bool) -> Turn:
    """Start a server on a fresh copy of the store and measure it; stop it."""
    store.restore()
    began = time.monotonic()
    process = gunicorn(store.name, "wsgi:app", work, COMMENTS_ACCESS_LOG="off", **store.settings())
    turn = Turn(started=time.monotonic() - began)
    try:
        url = thread_url(process)
        counts_url = f"{process.url}/api/counts?" + urlencode(
            [("thread", t) for t in COUNTED_THREADS], safe="/"
        )
        # Warm every worker: each reads the thread (and the counted threads) once.
        run_wrk(url, 1)
        if big:
            run_wrk(counts_url, 1)
        turn.cpu["GET"] = cpu_run(process, url, 200)
        turn.cpu["304"] = cpu_run(process, url, 304, f"If-None-Match: {etag_of(url)}")
        if big:
            turn.cpu["counts"] = cpu_run(process, counts_url, 200)
            plain = f"{process.url}/api/comments"
            turn.cpu["plain 304"] = cpu_run(process, plain, 304, f"If-None-Match: {etag_of(plain)}")
        turn.cpu["POST"] = cpu_run(process, url, 201, "Prefer: return=minimal", post=True)
        # Again, every worker having written once: a worker's first write reads the whole
        # ids file of the file store (ids.py), once; the thread is then longer.
        turn.cpu["POST again"] = cpu_run(process, url, 201, "Prefer: return=minimal", post=True)
        turn.posted = len(requests.get(url, timeout=30).json()) - PER_THREAD
    finally:
        process.stop()
    return turn


def measure_reads(gunicorn: Callable, stores: dict, work: Path) -> dict[str, list[Turn]]:
    """Run ROUNDS rounds, every server in turn, the order alternating; return the turns."""
    turns: dict[str, list[Turn]] = {name: [] for name in stores}
    for number in range(ROUNDS):
        order = list(stores) if number % 2 == 0 else list(reversed(stores))
        for name in order:
            print(f"site: round {number + 1} of {ROUNDS}, {name}", file=sys.stderr)
            turns[name].append(one_turn(gunicorn, stores[name], work, big=name.endswith("big")))
    return turns


# A worker's start-up and memory.

STARTUP = """
import sys, time
began = time.perf_counter()
from comments_app import create_app
imported = time.perf_counter()
app = create_app()
made = time.perf_counter()
answer = app.test_client().get("/api/comments", query_string={"thread": sys.argv[1]})
assert answer.status_code == 200 and len(answer.get_json()) >= 1, answer.status_code
print(imported - began, made - imported, time.perf_counter() - made)
"""


def startup_seconds(store) -> tuple[float, float, float]:
    """Return (import, create_app, first GET) seconds of a fresh process on a fresh copy."""
    store.restore()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMENTS_") and k != "DATABASE_URL"}
    env.update(store.settings())
    result = subprocess.run(
        [sys.executable, "-c", STARTUP, THREAD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"start-up on {store.name} failed: {result.stderr}")
    first, second, third = (float(value) for value in result.stdout.split())
    return first, second, third


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def memory(gunicorn: Callable, store, work: Path) -> tuple[int, int]:
    """Return one worker's RSS after its first answer, and after serving every thread once."""
    store.restore()
    process = gunicorn(
        f"{store.name}-memory", "wsgi:app", work, COMMENTS_ACCESS_LOG="off", workers=1, **store.settings()
    )
    try:
        (worker,) = worker_pids(process.process.pid)
        before = rss_bytes(worker)
        with requests.Session() as session:
            for number in range(THREADS):
                session.get(thread_url(process, page(number)), timeout=30).raise_for_status()
            for start in range(0, THREADS, 100):
                threads = [("thread", page(n)) for n in range(start, min(start + 100, THREADS))]
                session.get(f"{process.url}/api/counts?" + urlencode(threads, safe="/"), timeout=30)
        return before, rss_bytes(worker)
    finally:
        process.stop()


# PostgreSQL writes against the file store's.


def commits(store) -> int | None:
    """Return the transactions the database has committed (None for the file store), once the
    servers' sessions have gone: each flushes its counts as it ends."""
    if not isinstance(store, PostgresSite):
        return None
    with psycopg.connect(store.url, autocommit=True) as conn:
        deadline = time.monotonic() + 10
        others = (
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        while conn.execute(others).fetchone()[0] and time.monotonic() < deadline:
            time.sleep(0.05)
        query = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        return conn.execute(query).fetchone()[0]


def write_turn(gunicorn: Callable, store, work: Path, threads: list[str] | None) -> dict:
    """Post for WRITE_SECONDS on a fresh copy: to THREAD, or spread over `threads`."""
    store.restore()
    committed = commits(store)
    process = gunicorn(
        f"{store.name}-writes", "wsgi:app", work, cwd=store.cwd, COMMENTS_ACCESS_LOG="off", **store.settings()
    )
    try:
        url = thread_url(process) if threads is None else f"{process.url}/api/comments"
        # A second of posts first: each worker's first write on the file store reads the
        # whole ids file (ids.py), once, which would set the p99 of a fresh server.
        warm = run_wrk(url, 1, ("Prefer: return=minimal",), post=True, threads=threads)
        result = run_wrk(url, WRITE_SECONDS, ("Prefer: return=minimal",), post=True, threads=threads)
    finally:
        process.stop()
    created = result["statuses"].get(201, 0)
    if committed is not None:
        # Per post of both wrk runs (a thread's version counts them); each write is two
        # transactions, the write's and its NOTIFY's.
        posted = warm["statuses"].get(201, 0) + created
        committed = (commits(store) - committed) / max(posted, 1)
    return {
        "commits": committed,
        "rate": created / result["seconds"],
        "p99": result["p99"],
        "bad": sum(n for code, n in result["statuses"].items() if code != 201) + result["errors"],
    }


def measure_writes(gunicorn: Callable, stores: dict, work: Path) -> dict:
    """Return {(spread, store): [round figures]} for the big file and PostgreSQL stores."""
    results: dict[tuple[str, str], list[dict]] = {}
    names = [name for name in ("file-big", "postgresql-big", "postgresql-before") if name in stores]
    for number in range(WRITE_ROUNDS):
        for how, threads in (("one thread", None), (f"{SPREAD} threads", SPREAD_THREADS)):
            order = names if number % 2 == 0 else list(reversed(names))
            for name in order:
                print(f"site writes: round {number + 1} of {WRITE_ROUNDS}, {how}, {name}", file=sys.stderr)
                results.setdefault((how, name), []).append(write_turn(gunicorn, stores[name], work, threads))
    return results


# The section.


def measure_site(gunicorn: Callable, cluster_url: str, work: Path) -> str:
    """Build the stores, run every part; return the section's report (Markdown)."""
    folder = work / "site"
    folder.mkdir()
    if PARTS == "writes":
        return measure_writes_alone(gunicorn, cluster_url, folder)
    print(f"site: building {THREADS:,} threads of {PER_THREAD} comments in both stores", file=sys.stderr)
    built = time.monotonic()
    records = site_records(THREADS)
    alone = [record for record in records if record["thread"] == THREAD]
    stores = {
        "file-big": FileSite("file-big", folder, records),
        "file-small": FileSite("file-small", folder, alone),
        "postgresql-big": PostgresSite("postgresql-big", folder, cluster_url, records),
        "postgresql-small": PostgresSite("postgresql-small", folder, cluster_url, alone),
    }
    build_seconds = time.monotonic() - built
    turns = measure_reads(gunicorn, stores, folder)
    starts = {}
    for _ in range(STARTS):
        for name in ("file-big", "file-small", "postgresql-big"):
            starts.setdefault(name, []).append(startup_seconds(stores[name]))
    memories = {name: memory(gunicorn, stores[name], folder) for name in ("file-big", "postgresql-big")}
    sizes = {name: stores[name].disk_bytes() for name in ("file-big", "postgresql-big")}
    writes = measure_writes(gunicorn, stores, folder)
    return render(turns, starts, memories, sizes, writes, build_seconds)


def measure_writes_alone(gunicorn: Callable, cluster_url: str, folder: Path) -> str:
    """Build the big stores only (BENCH_SITE_BEFORE's too), run the writes part; return its report."""
    print(f"site: building {THREADS:,} threads of {PER_THREAD} comments, writes only", file=sys.stderr)
    built = time.monotonic()
    records = site_records(THREADS)
    stores = {
        "file-big": FileSite("file-big", folder, records),
        "postgresql-big": PostgresSite("postgresql-big", folder, cluster_url, records),
    }
    if BEFORE is not None:
        before = PostgresSite("postgresql-before", folder, cluster_url, records, cwd=BEFORE)
        stores["postgresql-before"] = before
    print(f"site: built in {time.monotonic() - built:.0f} s", file=sys.stderr)
    verdicts: list[bool] = []
    out = render_writes(measure_writes(gunicorn, stores, folder), verdicts)
    if BEFORE is not None:
        out += ["", f"postgresql-before: the checkout at {BEFORE}; postgresql-big: this one ({ROOT})."]
    out += ["", f"Verdict: {'every target met' if all(verdicts) else 'a target MISSED'}."]
    return "\n".join(out)


def ratio_line(label: str, mine: list[float], base: list[float], target: float, verdicts: list[bool]) -> str:
    """Return a table row: the ratio of the medians, the paired rounds' spread, and the verdict."""
    value = statistics.median(mine) / statistics.median(base)
    paired = [a / b for a, b in zip(mine, base, strict=True)]
    met = value <= target
    verdicts.append(met)
    return (
        f"| {label} | {value:.2f} ({min(paired):.2f}–{max(paired):.2f}) | ≤ {target} "
        f"({'met' if met else 'MISSED'}) |"
    )


def render(turns, starts, memories, sizes, writes, build_seconds) -> str:
    verdicts: list[bool] = []
    comments = THREADS * PER_THREAD
    out = [
        "",
        f"A site's threads at scale: {comments:,} comments in {THREADS:,} threads of {PER_THREAD} "
        f"(built through each store's import_records in {build_seconds:.0f} s), against a store "
        f"holding only the thread {THREAD} ({PER_THREAD} comments, the same ids). Server CPU per "
        f"request, µs, median (min–max) of {ROUNDS} rounds, each server started on a fresh copy "
        f"in alternating order; 4 workers, access log and rate limit off, wrk -t2 -c{CONNECTIONS} "
        f"{SECONDS} s ({POST_SECONDS} s for POST).",
        "",
        "| store | GET thread | its 304 | POST (return=minimal) | POST again | counts, 50 threads "
        "| plain 304 | posts in the two POST runs | start to first answer, s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rounds in turns.items():
        cells = [
            spread([turn.cpu[mode] for turn in rounds]) if mode in rounds[0].cpu else "" for mode in MODES
        ]
        posted = spread([turn.posted for turn in rounds])
        started = spread([turn.started for turn in rounds], 1)
        out.append(f"| {name} | {' | '.join(cells)} | {posted} | {started} |")
    out += ["", "| ratio | median (paired rounds min–max) | target |", "|---|---:|---|"]
    for kind in ("file", "postgresql"):
        big, small = turns[f"{kind}-big"], turns[f"{kind}-small"]
        for mode, target in (
            ("GET", READ_TARGET),
            ("304", READ_TARGET),
            ("POST", POST_TARGET),
            ("POST again", POST_TARGET),
        ):
            label = f"{kind}: {mode} big / alone"
            cpu = [turn.cpu[mode] for turn in big], [turn.cpu[mode] for turn in small]
            out.append(ratio_line(label, *cpu, target, verdicts))
        counts = [turn.cpu["counts"] for turn in big], [turn.cpu["plain 304"] for turn in big]
        out.append(ratio_line(f"{kind}: counts of 50 / plain 304", *counts, COUNTS_TARGET, verdicts))
    out += [
        "",
        f"A worker's start-up in a fresh process (no preload: a gunicorn worker does this after "
        f"its fork): importing the app, create_app(), the first GET of the thread; seconds, median "
        f"(min–max) of {STARTS}, on a fresh copy each time.",
        "",
        "| store | import | create_app | first GET | total |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, runs in starts.items():
        parts = [spread([run[i] for run in runs], 2) for i in range(3)]
        totals = [sum(run) for run in runs]
        out.append(f"| {name} | {' | '.join(parts)} | {spread(totals, 2)} |")
    out.append("")
    for name in ("file-big", "postgresql-big"):
        total = statistics.median(sum(run) for run in starts[name])
        verdicts.append(total <= START_TARGET)
        out.append(
            f"Start-up on the {comments:,}-comment store, {name}: {total:.2f} s, target ≤ {START_TARGET} s "
            f"({'met' if total <= START_TARGET else 'MISSED'})."
        )
    out += [
        "",
        f"A worker's memory: one worker's RSS after its first answer and after serving all "
        f"{THREADS:,} threads once (and their counts), against the store's bytes on disk.",
        "",
        "| store | on disk MB | RSS before MB | RSS after MB | growth MB | growth / disk | target |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, (before, after) in memories.items():
        growth = (after - before) / sizes[name]
        met = growth <= MEMORY_TARGET
        verdicts.append(met)
        mb = [f"{value / 1e6:.1f}" for value in (sizes[name], before, after, after - before)]
        verdict = f"≤ {MEMORY_TARGET} ({'met' if met else 'MISSED'})"
        out.append(f"| {name} | {' | '.join(mb)} | {growth:.2f} | {verdict} |")
    out += render_writes(writes, verdicts)
    out += ["", f"Verdict: {'every target met' if all(verdicts) else 'a target MISSED'}."]
    return "\n".join(out)


MODES = ("GET", "304", "POST", "POST again", "counts", "plain 304")


def render_writes(writes: dict, verdicts: list[bool]) -> list[str]:
    out = [
        "",
        f"PostgreSQL writes against the file store's: the {THREADS:,}-thread stores, 4 workers, "
        f"{CONNECTIONS} connections posting (Prefer: return=minimal) for {WRITE_SECONDS} s after a "
        "second of the same posts, "
        f"median (min–max) of {WRITE_ROUNDS} rounds, each on a fresh copy, the stores in "
        "alternating order.",
        "",
        "| posting to | store | posts/s | p99 ms | each round's posts/s and p99 | commits a post "
        "| not 201 or errors |",
        "|---|---|---:|---:|---|---:|---:|",
    ]
    for (how, name), rounds in writes.items():
        rate, p99 = spread([r["rate"] for r in rounds]), spread([r["p99"] for r in rounds], 1)
        each = ", ".join(f"{r['rate']:,.0f} / {r['p99']:.0f}" for r in rounds)
        made = spread([r["commits"] for r in rounds], 2) if rounds[0]["commits"] is not None else ""
        out.append(f"| {how} | {name} | {rate} | {p99} | {each} | {made} | {sum(r['bad'] for r in rounds)} |")
    out += ["", "| PostgreSQL / file | median (paired rounds min–max) | target |", "|---|---:|---|"]
    kinds = [name for name in ("postgresql-before", "postgresql-big") if any(n == name for _, n in writes)]
    for how, kind in ((how, kind) for how in dict.fromkeys(how for how, _ in writes) for kind in kinds):
        pg, file = writes[(how, kind)], writes[(how, "file-big")]
        # The targets are this checkout's; the other's figures are for comparison.
        mark = "" if kind == "postgresql-big" else f"{kind} "
        for key, label, target in (("rate", "posts/s", WRITE_RATE_TARGET), ("p99", "p99", WRITE_P99_TARGET)):
            mine, base = [r[key] for r in pg], [r[key] for r in file]
            value = statistics.median(mine) / statistics.median(base)
            paired = [a / b for a, b in zip(mine, base, strict=True) if b]
            met = value >= target if key == "rate" else value <= target
            if not mark:
                verdicts.append(met)
            sign = "≥" if key == "rate" else "≤"
            rounds = f"{min(paired):.2f}–{max(paired):.2f}"
            out.append(
                f"| {mark}{how}: {label} | {value:.2f} ({rounds}) | {sign} {target} "
                f"({'met' if met else 'MISSED'}) |"
            )
    if "postgresql-before" in kinds:
        for how in dict.fromkeys(how for how, _ in writes):
            mine, base = writes[(how, "postgresql-big")], writes[(how, "postgresql-before")]
            for key, label in (("rate", "posts/s"), ("p99", "p99")):
                value = statistics.median(r[key] for r in mine) / statistics.median(r[key] for r in base)
                paired = [a[key] / b[key] for a, b in zip(mine, base, strict=True) if b[key]]
                out.append(
                    f"| postgresql-big / postgresql-before, {how}: {label} | {value:.2f} "
                    f"({min(paired):.2f}–{max(paired):.2f}) | (information) |"
                )
    clean = all(r["bad"] == 0 for rounds in writes.values() for r in rounds)
    verdicts.append(clean)
    out.append(f"| every post answered 201, no error | {'yes' if clean else 'NO'} | yes |")
    return out


def main() -> int:
    import tempfile

    from bench.run import RESULTS, section_only, site_section

    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "site-writes.md" if PARTS == "writes" else "site.md"
    return section_only(site_section, Path(tempfile.mkdtemp(prefix="comments-site-")), name)


if __name__ == "__main__":
    sys.exit(main())
