"""make bench, tail latency under mixed load: readers and writers at once, gevent beside gthread.

The project's server (gunicorn.conf.py: gevent) and the same code under gthread (4 threads a
worker), 4 workers each, each on its own copy of a file store of BENCH_MIXED_SIZE (1,000)
comments. In each round, each server in turn (the order alternates) takes two wrk processes
at once for BENCH_MIXED_SECONDS (8): BENCH_MIXED_READERS (8) connections reading the list
(GET /api/comments, identity) and BENCH_MIXED_WRITERS (8) posting comments with
Prefer: return=minimal. The store is put back to its size before each server's turn.

Per model, median (min to max) of BENCH_MIXED_ROUNDS (7) rounds: GET req/s, p50 and p99, POST
req/s and p99, the slowest request, errors (connect, read, write, time-outs: wrk's
--timeout is 10 s, so that a slow answer is measured, not dropped) and answers that were
not 2xx; whether every acknowledged POST (a 201) is in the store afterwards. Then where the
time went: the workers' CPU per request and the CPU they were given (cores, from /proc), the
writes (versions a second from the store's journal, comments a write), and how connections
were shared (the most client sockets one worker held mid-round, the busiest worker's share
of the workers' CPU).
The verdict: gevent's GET p99 and POST p99 within 1.5x of gthread's, its GET req/s no lower,
nothing lost, no time-out.

With BENCH_COMPARE (the path of another checkout) its gevent server runs too, as gevent@base.
Run alone: .venv/bin/python bench/mixed.py (or BENCH_MIXED=only make bench).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from comments_app.stores.jsonfile import JsonFileStore  # noqa: E402
from comments_app.stores.layout import encode_comment, encode_list  # noqa: E402

SIZE = int(os.environ.get("BENCH_MIXED_SIZE", "1000"))
SECONDS = int(os.environ.get("BENCH_MIXED_SECONDS", "8"))
# Seven rounds: with three, the same code's GET p99 ratio ranged from 1.0 to 2.7 between
# runs on the shared 2-core machine (docs/performance.md).
ROUNDS = int(os.environ.get("BENCH_MIXED_ROUNDS", "7"))
READERS = int(os.environ.get("BENCH_MIXED_READERS", "8"))
WRITERS = int(os.environ.get("BENCH_MIXED_WRITERS", "8"))
COMPARE = Path(os.environ["BENCH_COMPARE"]).resolve() if os.environ.get("BENCH_COMPARE") else None
SCRIPT = ROOT / "bench" / "load.lua"
# The targets, gevent against gthread in the same run.
LATENCY_TARGET = 1.5
RATE_TARGET = 1.0
# What a wrk that did not run (no readers or no writers) would have printed.
IDLE = "requests: 0\nseconds: 1\nerrors: 0 0 0 0\np50 ms: 0\np99 ms: 0\nmax ms: 0\n"
FIGURES = ("get_rate", "get_p50", "get_p99", "post_rate", "post_p99", "max_ms")
DETAILS = (("cpu_us", 0), ("cores", 2), ("versions", 0), ("batch", 1), ("held", 0), ("busiest", 0))
RATIOS = (
    ("get_p99", "GET p99", LATENCY_TARGET),
    ("post_p99", "POST p99", LATENCY_TARGET),
    ("get_rate", "GET req/s", RATE_TARGET),
    ("post_rate", "POST req/s", None),
    ("cores", "CPU given (cores)", None),
)


def measure_mixed(gunicorn: Callable, comments: Callable, gthread: list[str], work: Path) -> str:
    """Run the rounds; return the section's report (Markdown)."""
    folder = work / "mixed"
    folder.mkdir()
    items = comments(SIZE)
    body = encode_list([encode_comment(item) for item in items[:-1]])
    models = [("gevent", (), ROOT), ("gthread", tuple(gthread), ROOT)]
    if COMPARE:
        models.append(("gevent@base", (), COMPARE))
    servers = {}
    try:
        for name, args, cwd in models:
            path = folder / f"{name}.json"
            reset(path, body, items[-1])
            servers[name] = (
                gunicorn(f"mixed-{name}", "wsgi:app", folder, *args, cwd=cwd, COMMENTS_FILE=str(path)),
                path,
            )
        results: dict[str, list[dict]] = {name: [] for name in servers}
        for number in range(ROUNDS):
            order = list(servers) if number % 2 == 0 else list(reversed(servers))
            for name in order:
                print(f"mixed: round {number + 1} of {ROUNDS}, {name}", file=sys.stderr)
                process, path = servers[name]
                reset(path, body, items[-1])
                results[name].append(one_round(process, path))
    finally:
        for process, _ in servers.values():
            process.stop()
    return render(results)


def reset(path: Path, body: bytes, last: dict) -> None:
    """Put the store back to SIZE comments, written the way the store leaves them, and flush."""
    partial = path.with_name(path.name + ".reset")
    partial.write_bytes(body)
    os.replace(partial, path)
    JsonFileStore(path).add(last["author"], last["text"])
    os.sync()


def one_round(process, path: Path) -> dict:
    """Load one server with readers and writers at once; return the round's figures."""
    workers = worker_pids(process.process.pid)
    writes_before = journal_lines(path)
    sockets_before = {pid: socket_count(pid) for pid in workers}
    cpu_before = {pid: pid_cpu(pid) for pid in workers}
    outputs: dict[str, str] = {}
    runs = [
        threading.Thread(target=run_wrk, args=(process.url, connections, post, outputs))
        for connections, post in ((READERS, False), (WRITERS, True))
        if connections
    ]
    for run in runs:
        run.start()
    time.sleep(SECONDS / 2)
    held = [socket_count(pid) - sockets_before[pid] for pid in workers]
    for run in runs:
        run.join()
    cpu = [pid_cpu(pid) - cpu_before[pid] for pid in workers]
    reads, writes = parsed(outputs.get("GET", IDLE)), parsed(outputs.get("POST", IDLE))
    acknowledged = writes["statuses"].get(201, 0)
    added = len(JsonFileStore(path).export_records()) - SIZE
    versions = max(journal_lines(path) - writes_before, 1)
    return {
        "get_rate": reads["requests"] / reads["seconds"],
        "get_p50": reads["p50"],
        "get_p99": reads["p99"],
        "post_rate": acknowledged / writes["seconds"],
        "post_p99": writes["p99"],
        "max_ms": max(reads["max"], writes["max"]),
        "errors": reads["errors"] + writes["errors"],
        "timeouts": reads["timeouts"] + writes["timeouts"],
        "bad": sum(n for code, n in reads["statuses"].items() if code >= 400)
        + sum(n for code, n in writes["statuses"].items() if code != 201),
        "lost": max(0, acknowledged - added),
        "held": max(held) if held else 0,
        "busiest": 100 * max(cpu) / sum(cpu) if sum(cpu) else 0.0,
        "cores": sum(cpu) / SECONDS,
        "versions": versions / SECONDS,
        "batch": added / versions,
        "cpu_us": sum(cpu) / max(reads["requests"] + writes["requests"], 1) * 1e6,
    }


def journal_lines(path: Path) -> int:
    """Return how many writes the store's journal holds: one line a version."""
    try:
        return path.with_name(path.name + ".changes").read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def run_wrk(url: str, connections: int, post: bool, outputs: dict[str, str]) -> None:
    headers = ["-H", "Prefer: return=minimal"] if post else []
    command = ["wrk", "-t1", f"-c{connections}", f"-d{SECONDS}s", "--timeout", "10s", "-s", str(SCRIPT)]
    result = subprocess.run(
        [*command, *headers, url + "/api/comments"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "BENCH_POST": "1" if post else "0"},
    )
    if result.returncode != 0 or "p99 ms" not in result.stdout:
        raise RuntimeError(f"wrk failed on {url}: {result.stdout} {result.stderr}")
    outputs["POST" if post else "GET"] = result.stdout


def parsed(output: str) -> dict:
    """Read what bench/load.lua's done() printed."""
    field = lambda name: float(re.search(rf"^{name}: ([\d.]+)$", output, re.M).group(1))  # noqa: E731
    connect, read, write, timeout = (
        int(n) for n in re.search(r"^errors: (.+)$", output, re.M).group(1).split()
    )
    return {
        "statuses": {int(code): int(n) for code, n in re.findall(r"^status (\d+): (\d+)$", output, re.M)},
        "requests": field("requests"),
        "seconds": field("seconds"),
        "p50": field("p50 ms"),
        "p99": field("p99 ms"),
        "max": field("max ms"),
        "errors": connect + read + write,
        "timeouts": timeout,
    }


def worker_pids(master: int) -> list[int]:
    """Return the pids of a gunicorn master's workers."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and stat_fields(int(entry)) and int(stat_fields(int(entry))[1]) == master:
            found.append(int(entry))
    return found


def stat_fields(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def pid_cpu(pid: int) -> float:
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


def socket_count(pid: int) -> int:
    """Return how many sockets a process holds open (its listener included)."""
    try:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return 0
    return sum(link.startswith("socket:") for link in links)


def spread(values: list[float], digits: int = 0) -> str:
    shown = f"{{:,.{digits}f}}"
    middle = shown.format(statistics.median(values))
    return f"{middle} ({shown.format(min(values))}–{shown.format(max(values))})"


def render(results: dict[str, list[dict]]) -> str:
    out = [
        "",
        f"Tail latency under mixed load: {SIZE:,} comments in the file store, 4 workers, {READERS} "
        f"connections reading the list and {WRITERS} posting (Prefer: return=minimal) at once, "
        f"{SECONDS} s a round, median (min–max) of {ROUNDS} rounds, the servers in alternating order; "
        "latencies in ms.",
        "",
        "| model | GET req/s | GET p50 | GET p99 | POST req/s | POST p99 | slowest "
        "| errors / time-outs / not 2xx | lost |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for name, rounds in results.items():
        figures = [spread([r[key] for r in rounds]) for key in FIGURES]
        totals = [sum(r[key] for r in rounds) for key in ("errors", "timeouts", "bad", "lost")]
        out.append(
            f"| {name} | {' | '.join(figures)} | {totals[0]} / {totals[1]} / {totals[2]} | {totals[3]} |"
        )
    out += [
        "",
        "Where it went: the server's CPU per request (µs) and the CPU it was given (cores); the "
        "writes (versions a second, comments a write); how the connections were shared (the most "
        "one worker held mid-round, and the busiest worker's share of the workers' CPU).",
        "",
        "| model | CPU µs / request | cores | versions / s | comments / write | held | busiest % |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rounds in results.items():
        figures = [spread([r[key] for r in rounds], digits) for key, digits in DETAILS]
        out.append(f"| {name} | {' | '.join(figures)} |")
    out += ["", "| gevent / gthread | median (paired rounds min–max) | target |", "|---|---:|---|"]
    verdicts = []
    for key, label, target in RATIOS:
        ratios = [
            a[key] / b[key] for a, b in zip(results["gevent"], results["gthread"], strict=True) if b[key]
        ]
        value = median(results["gevent"], key) / max(median(results["gthread"], key), 1e-9)
        shown = f"{value:.2f} ({min(ratios):.2f}–{max(ratios):.2f})" if ratios else f"{value:.2f}"
        verdict = "information"
        if target is not None:
            met = value <= target if key.endswith("p99") else value >= target
            verdicts.append(met)
            verdict = f"{'≤' if key.endswith('p99') else '≥'} {target} ({'met' if met else 'MISSED'})"
        out.append(f"| {label} | {shown} | {verdict} |")
    clean = all(sum(r[key] for r in results["gevent"]) == 0 for key in ("lost", "timeouts", "errors", "bad"))
    verdicts.append(clean)
    out.append(f"| gevent: nothing lost, no time-out, no error | {'yes' if clean else 'NO'} | yes |")
    out += ["", f"Verdict: {'every target met' if all(verdicts) else 'a target MISSED'}."]
    return "\n".join(out)


def median(rounds: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rounds)


def main() -> int:
    import shutil
    import tempfile

    from bench.run import GTHREAD, comments, gunicorn

    work = Path(tempfile.mkdtemp(prefix="comments-mixed-"))
    try:
        report = measure_mixed(gunicorn, comments, GTHREAD, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
