"""make bench, event streams (GET /api/comments/events): delivery time, memory, CPU, idle cost.

The project's server as it is deployed by default: gunicorn with gunicorn.conf.py (gevent),
2 workers (WEB_CONCURRENCY's default), a file store in a temporary folder, the rate limit
off and COMMENTS_STREAM_LIMIT_PER_CLIENT raised (every stream comes from 127.0.0.1). The
clients are BENCH_STREAMS_CLIENTS (2) processes, each a selectors loop over plain sockets
(tests/sse.py's thread a stream would not hold 5,000), and their own CPU is reported
beside the figures, so that a reader can see the client was not the bottleneck.

1. Delivery: BENCH_STREAMS_COUNT (5,000) streams of one thread; comments posted to it at
   1 and at 10 a second for BENCH_STREAMS_SECONDS (10) each. Every stream gets every
   comment: for each (stream, comment) pair, the time from the POST being sent to the
   event naming its id being read by the client. p50 and p99 (target p99 <= 1 s), and
   pairs missing at the end of the phase (plus a second's grace).
2. Memory per open idle stream: the workers' RSS and PSS (/proc) before the streams open
   and after, divided by the streams (target <= 20 KB).
3. Server CPU per delivered event: the CPU of the server's process group during the
   10 a second phase, less the CPU of the same POSTs with no stream open, divided by the
   events the clients read (target <= 30 µs).
4. BENCH_STREAMS_PAGES (1,000) open pages for BENCH_STREAMS_IDLE_SECONDS (60) with
   nothing happening, spread over BENCH_STREAMS_IDLE_THREADS (100) threads: the server's
   CPU holding them as idle streams, against the same pages polling
   GET /api/comments?thread=...&since=<version> (with If-None-Match, as ui/src/api.js
   does: a 304) every 2 s, staggered (target: streams <= 1/10 of polling). Before each
   part it waits until the server has let go of the connections the clients closed.

Phases 1 and 3 run BENCH_STREAMS_REPS (BENCH_REPS, else 3) times; each figure is the
median, with the range. Run alone: BENCH_STREAMS=only make bench, or
.venv/bin/python bench/streams.py.
"""

from __future__ import annotations

import array
import multiprocessing
import os
import re
import resource
import selectors
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNT = int(os.environ.get("BENCH_STREAMS_COUNT", "5000"))
SECONDS = float(os.environ.get("BENCH_STREAMS_SECONDS", "10"))
REPS = int(os.environ.get("BENCH_STREAMS_REPS", os.environ.get("BENCH_REPS", "3")))
CLIENTS = int(os.environ.get("BENCH_STREAMS_CLIENTS", "2"))
PAGES = int(os.environ.get("BENCH_STREAMS_PAGES", "1000"))
IDLE_SECONDS = float(os.environ.get("BENCH_STREAMS_IDLE_SECONDS", "60"))
IDLE_THREADS = int(os.environ.get("BENCH_STREAMS_IDLE_THREADS", "100"))
RATES = (1, 10)
POLL_EVERY = 2.0
WORKERS = 2
THREAD = "/a"
# Connections being opened at once: gunicorn's listen backlog is 2048.
OPENING = 200
OPEN_SECONDS = 120
# The targets of issue #21.
P99_TARGET = 1.0
MEMORY_KB = 20
CPU_TARGET_US = 30
IDLE_TARGET = 0.1

COMMENT_ID = re.compile(rb'\ndata: \{"id": (\d+)')
CHANGES = b"event: changes"


# The client: one process holding streams or polling pages, driven through a pipe.


class Conn:
    """One connection of the client: its socket, what it has read, and what it is doing."""

    __slots__ = ("buffer", "due", "etag", "path", "phase", "sock")

    def __init__(self, sock: socket.socket, path: str, phase: str) -> None:
        self.sock = sock
        self.path = path
        self.phase = phase  # connecting, headers, open (a stream), waiting or asked (a page)
        self.buffer = b""
        self.due = 0.0
        self.etag = ""


class Client:
    """A selectors loop over many connections: streams, whose events it times, or pages,
    which it polls."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.address = address
        self.selector = selectors.DefaultSelector()
        self.conns: dict[int, Conn] = {}
        # Each comment id read on any stream, and when: flat arrays, a million pairs are cheap.
        self.ids = array.array("q")
        self.times = array.array("d")
        self.events = 0
        self.closed = 0
        self.statuses: Counter[int] = Counter()
        self.turns: deque[Conn] = deque()

    def connect(self, path: str, phase: str = "connecting") -> Conn:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex(self.address)
        conn = Conn(sock, path, phase)
        self.conns[sock.fileno()] = conn
        self.selector.register(sock, selectors.EVENT_WRITE, conn)
        return conn

    def open_streams(self, paths: list[str]) -> int:
        """Open a stream for each path, OPENING at a time; return how many opened (those
        not answered within OPEN_SECONDS are left to the count of those that failed)."""
        waiting = list(reversed(paths))
        deadline = time.monotonic() + OPEN_SECONDS
        while (waiting or self.opening()) and time.monotonic() < deadline:
            while waiting and self.opening() < OPENING:
                self.connect(waiting.pop())
            self.step(1.0)
        return sum(1 for conn in self.conns.values() if conn.phase == "open")

    def opening(self) -> int:
        """Return how many connections are still being opened."""
        return sum(1 for conn in self.conns.values() if conn.phase in ("connecting", "headers"))

    def open_pages(self, pages: list[tuple[str, str]]) -> None:
        """Connect a page for each (path, ETag), each to ask every POLL_EVERY seconds, staggered."""
        start = time.monotonic() + 0.5
        self.turns = deque()
        for number, (path, etag) in enumerate(pages):
            conn = self.connect(path, "waiting")
            conn.etag = etag
            conn.due = start + POLL_EVERY * number / len(pages)
            self.turns.append(conn)

    def step(self, timeout: float) -> None:
        """Wait for the sockets once, and handle what is ready."""
        for key, mask in self.selector.select(timeout):
            conn = key.data
            if mask & selectors.EVENT_WRITE:
                self.writable(conn)
            else:
                self.readable(conn)

    def writable(self, conn: Conn) -> None:
        """Send a connected stream its request (a page waits for its turn to ask)."""
        if conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            self.drop(conn)
            return
        if conn.phase == "waiting":  # a page's connection is up: it asks when due
            self.selector.modify(conn.sock, selectors.EVENT_READ, conn)
            return
        request = f"GET {conn.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        conn.sock.send(request.encode())
        conn.phase = "headers"
        self.selector.modify(conn.sock, selectors.EVENT_READ, conn)

    def readable(self, conn: Conn) -> None:
        """Read what came: a stream's headers, its events (timing each comment), or a page's answer."""
        try:
            data = conn.sock.recv(262144)
        except OSError:
            data = b""
        # CLOCK_MONOTONIC is the machine's: the posters' send times, taken in another process, compare.
        now = time.monotonic()
        if not data:
            self.drop(conn)
            return
        if conn.phase == "open":
            self.events += data.count(CHANGES)
            # Events are whole lines: a chunk holds whole events, and a comment line
            # cut by a read ends up whole in the buffer kept for the next.
            data = conn.buffer + data
            cut = data.rfind(b"\n")
            conn.buffer = data[cut + 1 :]
            for found in COMMENT_ID.finditer(data, 0, cut + 1):
                self.ids.append(int(found.group(1)))
                self.times.append(now)
        elif conn.phase == "headers":
            conn.buffer += data
            if b"\r\n\r\n" in conn.buffer:
                status = int(conn.buffer[9:12])
                self.statuses[status] += 1
                conn.buffer = b""
                if status != 200:
                    self.drop(conn)
                else:
                    conn.phase = "open"
        else:  # a page's answer
            self.answered(conn, data)

    def answered(self, conn: Conn, data: bytes) -> None:
        """Read a page's answer (a 304, or a body of Content-Length), then wait for the next turn."""
        conn.buffer += data
        end = conn.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = conn.buffer[:end].lower()
        length = re.search(rb"content-length: (\d+)", head)
        if len(conn.buffer) < end + 4 + (int(length.group(1)) if length else 0):
            return
        self.statuses[int(conn.buffer[9:12])] += 1
        conn.buffer = b""
        conn.phase = "waiting"

    def poll(self, until: float) -> None:
        """Ask each page's question when it is due, every POLL_EVERY seconds, until then."""
        while True:
            now = time.monotonic()
            if now >= until:
                return
            # The pages in the order of their turns: each goes to the back when it had one.
            while self.turns and self.turns[0].due <= now:
                conn = self.turns.popleft()
                conn.due += POLL_EVERY
                self.turns.append(conn)
                if conn.phase == "waiting":  # one still waiting for its last answer skips a turn
                    request = (
                        f"GET {conn.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
                        f"Accept-Encoding: br, gzip\r\nIf-None-Match: {conn.etag}\r\n\r\n"
                    )
                    conn.sock.send(request.encode())
                    conn.phase = "asked"
            self.step(0.02)

    def drop(self, conn: Conn) -> None:
        """Forget a connection the server closed or refused."""
        if conn.phase == "open":
            self.closed += 1
        self.selector.unregister(conn.sock)
        del self.conns[conn.sock.fileno()]
        conn.sock.close()

    def close_all(self) -> None:
        """Close every connection, as a reader leaving the page would."""
        for conn in list(self.conns.values()):
            self.selector.unregister(conn.sock)
            conn.sock.close()
        self.conns.clear()

    def take(self) -> dict:
        """Return what was read since the last take, and the client's CPU so far."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        taken = {
            "ids": self.ids,
            "times": self.times,
            "events": self.events,
            "closed": self.closed,
            "statuses": dict(self.statuses),
            "cpu": usage.ru_utime + usage.ru_stime,
        }
        self.ids, self.times = array.array("q"), array.array("d")
        self.events, self.closed = 0, 0
        self.statuses = Counter()
        return taken


def client_main(pipe, address: tuple[str, int]) -> None:
    """Run one client process: its commands come through the pipe, its answers go back."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    client = Client(address)
    while True:
        # Read the sockets while no command waits: a stream's events are timed as they come.
        if not pipe.poll(0):
            client.step(0.05)
            continue
        command, *args = pipe.recv()
        if command == "streams":
            pipe.send(client.open_streams(*args))
        elif command == "pages":
            client.open_pages(args[0])
            client.poll(time.monotonic() + args[1])
            pipe.send(None)
        elif command == "take":
            pipe.send(client.take())
        elif command == "close":
            client.close_all()
            pipe.send(None)
        elif command == "stop":
            client.close_all()
            return


class Clients:
    """The client processes, driven together."""

    def __init__(self, count: int, address: tuple[str, int]) -> None:
        context = multiprocessing.get_context("fork")
        self.pipes = []
        self.processes = []
        for _ in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(target=client_main, args=(theirs, address), daemon=True)
            process.start()
            self.pipes.append(mine)
            self.processes.append(process)

    def ask(self, command: str, *shares) -> list:
        """Send each client its share of a command, and return their answers."""
        for pipe, args in zip(self.pipes, shares, strict=True):
            pipe.send((command, *args))
        return [pipe.recv() for pipe in self.pipes]

    def all(self, command: str, *args) -> list:
        """Send every client the same command; return their answers."""
        return self.ask(command, *[args] * len(self.pipes))

    def stop(self) -> None:
        """End the client processes."""
        for pipe in self.pipes:
            pipe.send(("stop",))
        for process in self.processes:
            process.join(10)
            if process.is_alive():
                process.kill()


def split(items: list, parts: int) -> list[list]:
    """Deal items out to parts, in turn."""
    return [items[number::parts] for number in range(parts)]


# The server side: its processes, their CPU and memory.


def workers_of(master: int) -> list[int]:
    """Return the pids of the gunicorn master's children (its workers)."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_bytes()
            except OSError:
                continue
            if int(stat[stat.rindex(b")") + 2 :].split()[1]) == master:
                pids.append(int(entry.name))
    return pids


def memory_kb(pids: list[int]) -> tuple[int, int]:
    """Return the RSS and the PSS, in KB, summed over the processes."""
    rss = pss = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss, pss


def server_connections(port: int) -> int:
    """Return how many connections the server holds on its port (any state but LISTEN)."""
    local = f":{port:04X}"
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(local) and fields[3] != "0A":
            count += 1
    return count


def wait_closed(port: int, deadline: float = 30.0) -> float:
    """Wait until the server has let go of the streams the clients closed; return how long it took.

    A stream's sender notices its client left only when it next writes (a ping, up to
    COMMENTS_STREAM_PING later): until then the closed streams would cost CPU in the next phase."""
    started = time.monotonic()
    while server_connections(port) and time.monotonic() - started < deadline:
        time.sleep(0.2)
    return time.monotonic() - started


def post_at(url: str, rate: float, seconds: float, thread: str = THREAD) -> dict[int, float]:
    """Post comments at a steady rate for a while; return each one's id and when it was sent.

    Two posters, each on its own kept-alive connection, share the schedule: one slow
    answer does not push back the next comment's time."""
    host, port = url.removeprefix("http://").split(":")
    sent: dict[int, float] = {}
    start = time.monotonic() + 0.2
    count = round(rate * seconds)

    def poster(first: int) -> None:
        connection = HTTPConnection(host, int(port), timeout=30)
        for number in range(first, count, 2):
            due = start + number / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            at = time.monotonic()
            body = f'{{"author": "Bench", "text": "Sent at {at:.6f}: a comment for every open page."}}'
            connection.request(
                "POST",
                f"/api/comments?thread={thread}",
                body,
                {"Content-Type": "application/json", "Prefer": "return=minimal"},
            )
            response = connection.getresponse()
            response.read()
            if response.status == 201:
                sent[int(response.getheader("Location").rsplit("/", 1)[1])] = at
        connection.close()

    posters = [threading.Thread(target=poster, args=(first,)) for first in (0, 1)]
    for thread_ in posters:
        thread_.start()
    for thread_ in posters:
        thread_.join()
    return sent


def percentile(values: list[float], share: float) -> float:
    """Return the value below which share of the values lie (nan for none)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def delivery(clients: Clients, url: str, rate: float, streams: int, cpu: Callable[[], float]) -> dict:
    """Post at a rate to the streams' thread; return the delivery times and what it cost."""
    first = clients.all("take")
    before = cpu()
    sent = post_at(url, rate, SECONDS)
    spent = cpu() - before
    time.sleep(1.0)  # a second's grace for the last events before counting what is missing
    taken = clients.all("take")
    latencies = []
    got: Counter[int] = Counter()
    for part in taken:
        for comment, at in zip(part["ids"], part["times"], strict=True):
            if comment in sent:
                latencies.append(at - sent[comment])
                got[comment] += 1
    return {
        "posts": len(sent),
        "pairs": len(latencies),
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies, default=float("nan")),
        "missing": sum(max(0, streams - got[comment]) for comment in sent),
        "events": sum(part["events"] for part in taken),
        "closed": sum(part["closed"] for part in taken),
        "server_cpu": spent,
        "client_cpu": [part["cpu"] - earlier["cpu"] for part, earlier in zip(taken, first, strict=True)],
        "seconds": SECONDS + 1.0,
    }


def measure_streams(gunicorn: Callable, work: Path) -> str:
    """Run every part on one server; return the report's section."""
    folder = work / "streams"
    folder.mkdir(parents=True, exist_ok=True)
    server = gunicorn(
        "streams",
        "wsgi:app",
        folder,
        workers=WORKERS,
        COMMENTS_FILE=str(folder / "comments.json"),
        COMMENTS_STREAM_LIMIT_PER_CLIENT="50000",
        COMMENTS_ACCESS_LOG="off",
    )
    host, port = server.url.removeprefix("http://").split(":")
    clients = Clients(CLIENTS, (host, int(port)))
    try:
        return run_parts(server, clients)
    finally:
        clients.stop()
        server.stop()


def run_parts(server, clients: Clients) -> str:
    """Measure the POSTs alone, open the streams (memory), time deliveries, then the idle pages."""
    cpu = server.cpu_seconds
    post_at(server.url, 10, 1)  # the thread exists, every worker has answered a POST
    alone = []
    for rep in range(REPS):
        print(f"streams: POSTs alone, round {rep + 1} of {REPS}", file=sys.stderr)
        before = cpu()
        sent = post_at(server.url, RATES[-1], SECONDS)
        alone.append((cpu() - before) / max(len(sent), 1))
    workers = workers_of(server.process.pid)
    time.sleep(1.0)
    memory_before = memory_kb(workers)
    print(f"streams: opening {COUNT}", file=sys.stderr)
    started = time.monotonic()
    paths = [f"/api/comments/events?thread={THREAD}"] * COUNT
    opened = sum(clients.ask("streams", *[(share,) for share in split(paths, CLIENTS)]))
    open_seconds = time.monotonic() - started
    time.sleep(2.0)  # idle: nothing but the open streams
    memory_after = memory_kb(workers)
    runs: dict[int, list[dict]] = {rate: [] for rate in RATES}
    for rep in range(REPS):
        for rate in RATES:
            print(f"streams: {rate} posts/s, round {rep + 1} of {REPS}", file=sys.stderr)
            runs[rate].append(delivery(clients, server.url, rate, opened, cpu))
    clients.all("close")
    port = int(server.url.rsplit(":", 1)[1])
    let_go = wait_closed(port)
    idle = idle_pages(server, clients, port)
    idle["let_go"] = let_go
    return render(opened, open_seconds, memory_before, memory_after, alone, runs, idle)


def idle_pages(server, clients: Clients, port: int) -> dict:
    """Hold PAGES idle streams, then PAGES polling pages, IDLE_SECONDS each; return their CPU."""
    threads = [f"/idle/{number}" for number in range(IDLE_THREADS)]
    questions = {thread: since_question(server.url, thread) for thread in threads}
    wait_closed(port)
    time.sleep(1.0)  # the watcher forgets the delivery phase's thread
    print(f"streams: {PAGES} idle streams for {IDLE_SECONDS:g} s", file=sys.stderr)
    paths = [f"/api/comments/events?thread={threads[number % len(threads)]}" for number in range(PAGES)]
    opened = sum(clients.ask("streams", *[(share,) for share in split(paths, CLIENTS)]))
    clients.all("take")
    before = server.cpu_seconds()
    time.sleep(IDLE_SECONDS)
    streams_cpu = server.cpu_seconds() - before
    closed = sum(part["closed"] for part in clients.all("take"))
    clients.all("close")
    wait_closed(port)
    print(f"streams: {PAGES} pages polling for {IDLE_SECONDS:g} s", file=sys.stderr)
    pages = [questions[threads[number % len(threads)]] for number in range(PAGES)]
    before = server.cpu_seconds()
    clients.ask("pages", *[(share, IDLE_SECONDS) for share in split(pages, CLIENTS)])
    polling_cpu = server.cpu_seconds() - before
    statuses: Counter[int] = Counter()
    for part in clients.all("take"):
        statuses.update(part["statuses"])
    clients.all("close")
    return {
        "streams": {"open": opened, "cpu": streams_cpu, "closed": closed},
        "polling": {"cpu": polling_cpu, "statuses": dict(statuses)},
    }


def since_question(url: str, thread: str) -> tuple[str, str]:
    """Post a comment to a thread; return what its page then asks (?since= its version)
    and the ETag it holds for it, as ui/src/api.js does."""
    post_at(url, 100, 0.01, thread)
    host, port = url.removeprefix("http://").split(":")
    connection = HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", f"/api/comments?thread={thread}", headers={"Accept-Encoding": "br, gzip"})
        response = connection.getresponse()
        response.read()
        path = f"/api/comments?thread={thread}&since={response.getheader('Comments-Version')}"
        connection.request("GET", path, headers={"Accept-Encoding": "br, gzip"})
        response = connection.getresponse()
        response.read()
        return path, response.getheader("ETag")
    finally:
        connection.close()


# The report.


def spread(values: list[float], scale: float = 1.0, form: str = "{:,.0f}") -> str:
    """Return the median, and the range when there are several."""
    shown = form.format(statistics.median(values) * scale)
    if len(values) > 1:
        shown += f" ({form.format(min(values) * scale)} to {form.format(max(values) * scale)})"
    return shown


def render(opened, open_seconds, memory_before, memory_after, alone, runs, idle) -> str:
    """Return the section: the delivery table, memory, CPU, the idle comparison and the verdicts."""
    out = [
        "### Event streams",
        "",
        f"{opened:,} of {COUNT:,} streams of one thread opened in {open_seconds:.1f} s on {WORKERS} "
        f"gevent workers (file store); {CLIENTS} client processes. Each figure: median "
        f"(min to max) of {REPS} rounds of {SECONDS:g} s.",
        "",
        "| posts/s | posts | (stream, post) pairs/s | p50 | p99 | max | pairs missing | streams closed "
        "| events/s read | client CPU (each process) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for rate, rounds in runs.items():
        # Each round's client processes, the share of a core each used.
        client = ["/".join(f"{cpu / r['seconds']:.0%}" for cpu in r["client_cpu"]) for r in rounds]
        out.append(
            f"| {rate} | {spread([r['posts'] for r in rounds])} "
            f"| {spread([r['pairs'] / SECONDS for r in rounds])} "
            f"| {spread([r['p50'] for r in rounds], 1000, '{:,.0f} ms')} "
            f"| {spread([r['p99'] for r in rounds], 1000, '{:,.0f} ms')} "
            f"| {spread([r['max'] for r in rounds], 1000, '{:,.0f} ms')} "
            f"| {sum(r['missing'] for r in rounds):,} | {sum(r['closed'] for r in rounds):,} "
            f"| {spread([r['events'] / SECONDS for r in rounds])} | {', '.join(client)} |"
        )
    fast = runs[RATES[-1]]
    alone_us = statistics.median(alone) * 1e6
    per_event = [
        (r["server_cpu"] - statistics.median(alone) * r["posts"]) / max(r["events"], 1) for r in fast
    ]
    rss = (memory_after[0] - memory_before[0]) / max(opened, 1)
    pss = (memory_after[1] - memory_before[1]) / max(opened, 1)
    streams_cpu = idle["streams"]["cpu"]
    polling_cpu = idle["polling"]["cpu"]
    ratio = streams_cpu / polling_cpu if polling_cpu else float("nan")
    p99 = max(statistics.median(r["p99"] for r in rounds) for rounds in runs.values())
    cpu_event = statistics.median(per_event) * 1e6
    out += [
        "",
        f"Memory: the workers' RSS {memory_before[0] / 1024:,.1f} MB before, "
        f"{memory_after[0] / 1024:,.1f} MB with the streams open (PSS {memory_before[1] / 1024:,.1f} "
        f"to {memory_after[1] / 1024:,.1f} MB).",
        f"Server CPU: a POST alone {alone_us:,.0f} µs (median of {REPS} rounds of "
        f"{RATES[-1]}/s with no stream open); at {RATES[-1]} posts/s with the streams, "
        f"{spread([r['server_cpu'] / r['seconds'] for r in fast], 100, '{:.0f}%')} of a core.",
        "",
        f"{PAGES:,} open pages over {IDLE_THREADS} threads, {IDLE_SECONDS:g} s with nothing happening: "
        f"as streams {streams_cpu:.2f} CPU s ({idle['streams']['open']:,} open, "
        f"{idle['streams']['closed']} closed meanwhile; the server let go of the closed streams "
        f"in {idle['let_go']:.1f} s); polling ?since= every {POLL_EVERY:g} s "
        f"{polling_cpu:.2f} CPU s (answers: "
        + ", ".join(f"{count:,} × {status}" for status, count in sorted(idle["polling"]["statuses"].items()))
        + ").",
        "",
        "| figure | measured | target |",
        "|---|---:|---|",
        verdict(
            "p99 delivery, worst rate", f"{p99 * 1000:,.0f} ms", p99 <= P99_TARGET, f"≤ {P99_TARGET:g} s"
        ),
        verdict(
            "memory per idle stream (RSS)",
            f"{rss:,.1f} KB",
            rss <= MEMORY_KB,
            f"≤ {MEMORY_KB} KB",
        ),
        f"| memory per idle stream (PSS) | {pss:,.1f} KB | |",
        verdict(
            "server CPU per delivered event",
            spread(per_event, 1e6, "{:,.1f} µs"),
            cpu_event <= CPU_TARGET_US,
            f"≤ {CPU_TARGET_US} µs",
        ),
        verdict("idle streams / polling, CPU", f"{ratio:.3f}", ratio <= IDLE_TARGET, f"≤ {IDLE_TARGET:g}"),
    ]
    return "\n".join(out)


def verdict(label: str, shown: str, met: bool, target: str) -> str:
    """Return a verdict table's row."""
    return f"| {label} | {shown} | {target} ({'met' if met else 'MISSED'}) |"


def main() -> int:
    from bench.run import gunicorn

    work = Path(tempfile.mkdtemp(prefix="comments-streams-"))
    try:
        report = measure_streams(gunicorn, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
