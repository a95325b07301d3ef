"""make bench, GET /api/comments/<id>: its cost must follow the answer, not the store.

The same file-store server (4 workers) is loaded with wrk on one comment's address,
once over a store of 10 short comments and once over 3,000 comments of 10 KB (30 MB).
Interleaved, BENCH_REPS times; the table gives the workers' CPU per request (from
/proc, so a busy machine does not skew it) and requests per second, medians with
their spread, and the ratio of the large store to the small one.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from pathlib import Path

from bench.abuse import worker_cpu, wrk_counted

REPS = int(os.environ.get("BENCH_REPS", "3"))
SIZES = {"10 comments": (10, 40), "30 MB": (3000, 10_000)}


def store(count: int, length: int) -> bytes:
    text = ("lorem ipsum " * (length // 12 + 1))[:length]
    items = [
        {"id": n, "author": f"a{n}", "text": text, "created": "2026-11-25T12:00:00.000Z"}
        for n in range(1, count + 1)
    ]
    return json.dumps(items).encode()


def measure_by_id(gunicorn) -> str:
    """Run the by-id benchmark; return its Markdown table."""
    work = Path(tempfile.mkdtemp(prefix="comments-byid-"))
    servers = {}
    try:
        for name, (count, length) in SIZES.items():
            folder = work / name.replace(" ", "-")
            folder.mkdir()
            (folder / "comments.json").write_bytes(store(count, length))
            servers[name] = gunicorn(
                f"byid-{count}", "wsgi:app", folder, COMMENTS_FILE=str(folder / "comments.json")
            )
        cpu: dict[str, list[float]] = {name: [] for name in SIZES}
        rate: dict[str, list[float]] = {name: [] for name in SIZES}
        for _ in range(REPS):
            for name, (count, _length) in SIZES.items():
                process = servers[name].process
                before = worker_cpu(process.pid)
                per_second, answered, _statuses = wrk_counted(
                    f"{servers[name].url}/api/comments/{count // 2}"
                )
                cpu[name].append((worker_cpu(process.pid) - before) / max(answered, 1) * 1e6)
                rate[name].append(per_second)
    finally:
        for server in servers.values():
            server.stop()
    lines = [
        "## GET /api/comments/<id> on a small and a 30 MB store (file store, 4 workers)",
        "",
        "| store | CPU µs per request, median (min–max) | requests/s, median |",
        "|---|---:|---:|",
    ]
    for name in SIZES:
        lines.append(
            f"| {name} | {statistics.median(cpu[name]):,.0f} ({min(cpu[name]):,.0f}–{max(cpu[name]):,.0f})"
            f" | {statistics.median(rate[name]):,.0f} |"
        )
    ratio = statistics.median(cpu["30 MB"]) / statistics.median(cpu["10 comments"])
    lines += ["", f"30 MB / 10 comments, CPU per request: {ratio:.2f} (target: a small factor, not ~3,000x)"]
    return "\n".join(lines) + "\n"
