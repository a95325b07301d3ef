"""make bench: the server CPU each GET, 304 and POST costs, for both stores, beside a ceiling.

For each list size the file store, the PostgreSQL store, the ceiling (the same
Flask + gunicorn stack, with the project's own gunicorn.conf.py, answering the same
bytes from memory) and the tutorial-style Node server run at once, each gunicorn
with 4 workers; wrk loads one at a time, in turns, each round starting with another
server, BENCH_REPS times. Before every POST run the list is put back to its size.
These servers run with COMMENTS_RATE_LIMIT=off: they measure the stores, not the
limiter; bench/abuse.py then measures the limits (a throttled login, POST with the
limiter on).

The figure that decides is the server's CPU per request: the CPU seconds (user +
system, from /proc) of the server's whole process group over a wrk run, divided by
the requests it answered. On a shared machine requests/s measures the neighbours as
much as the server; CPU per request does not move with them. Requests/s is shown
as information. Each figure is min / median / max over the rounds.
Settings: BENCH_SIZES (10,1000,10000), BENCH_SECONDS (3), BENCH_REPS (5),
BENCH_CONNECTIONS (16), BENCH_COMPARE (unset; the path of another checkout: its file
store runs too, as file@base, and file is measured against it).
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.abuse import measure_limits  # noqa: E402
from bench.byid import measure_by_id  # noqa: E402
from bench.mixed import measure_mixed  # noqa: E402
from bench.site import measure_site  # noqa: E402
from bench.streams import measure_streams  # noqa: E402
from comments_app.stores.jsonfile import JsonFileStore  # noqa: E402
from comments_app.stores.layout import encode_comment, encode_list  # noqa: E402
from comments_app.stores.postgres import PostgresStore  # noqa: E402
from tests.pgcluster import Cluster, free_port  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "10,1000,10000").split(",")]
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
REPS = int(os.environ.get("BENCH_REPS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
# Another checkout (an earlier commit, say): its wsgi.py, comments_app and gunicorn.conf.py
# serve the file store as file@base beside this checkout's.
COMPARE = Path(os.environ["BENCH_COMPARE"]).resolve() if os.environ.get("BENCH_COMPARE") else None
# For a quicker look: the servers to load (all by default), and BENCH_EXTRAS=0 to skip
# the codings, first-load and held-connections parts.
ALL_SERVERS = "file,postgresql,ceiling,floor,file-gthread,node" + (",file@base" if COMPARE else "")
SERVERS = os.environ.get("BENCH_SERVERS", ALL_SERVERS).split(",")
EXTRAS = os.environ.get("BENCH_EXTRAS", "1") != "0"
# Tail latency under mixed load (bench/mixed.py): 1 runs it last, 0 skips it, only runs it alone.
MIXED = os.environ.get("BENCH_MIXED", "1")
# A site's threads at scale (bench/site.py): 1 runs it after the rest, 0 skips it, only runs it alone.
SITE = os.environ.get("BENCH_SITE", "1")
# Event streams (bench/streams.py): 1 runs it after the rest, 0 skips it, only runs it alone.
STREAMS = os.environ.get("BENCH_STREAMS", "1")
MODES = os.environ.get("BENCH_MODES", "GET,304,POST").split(",")
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"


def comments(count: int) -> list[dict]:
    return [
        {
            "id": number,
            "author": f"Author {number % 97}",
            "text": f"Comment number {number}: a few words of *Markdown*, as people write them in a box.",
            "created": "2026-11-24T12:00:00.000Z",
        }
        for number in range(1, count + 1)
    ]


def replace_file(path: Path, data: bytes) -> None:
    """Put data in place at once: a server still answering a last request never reads half."""
    partial = path.with_name(path.name + ".reset")
    partial.write_bytes(data)
    os.replace(partial, path)


class Process:
    def __init__(
        self, name: str, command: list[str], env: dict[str, str], port: int, log: Path, cwd: Path = ROOT
    ) -> None:
        self.name = name
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(log, "wb")  # noqa: SIM115 - open while the process runs
        # A session of its own: its process group is the server, master and workers.
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(self.url + "/api/comments", timeout=5)
                return
            except requests.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start; see {log}") from None
                time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """Return the CPU seconds the server's process group has used so far."""
        return group_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        self.log.close()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """Return user + system CPU seconds of every process in a process group, with the
    children they have reaped (so a worker that exits mid-run is still counted)."""
    ticks = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as file:
                stat = file.read()
        except OSError:
            continue  # gone meanwhile
        # The command name may hold spaces and parentheses: the fields follow the last ")".
        fields = stat[stat.rindex(b")") + 2 :].split()
        if int(fields[2]) == pgid:
            ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks / CLOCK_TICKS


# The serving model before gevent, for comparison: gunicorn's gthread worker, 4 threads.
GTHREAD = ["--worker-class", "gthread", "--threads", "4"]


def gunicorn(
    name: str, app: str, work: Path, *args: str, workers: int = 4, cwd: Path = ROOT, **settings: str
) -> Process:
    """Start gunicorn in cwd: it imports the app, and reads gunicorn.conf.py, from there."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMENTS_") and k != "DATABASE_URL"}
    # The store benchmarks measure the stores: one wrk client posting thousands of
    # comments would meet the rate limit at once, so it is off unless a run sets it.
    env["COMMENTS_RATE_LIMIT"] = "off"
    env.update(settings)
    command = [
        str(BIN / "gunicorn"),
        app,
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        # Everything else (worker model, connections, access log) from gunicorn.conf.py,
        # for the ceiling too: the ratio is then the project's request path alone.
        *args,
    ]
    return Process(name, command, env, port, work / f"{name}.log", cwd)


def measured(process: Process, *args: str) -> tuple[float, int, float]:
    """Run wrk against a server; return requests/s, bad answers and its CPU µs per request."""
    before = process.cpu_seconds()
    rate, bad, answered = run_wrk(process.url, *args)
    spent = process.cpu_seconds() - before
    return rate, bad, spent / max(answered, 1) * 1e6


def wrk(url: str, *args: str) -> tuple[float, int]:
    """Run wrk; return (requests per second, responses that were not 2xx or 3xx)."""
    rate, bad, _answered = run_wrk(url, *args)
    return rate, bad


def run_wrk(url: str, *args: str) -> tuple[float, int, int]:
    """Run wrk; return (requests per second, responses that were not 2xx or 3xx, requests answered)."""
    result = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", *args, url + "/api/comments"],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if result.returncode != 0 or found is None:
        raise RuntimeError(f"wrk failed on {url}: {result.stdout} {result.stderr}")
    rate = float(found.group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", result.stdout)
    answered = re.search(r"(\d+) requests in", result.stdout)
    return rate, int(bad.group(1)) if bad else 0, int(answered.group(1)) if answered else 0


class Target:
    """A server under test and how to put its list back to a given size."""

    def __init__(self, name: str, process: Process, reset) -> None:
        self.name = name
        self.process = process
        self.reset = reset

    def restore(self) -> None:
        """Put the list back to its size, and flush what the POSTs left dirty, so that
        the kernel's writeback does not slow whichever server runs next."""
        self.reset()
        os.sync()

    def etag(self) -> str | None:
        # The identity copy's ETag: wrk sends no Accept-Encoding, and each coding has its own.
        headers = {"Accept-Encoding": "identity"}
        return requests.get(self.process.url + "/api/comments", headers=headers).headers.get("ETag")


def main() -> int:
    if shutil.which("wrk") is None:
        print("make bench needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    if COMPARE and not (COMPARE / "wsgi.py").is_file():
        print(f"BENCH_COMPARE: no wsgi.py in {COMPARE}", file=sys.stderr)
        return 2
    if "file@base" in SERVERS and not COMPARE:
        print("file@base needs BENCH_COMPARE, the path of the checkout to compare with", file=sys.stderr)
        return 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="comments-bench-"))
    if MIXED == "only":
        return section_only(mixed_section, work, "mixed.md")
    if SITE == "only":
        return section_only(site_section, work, "site.md")
    if STREAMS == "only":
        return section_only(streams_section, work, "streams.md")
    cluster = Cluster(fsync=True).init().start()
    runs: dict[tuple[int, str, str], list[float]] = {}
    errors: list[str] = []
    load_before = os.getloadavg()
    try:
        for size in SIZES:
            measure_size(size, work, cluster, runs, errors)
        first_load, held, polls = [], "", []
        if EXTRAS:
            for size in SIZES:
                measure_codings(size, work, runs, errors)
            first_load = measure_first_load(work)
            held = capacity(work)
            polls = [measure_poll(size, work, cluster) for size in POLL_SIZES]
    finally:
        cluster.remove()
        shutil.rmtree(work, ignore_errors=True)
    report = "\n\n".join(
        [
            machine(load_before, os.getloadavg()),
            render_cpu(),
            render(runs, errors),
            render_codings(runs, first_load),
            held,
            render_polls(polls) if polls else "",
        ]
    )
    if EXTRAS:
        report += "\n" + measure_limits(gunicorn)
        report += "\n" + measure_by_id(gunicorn)
    if MIXED != "0":
        report += "\n" + mixed_section(work)
    if SITE != "0":
        report += "\n" + site_section(work)
    if STREAMS != "0":
        report += "\n" + streams_section(work)
    print(report)
    (RESULTS / "latest.md").write_text(report)
    print(f"\n(saved to {RESULTS / 'latest.md'})")
    return 0


def mixed_section(work: Path) -> str:
    """Run bench/mixed.py's rounds in a folder of their own; return its report."""
    work.mkdir(parents=True, exist_ok=True)
    try:
        return measure_mixed(gunicorn, comments, GTHREAD, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def section_only(section: Callable[[Path], str], work: Path, name: str) -> int:
    """BENCH_MIXED=only or BENCH_SITE=only: one section alone, saved like the whole report."""
    load_before = os.getloadavg()
    body = section(work)
    report = machine(load_before, os.getloadavg()) + "\n" + body
    print(report)
    (RESULTS / name).write_text(report)
    print(f"\n(saved to {RESULTS / name})")
    return 0


def streams_section(work: Path) -> str:
    """Run bench/streams.py's parts in a folder of their own; return its report."""
    work.mkdir(parents=True, exist_ok=True)
    try:
        return measure_streams(gunicorn, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def site_section(work: Path) -> str:
    """Run bench/site.py's parts on a PostgreSQL cluster of their own; return its report."""
    work.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(fsync=True).init().start()
    try:
        return measure_site(gunicorn, cluster.url(), work)
    finally:
        cluster.remove()
        shutil.rmtree(work, ignore_errors=True)


def measure_size(size: int, work: Path, cluster: Cluster, runs: dict, errors: list[str]) -> None:
    items = comments(size)
    lines = [encode_comment(item) for item in items]
    body = encode_list(lines[:-1])
    folder = work / f"n{size}"
    folder.mkdir()
    json_path = folder / "comments.json"
    gthread_path = folder / "gthread.json"
    base_path = folder / "base.json"
    body_path = folder / "body.json"
    tutorial_path = folder / "tutorial.json"

    def reset_file() -> None:
        # The list of size-1 comments, then one POST through the store: the file is
        # then in the state the store leaves it in, with its hint.
        # file@base's too: its checkout writes the same format, one JSON comment a line.
        for path in (json_path, gthread_path, *([base_path] if COMPARE else [])):
            replace_file(path, body)
            JsonFileStore(path).add(items[-1]["author"], items[-1]["text"])

    schema = f"bench_{size}"
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    pg_url = f"{cluster.url()}?options=-csearch_path%3D{schema}"
    loader = PostgresStore(pg_url)
    loader.import_records(items)
    loader.close()

    def reset_pg() -> None:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DELETE FROM comments WHERE id > %s", (size,))
            conn.execute(
                "UPDATE comments_version SET epoch = md5(random()::text), "
                "version = version + 1, last_id = %s",
                (size,),
            )

    def reset_tutorial() -> None:
        replace_file(tutorial_path, json.dumps(items, indent=4).encode())

    reset_file()
    body_path.write_bytes(json_path.read_bytes())
    reset_tutorial()
    node_port = free_port()
    processes = [
        gunicorn("file", "wsgi:app", folder, COMMENTS_FILE=str(json_path)),
        gunicorn(
            "postgresql", "wsgi:app", folder, DATABASE_URL=pg_url, COMMENTS_FILE=str(folder / "unused.json")
        ),
        gunicorn("ceiling", "bench.ceiling:app", folder, BENCH_BODY=str(body_path)),
        gunicorn("floor", "bench.floor:app", folder, BENCH_BODY=str(body_path)),
        gunicorn("file-gthread", "wsgi:app", folder, *GTHREAD, COMMENTS_FILE=str(gthread_path)),
        Process(
            "node",
            ["node", "bench/tutorial_server.js"],
            {**os.environ, "COMMENTS_FILE": str(tutorial_path), "PORT": str(node_port)},
            node_port,
            folder / "node.log",
        ),
    ]
    targets = [
        Target("file", processes[0], reset_file),
        Target("postgresql", processes[1], reset_pg),
        Target("ceiling", processes[2], lambda: None),
        Target("floor", processes[3], lambda: None),
        Target("file-gthread", processes[4], reset_file),
        Target("node", processes[5], reset_tutorial),
    ]
    if COMPARE:
        # The same command and settings as file, but run in the other checkout.
        processes.append(gunicorn("file@base", "wsgi:app", folder, cwd=COMPARE, COMMENTS_FILE=str(base_path)))
        targets.append(Target("file@base", processes[-1], reset_file))
    targets = [target for target in targets if target.name in SERVERS]
    try:
        for target in targets:  # warm every worker's cache
            wrk(target.process.url)
        for rep in range(REPS):
            print(f"size {size}: round {rep + 1} of {REPS}", file=sys.stderr)
            # Each round starts with another server, so that none is always first.
            for target in targets[rep % len(targets) :] + targets[: rep % len(targets)]:
                process = target.process
                if "GET" in MODES:
                    record(runs, errors, size, target.name, "GET", measured(process))
                etag = target.etag() if "304" in MODES else None
                if etag:
                    record(
                        runs,
                        errors,
                        size,
                        target.name,
                        "304",
                        measured(process, "-H", f"If-None-Match: {etag}"),
                    )
                if "POST" not in MODES:
                    continue
                target.restore()
                record(
                    runs,
                    errors,
                    size,
                    target.name,
                    "POST",
                    measured(process, "-s", str(ROOT / "bench" / "post.lua")),
                )
                target.restore()
    except Exception:
        for process in processes:
            if process.process.poll() is not None:
                print(f"{process.name} exited with {process.process.returncode}:", file=sys.stderr)
                print(Path(process.log.name).read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        for process in processes:
            process.stop()


# Server CPU µs per request of each run, by (size, server, mode), in the order run.
CPU: dict[tuple[int, str, str], list[float]] = {}


def record(runs: dict, errors: list[str], size: int, name: str, mode: str, result: tuple) -> None:
    """Keep a run's requests/s in runs and, when measured, its CPU per request in CPU."""
    rate, bad, *cpu = result
    runs.setdefault((size, name, mode), []).append(rate)
    if cpu:
        CPU.setdefault((size, name, mode), []).append(cpu[0])
    if bad and name != "node":
        errors.append(f"{name} {mode} at {size}: {bad} responses were not 2xx/3xx")


CAPACITY_STEPS = (25, 100, 400, 900)
SLOW_KINDS = {
    # A kept-alive connection after one answered request, then silence.
    "idle keep-alive": b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n",
    # Half a request header (slowloris), then silence.
    "half-sent headers": b"GET /api/comments HTTP/1.1\r\nHost: localhost\r\nX-Slow: ",
}


def capacity(work: Path) -> str:
    """How many idle or slow connections one worker holds while a fresh GET answers within 1 s."""
    rows = [
        "Connections one worker holds open while a fresh GET still answers within 1 s "
        f"(tried {', '.join(map(str, CAPACITY_STEPS))}; the GET's time at the largest).",
        "",
        "| model | connections | held | fresh GET |",
        "|---|---|---:|---:|",
    ]
    for model, args in (("gevent (default)", ()), ("gthread, 4 threads", GTHREAD)):
        for kind, first in SLOW_KINDS.items():
            print(f"capacity: {model}, {kind}", file=sys.stderr)
            # A long deadline, so that the server does not cut the connections mid-count.
            process = gunicorn(
                "capacity",
                "wsgi:app",
                work,
                *args,
                workers=1,
                COMMENTS_FILE=str(work / "capacity.json"),
                COMMENTS_CLIENT_TIMEOUT="60",
            )
            try:
                held, took = hold(process.url, first)
            finally:
                process.stop()
            shown = "timed out" if took is None else f"{took * 1000:,.0f} ms"
            rows.append(f"| {model} | {kind} | {held:,} | {shown} |")
    return "\n".join(rows)


def hold(url: str, first: bytes) -> tuple[int, float | None]:
    """Open connections step by step; return the most held with a fresh GET under 1 s, and its time."""
    host, port = url.removeprefix("http://").split(":")
    socks: list[socket.socket] = []
    held, took = 0, None
    try:
        for step in CAPACITY_STEPS:
            while len(socks) < step:
                sock = socket.create_connection((host, int(port)), timeout=5)
                sock.sendall(first)
                socks.append(sock)
            started = time.monotonic()
            try:
                requests.get(url + "/api/comments", timeout=3)
            except requests.RequestException:
                return held, None if not held else took
            elapsed = time.monotonic() - started
            if elapsed >= 1:
                return held, took
            held, took = step, elapsed
        return held, took
    finally:
        for sock in socks:
            sock.close()


def machine(load_before: tuple[float, ...], load_after: tuple[float, ...]) -> str:
    """Say which machine the figures come from and how busy it was."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = (
        " / ".join(f"{value:.2f}" for value in load_before),
        " / ".join(f"{value:.2f}" for value in load_after),
    )
    return (
        f"Machine: {model}, {os.cpu_count()} cores; load average (1 / 5 / 15 min) {load[0]} before, "
        f"{load[1]} after; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}."
    )


# The verdicts: the project's CPU per request against the ceiling's, at most this much more.
CPU_TARGET = 1.1
CPU_MODES = ("GET", "304", "POST")
CPU_SERVERS = ("file", "postgresql", "ceiling", "floor", "file-gthread", "node", "file@base")
# This checkout's file store against BENCH_COMPARE's (file@base): within 5% of it, or better.
BASE_TARGET = 1.05


def spread(values: list[float] | None, digits: int = 0) -> str:
    """Return "median (min-max)" of a list of figures, or a dash for none."""
    if not values:
        return "–"
    return f"{statistics.median(values):,.{digits}f} ({min(values):,.{digits}f}–{max(values):,.{digits}f})"


def noise(values: list[float] | None) -> float | None:
    """Return the spread of a list of figures as (max - min) / median."""
    if not values or len(values) < 2:
        return None
    return (max(values) - min(values)) / statistics.median(values)


def render_cpu() -> str:
    """The CPU table, the ratios to the ceiling with their spread, and the verdicts."""
    out = [
        f"Server CPU per request, µs: median (min–max) of {REPS} interleaved runs of {SECONDS} s, "
        f"wrk -t2 -c{CONNECTIONS}; the CPU (user + system) of the server's whole process group over "
        "a run, divided by the requests it answered. Every gunicorn runs with gunicorn.conf.py "
        "(gevent, the access log as configured) and 4 workers; the ceiling answers the same body and "
        "headers from memory through Flask, the floor through a plain WSGI function; "
        "file-gthread is the file store under the previous "
        "model (gthread, 4 threads); node is the tutorial design (one process, no fsync, no lock)."
        + base_note(),
        "",
        "| comments | server | GET | 304 | POST |",
        "|---:|---|---:|---:|---:|",
    ]
    for size in SIZES:
        for name in CPU_SERVERS:
            cells = [spread(CPU.get((size, name, mode))) for mode in CPU_MODES]
            if any(cell != "–" for cell in cells):
                out.append(f"| {size:,} | {name} | {' | '.join(cells)} |")
    out += [
        "",
        f"Project / ceiling CPU per request: the ratio of the medians, and (in brackets) the "
        f"lowest–highest ratio of the runs paired by round; the target is at most {CPU_TARGET}"
        + (f"; file / file@base at most {BASE_TARGET} for GET and 304." if ran_base() else "."),
        "",
        "| comments | ratio | value | target |",
        "|---:|---|---:|---|",
    ]
    for size in SIZES:
        for name in ("file", "postgresql"):
            for mode in ("GET", "304"):
                line = cpu_ratio(size, name, mode, "ceiling", mode, CPU_TARGET)
                if line:
                    out.append(line)
    for size in SIZES:
        for name, mode, base, target in (
            ("file", "GET", "floor", None),
            ("file", "304", "floor", None),
            ("postgresql", "GET", "floor", None),
            ("postgresql", "304", "floor", None),
            ("file", "POST", "node", None),
            ("file", "GET", "file-gthread", None),
            ("file", "POST", "file-gthread", None),
            ("file", "GET", "file@base", BASE_TARGET),
            ("file", "304", "file@base", BASE_TARGET),
            ("file", "POST", "file@base", None),
        ):
            line = cpu_ratio(size, name, mode, base, mode, target)
            if line:
                out.append(line)
    noisy = [noise(values) for values in CPU.values()]
    noisy = [value for value in noisy if value is not None]
    if noisy:
        out += [
            "",
            "Noise: (max - min) / median of each figure's runs is "
            f"{statistics.median(noisy):.0%} at the median, {max(noisy):.0%} at worst.",
        ]
    return "\n".join(out)


def ran_base() -> bool:
    """Whether file@base ran (BENCH_COMPARE set, and file@base among BENCH_SERVERS)."""
    return any(name == "file@base" for _size, name, _mode in CPU)


def base_note() -> str:
    return f" file@base is the file store of the checkout in {COMPARE} (BENCH_COMPARE)." if ran_base() else ""


def cpu_ratio(size: int, name: str, mode: str, base: str, base_mode: str, target: float | None) -> str | None:
    values, bases = CPU.get((size, name, mode)), CPU.get((size, base, base_mode))
    if not values or not bases:
        return None
    ratio = statistics.median(values) / statistics.median(bases)
    paired = [value / other for value, other in zip(values, bases, strict=False) if other]
    shown = f"{ratio:.2f} ({min(paired):.2f}–{max(paired):.2f})"
    verdict = "information" if target is None else f"≤ {target} ({'met' if ratio <= target else 'MISSED'})"
    return f"| {size:,} | {name} {mode} / {base} {base_mode} CPU | {shown} | {verdict} |"


def median_rate(runs: dict, size: int, name: str, mode: str) -> float | None:
    """Return the median requests/s of a server's runs, or None for none."""
    values = runs.get((size, name, mode))
    return statistics.median(values) if values else None


def fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def render(runs: dict, errors: list[str]) -> str:
    median = functools.partial(median_rate, runs)

    out = [
        f"Requests per second (information: on a shared machine it moves with the neighbours' load), "
        f"median of {REPS} runs of {SECONDS} s, wrk -t2 -c{CONNECTIONS}, "
        "gunicorn 4 workers, gevent (the default); file-gthread is the file store under the "
        "previous model, gthread with 4 threads a worker." + base_note(),
        "POST runs start from the size shown and grow during the run; node is the tutorial design "
        "(one process, no fsync, no lock).",
        "",
        "| comments | store | GET | 304 | POST |",
        "|---:|---|---:|---:|---:|",
    ]
    for size in SIZES:
        for name in CPU_SERVERS:
            if not any(median(size, name, mode) for mode in CPU_MODES):
                continue
            out.append(
                f"| {size:,} | {name} | {fmt(median(size, name, 'GET'))} | {fmt(median(size, name, '304'))} "
                f"| {fmt(median(size, name, 'POST'))} |"
            )
    out += ["", "| comments | ratio | value | target |", "|---:|---|---:|---|"]
    ceiling_10 = median(SIZES[0], "ceiling", "GET")
    for size in SIZES:
        checks = [
            ("file GET / ceiling GET", "file", "GET", median(size, "ceiling", "GET"), 0.9),
            (f"file 304 / ceiling GET at {SIZES[0]}", "file", "304", ceiling_10, 0.9),
            ("file GET / file-gthread GET", "file", "GET", median(size, "file-gthread", "GET"), 0.9),
            ("file 304 / file-gthread 304", "file", "304", median(size, "file-gthread", "304"), 0.9),
            ("file POST / file-gthread POST", "file", "POST", median(size, "file-gthread", "POST"), 0.9),
            ("postgresql GET / file GET", "postgresql", "GET", median(size, "file", "GET"), 0.9),
            ("postgresql 304 / file 304", "postgresql", "304", median(size, "file", "304"), 0.9),
            (
                "file POST / node POST",
                "file",
                "POST",
                median(size, "node", "POST"),
                1.5 if size >= 1000 else 1.0,
            ),
            ("file GET / file@base GET", "file", "GET", median(size, "file@base", "GET"), None),
            ("file 304 / file@base 304", "file", "304", median(size, "file@base", "304"), None),
            ("file POST / file@base POST", "file", "POST", median(size, "file@base", "POST"), None),
        ]
        for label, name, mode, base, target in checks:
            value = median(size, name, mode)
            if value is None or not base:
                continue
            ratio = value / base
            verdict = "information" if target is None else f"information (was ≥ {target})"
            out.append(f"| {size:,} | {label} | {ratio:.2f} | {verdict} |")
    if errors:
        out += ["", "Errors:", *(f"- {error}" for error in errors)]
    return "\n".join(out)


# Compression: the list in each coding against identity and the in-memory ceiling, and
# the page's first-load bytes. Comments here vary their words (a fixed vocabulary in a
# seeded random order), so that they compress about as well as people's comments do,
# not as well as one sentence repeated.

CODED_MODES = {"GET": None, "GET gzip": "gzip", "GET br": "br"}
FIRST_LOAD_SIZE = int(os.environ.get("BENCH_FIRST_LOAD", "2000"))
BROWSER_ACCEPT = "gzip, deflate, br, zstd"  # what Chromium sends
VOCABULARY = (
    "the a to of and in is it that for on with this was as but be at not have you are so I "
    "page comment reply thread server browser list react flask box post read write think agree "
    "really good bad idea why how when where because maybe never always again later first last "
    "works broke fixed slow fast cache version deploy build test bench error answer question "
    "thanks sorry great interesting odd strange simple hard easy long short new old user people"
)
WORDS = VOCABULARY.split()


def varied_comments(count: int) -> list[dict]:
    rng = random.Random(7)
    return [
        {
            "id": number,
            "author": f"{rng.choice(['Ann', 'Bo', 'Cy', 'Dee', 'Eli', 'Fay'])} {rng.randrange(1000)}",
            "text": " ".join(rng.choice(WORDS) for _ in range(rng.randrange(5, 40))).capitalize() + ".",
            "created": f"2026-11-{1 + number % 28:02d}T{number % 24:02d}:{number % 60:02d}:00.000Z",
        }
        for number in range(1, count + 1)
    ]


def measure_codings(size: int, work: Path, runs: dict, errors: list[str]) -> None:
    """GET throughput of the file store in each coding, and of the ceiling in identity and gzip."""
    folder = work / f"codings-{size}"
    folder.mkdir()
    json_path = folder / "comments.json"
    body_path = folder / "body.json"
    items = varied_comments(size)
    replace_file(json_path, encode_list([encode_comment(item) for item in items[:-1]]))
    JsonFileStore(json_path).add(items[-1]["author"], items[-1]["text"])
    body_path.write_bytes(json_path.read_bytes())
    processes = [
        gunicorn("file", "wsgi:app", folder, COMMENTS_FILE=str(json_path)),
        gunicorn("ceiling", "bench.ceiling:app", folder, BENCH_BODY=str(body_path)),
    ]
    plans = [("coded file", processes[0], mode, coding) for mode, coding in CODED_MODES.items()] + [
        ("coded ceiling", processes[1], mode, coding) for mode, coding in CODED_MODES.items()
    ]
    try:
        for _name, process, _mode, coding in plans:  # warm every worker's caches
            wrk(process.url, *accept_args(coding))
        for rep in range(REPS):
            print(f"codings at {size}: round {rep + 1} of {REPS}", file=sys.stderr)
            for name, process, mode, coding in plans[rep % len(plans) :] + plans[: rep % len(plans)]:
                record(runs, errors, size, name, mode, measured(process, *accept_args(coding)))
    finally:
        for process in processes:
            process.stop()


def accept_args(coding: str | None) -> list[str]:
    return ["-H", f"Accept-Encoding: {coding}"] if coding else []


def measure_first_load(work: Path) -> list[tuple[str, int, int, int]]:
    """Return (what, identity bytes, gzip bytes, bytes sent to a browser) for each first-load answer."""
    folder = work / "first-load"
    folder.mkdir()
    json_path = folder / "comments.json"
    items = varied_comments(FIRST_LOAD_SIZE)
    replace_file(json_path, encode_list([encode_comment(item) for item in items]))
    process = gunicorn("first-load", "wsgi:app", folder, COMMENTS_FILE=str(json_path))
    try:
        page = requests.get(process.url + "/", headers={"Accept-Encoding": "identity"}).text
        # The page, what its head loads, and the list its script asks for.
        head = page.split("</head>")[0]
        # The page asks for its first page of comments (ui/src/api.js, FIRST_PAGE).
        first_page = f"/api/comments?limit={FIRST_PAGE}"
        paths = list(dict.fromkeys(["/", *re.findall(r'(?:src|href)="(/[^"]+)"', head), first_page]))
        rows = []
        for path in paths:
            sizes = []
            for accept in ("identity", "gzip", BROWSER_ACCEPT):
                response = requests.get(process.url + path, headers={"Accept-Encoding": accept}, stream=True)
                response.raise_for_status()
                sizes.append(len(response.raw.read(decode_content=False)))
            rows.append((path, *sizes))
        # For comparison, not in the total: the whole list, which the page asked for before.
        rows.append(("(before) /api/comments", *body_sizes(process.url + "/api/comments")))
        return rows
    finally:
        process.stop()


def body_sizes(url: str, **headers: str) -> list[int]:
    """Return the body's bytes as sent for identity, gzip and a browser's Accept-Encoding."""
    sizes = []
    for accept in ("identity", "gzip", BROWSER_ACCEPT):
        response = requests.get(url, headers={"Accept-Encoding": accept, **headers}, stream=True)
        response.raise_for_status()
        sizes.append(len(response.raw.read(decode_content=False)))
    return sizes


# Polling: what an open page downloads after one new comment. Before: the whole list
# (its ETag changed); now: the changes since the version the page holds.

POLL_SIZES = [int(n) for n in os.environ.get("BENCH_POLL_SIZES", "1000,10000").split(",")]
FIRST_PAGE = 50
POLL_TIMINGS = 21


def measure_poll(size: int, work: Path, cluster: Cluster) -> dict:
    """Return the bytes and median milliseconds of a poll after one new comment, on both stores."""
    folder = work / f"poll-{size}"
    folder.mkdir()
    json_path = folder / "comments.json"
    items = varied_comments(size)
    replace_file(json_path, encode_list([encode_comment(item) for item in items]))
    schema = f"poll_{size}"
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    database = f"{cluster.url()}?options=-csearch_path%3D{schema}"
    store = PostgresStore(database)
    store.import_records(items)
    store.close()
    stores = [("file", {"COMMENTS_FILE": str(json_path)}), ("postgresql", {"DATABASE_URL": database})]
    result = {"size": size, "rows": []}
    for name, settings in stores:
        process = gunicorn(f"poll-{name}", "wsgi:app", folder, **settings)
        try:
            before = requests.get(process.url + "/api/comments")
            version, etag = before.headers["Comments-Version"], before.headers["ETag"]
            requests.post(process.url + "/api/comments", json={"author": "New", "text": "One more comment."})
            whole = process.url + "/api/comments"
            since = f"{process.url}/api/comments?since={version}"
            result["rows"].append(
                (
                    name,
                    body_sizes(whole, **{"If-None-Match": etag}),
                    body_sizes(since),
                    median_ms(whole),
                    median_ms(since),
                )
            )
        finally:
            process.stop()
    return result


def median_ms(url: str) -> float:
    timings = []
    for _ in range(POLL_TIMINGS):
        started = time.perf_counter()
        requests.get(url, headers={"Accept-Encoding": BROWSER_ACCEPT}).raise_for_status()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def render_polls(polls: list[dict]) -> str:
    out = [
        "",
        "One poll of an open page after one new comment: bytes of the body as sent "
        f"(identity / gzip / browser) and the median of {POLL_TIMINGS} requests' milliseconds "
        "(browser coding). Before: the whole list; now: ?since=<the version the page holds>.",
        "",
        "| comments | store | before bytes | now bytes | before ms | now ms | bytes ratio (browser) |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for poll in polls:
        for name, whole, since, whole_ms, since_ms in poll["rows"]:
            sizes = [" / ".join(f"{n:,}" for n in sizes) for sizes in (whole, since)]
            ratio = whole[2] / since[2] if since[2] else float("inf")
            out.append(
                f"| {poll['size']:,} | {name} | {sizes[0]} | {sizes[1]} | {whole_ms:.1f} | {since_ms:.1f} "
                f"| {ratio:,.0f}× smaller |"
            )
    return "\n".join(out)


def render_codings(runs: dict, first_load: list[tuple[str, int, int, int]]) -> str:
    median = functools.partial(median_rate, runs)

    out = [
        "",
        f"GET by coding (varied comments): server CPU per request, µs, median (min–max) of {REPS} "
        "interleaved runs, of the file store and the ceiling (the same stack answering bytes from "
        "memory, compressed in advance); then requests per second, median, as information.",
        "",
        "| comments | server | identity | gzip | br | list bytes identity / gzip / br |",
        "|---:|---|---:|---:|---:|---|",
    ]
    for size in SIZES:
        for name in ("coded file", "coded ceiling"):
            cpu = [spread(CPU.get((size, name, mode))) for mode in CODED_MODES]
            out.append(f"| {size:,} | {name.split()[1]} | {' | '.join(cpu)} | {list_bytes(size)} |")
    out += ["", "| comments | server | identity req/s | gzip req/s | br req/s |", "|---:|---|---:|---:|---:|"]
    for size in SIZES:
        for name in ("coded file", "coded ceiling"):
            rates = [fmt(median(size, name, mode)) for mode in CODED_MODES]
            out.append(f"| {size:,} | {name.split()[1]} | {' | '.join(rates)} |")
    out += [
        "",
        f"CPU per request ratios; the target is at most {CPU_TARGET}: a compressed answer costs no "
        "more than the identity one, and the file store no more than the ceiling, within the noise.",
        "",
        "| comments | ratio | value | target |",
        "|---:|---|---:|---|",
    ]
    for size in SIZES:
        for mode, base_name, base_mode in (
            ("GET gzip", "coded file", "GET"),
            ("GET br", "coded file", "GET"),
            ("GET gzip", "coded ceiling", "GET gzip"),
            ("GET br", "coded ceiling", "GET br"),
            ("GET gzip", "coded ceiling", "GET"),
        ):
            line = cpu_ratio(size, "coded file", mode, base_name, base_mode, CPU_TARGET)
            if line:
                out.append(line)
    if first_load:
        out += [
            "",
            f"First load of the page at {FIRST_LOAD_SIZE:,} comments: bytes of each answer's body as sent "
            f"(a browser sends Accept-Encoding: {BROWSER_ACCEPT}).",
            "",
            "| answer | identity | gzip | browser |",
            "|---|---:|---:|---:|",
        ]
        for path, *sizes in first_load:
            out.append(f"| {path} | " + " | ".join(f"{size:,}" for size in sizes) + " |")
        loaded = [row for row in first_load if not row[0].startswith("(")]
        totals = [sum(row[i] for row in loaded) for i in (1, 2, 3)]
        out.append("| total | " + " | ".join(f"{total:,}" for total in totals) + " |")
    return "\n".join(out)


def list_bytes(size: int) -> str:
    from comments_app.web.codings import compress

    body = encode_list([encode_comment(item) for item in varied_comments(size)])
    return " / ".join(f"{len(compress(body, coding)):,}" for coding in ("identity", "gzip", "br"))


if __name__ == "__main__":
    sys.exit(main())
