"""Automatic backups on a real gunicorn: on schedule while comments land, one writer, rotation, faults."""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from comments_app.stores.backup import BACKUP_NAME, BACKUP_TIME, backups_in, read_export

pytestmark = pytest.mark.server

# A backup every 1.08 s (0.0003 hours): names are to the second, so a second is the least.
EVERY_HOURS = "0.0003"
EVERY = 0.0003 * 3600
WRITTEN = re.compile(r"\[(\d+)\] \[INFO\] backup \S+/(comments-\d{8}T\d{6}Z\.json): (\d+) comments")
FAILED = re.compile(r"\[ERROR\] backup failed: (.*)")
BOOTED = re.compile(r"Booting worker with pid: (\d+)")


def backup_settings(folder: Path) -> dict[str, str]:
    """Backups into folder every EVERY seconds, the newest two kept."""
    return {
        "COMMENTS_BACKUP_DIR": str(folder),
        "COMMENTS_BACKUP_EVERY": EVERY_HOURS,
        "COMMENTS_BACKUP_KEEP": "2",
    }


def began(name: str) -> float:
    """Return when the backup of that name began, as a time.time()."""
    return datetime.strptime(BACKUP_NAME.fullmatch(name)[1], BACKUP_TIME).replace(tzinfo=UTC).timestamp()


def names(folder: Path) -> list[str]:
    return [path.name for _, path in backups_in(folder)]


def written(server) -> list[tuple[int, str, int]]:
    """(worker pid, name, comments) of every backup the log says was written, in order."""
    return [(int(pid), name, int(count)) for pid, name, count in WRITTEN.findall(server.output())]


def backup_age(server) -> int:
    """Return the newest backup's age, as /healthz says it."""
    return requests.get(server.url + "/healthz", timeout=10).json()["backup"]["age_seconds"]


def wait_for(condition, seconds: float, what: str):
    """Return condition()'s first true value, asking until seconds have passed."""
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
    return value


def post_until(url: str, stop: threading.Event, acknowledged: list[tuple[float, str]], client: int) -> None:
    """Post until stopped; remember when each comment was acknowledged, and its text."""
    number = 0
    with requests.Session() as session:
        while not stop.is_set():
            text = f"client {client} comment {number}"
            number += 1
            response = session.post(
                url + "/api/comments",
                data={"author": "poster", "text": text},
                headers={"Prefer": "return=minimal"},
                timeout=30,
            )
            assert response.status_code == 201, response.text
            acknowledged.append((time.time(), text))


def assert_no_doubles(server) -> list[tuple[int, str, int]]:
    """Each backup was written once, by one worker: no name twice, each a second or more after the last."""
    log = written(server)
    made = [name for _, name, _ in log]
    assert len(made) == len(set(made)), f"a backup was written twice: {made}"
    times = [began(name) for name in made]
    # Named to the second: a period of 1.08 s puts names at least a second apart.
    assert all(later - earlier >= 1 for earlier, later in itertools.pairwise(times)), made
    return log


def test_backups_are_made_on_schedule_while_comments_land(start_server, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    foreign = {
        "notes.txt": b"the operator's own notes",
        "comments-old.json": b"[]\n",
        "comments-20200101T000000Z.json.bak": b"[]\n",
        "comments-20261399T000000Z.json": b"not a time, so not a backup",
    }
    for name, body in foreign.items():
        (folder / name).write_bytes(body)
    # What a writer killed mid-backup leaves: the next backup removes it.
    leftover = folder / ".comments-20200101T000000Z.json.4242.tmp"
    leftover.write_bytes(b'[{"id": 1, "au')
    server = start_server(workers=4, COMMENTS_FILE=str(tmp_path / "comments.json"), **backup_settings(folder))

    acknowledged: list[tuple[float, str]] = []
    stop = threading.Event()
    posters = [
        threading.Thread(target=post_until, args=(server.url, stop, acknowledged, n)) for n in range(4)
    ]
    for poster in posters:
        poster.start()
    seen: dict[str, bytes] = {}

    def taken_while_posting() -> list[str]:
        """The backups that began after some comments were acknowledged, and before others."""
        times = [when for when, _ in acknowledged]
        return [name for name in seen if times and times[0] < began(name) < times[-1] - 0.5]

    try:
        # Each backup is read as soon as it appears, before rotation removes it.
        deadline = time.monotonic() + 20
        while len(seen) < 4 or not taken_while_posting():
            assert time.monotonic() < deadline, f"backups did not come on schedule: {sorted(seen)}"
            for name in names(folder):
                if name not in seen:
                    seen[name] = (folder / name).read_bytes()
            time.sleep(0.02)
    finally:
        stop.set()
        for poster in posters:
            poster.join()

    for name, body in seen.items():
        # The format import-json reads, holding every comment acknowledged before it began.
        texts = {record["text"] for record in read_export(body)}
        before = {text for when, text in acknowledged if when < began(name)}
        assert before <= texts, f"{name} lacks {len(before - texts)} acknowledged comments"
    assert all(seen[name] != b"[]\n" for name in taken_while_posting())

    # One backup a period for the whole instance, not one per worker.
    log = assert_no_doubles(server)
    assert {name for _, name, _ in log} >= set(seen)

    # Rotation keeps the newest two and touches nothing else in the folder.
    newest = sorted(seen)[-1]
    kept = names(folder)
    assert len(kept) == 2 and kept[-1] >= newest
    for name, body in foreign.items():
        assert (folder / name).read_bytes() == body
    assert not leftover.exists()
    assert not list(folder.glob(".*.tmp"))

    # /healthz says how old the newest backup is.
    health = requests.get(server.url + "/healthz", timeout=10).json()
    assert datetime.fromisoformat(health["backup"]["last"]).timestamp() >= began(kept[-1])
    assert 0 <= health["backup"]["age_seconds"] <= 5


HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)
"""


def test_the_lock_elects_one_writer_and_dies_with_it(start_server, tmp_path):
    folder = tmp_path / "backups"
    server = start_server(workers=2, COMMENTS_FILE=str(tmp_path / "comments.json"), **backup_settings(folder))
    wait_for(lambda: written(server), 10, "the first backup")

    # Whoever holds the lock is the writer: while a process holds it, no worker writes.
    lock = folder / "comments-backups.lock"
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, str(lock)], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout.readline() == "held\n"
            before = names(folder)[-1]
            wait_for(lambda: backup_age(server) >= 2.5 * EVERY, 10, "more than two periods without a backup")
            assert names(folder)[-1] == before
        finally:
            # kill -9 of the holder frees the lock: a worker takes over within a moment.
            holder.kill()
    wait_for(lambda: names(folder)[-1] > before, 5, "a backup after the holder was killed")

    # kill -9 of the worker that wrote last: the other one (or its replacement) goes on.
    pid, last, _ = written(server)[-1]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: any(name > last for _, name, _ in written(server)), 10, "a backup after the kill")
    assert_no_doubles(server)

    # SIGTERM stops the server promptly and leaves no part of a backup.
    stopping = time.monotonic()
    server.stop()
    assert time.monotonic() - stopping < 3
    assert not list(folder.glob(".*.tmp"))
    for name in names(folder):
        read_export((folder / name).read_bytes())


def test_a_failing_backup_is_logged_and_tried_again(start_server, tmp_path):
    folder = tmp_path / "backups"
    server = start_server(workers=2, COMMENTS_FILE=str(tmp_path / "comments.json"), **backup_settings(folder))
    wait_for(lambda: written(server), 10, "the first backup")

    # The folder replaced by a file: no writes there, for root too.
    moved = folder.rename(tmp_path / "moved")
    folder.write_bytes(b"")
    broke = time.time()
    # (A try between the two steps above finds no folder at all: also a failure.)
    why = lambda: [line for line in FAILED.findall(server.output()) if "Not a directory" in line]  # noqa: E731
    wait_for(why, 10, "the failure in the log")
    # A worker booting meanwhile (after a crash) serves, and tries too: the folder was
    # checked at start-up, its fault is the backups' to report.
    booted = len(BOOTED.findall(server.output()))
    os.kill(written(server)[0][0], signal.SIGKILL)
    new = wait_for(lambda: BOOTED.findall(server.output())[booted:], 10, "a new worker")[0]
    wait_for(lambda: f"[{new}] [ERROR] backup failed" in server.output(), 10, "the new worker's try")
    assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
    added = requests.post(
        server.url + "/api/comments", data={"author": "a", "text": "still here"}, timeout=10
    )
    assert added.status_code == 201

    folder.unlink()
    moved.rename(folder)
    mended = time.time()
    # Named to the second: a name after the fix is a backup begun after it.
    wait_for(lambda: names(folder) and began(names(folder)[-1]) > mended, 10, "a backup after the fix")
    output = server.output()
    assert "Traceback" not in output
    assert server.process.poll() is None
    # Logged once per try: each worker tries once per retry delay (a period here), no more.
    tries = len(FAILED.findall(output))
    assert tries <= 2 * ((mended - broke) / EVERY + 2)
    assert "still here" in {
        record["text"] for record in read_export((folder / names(folder)[-1]).read_bytes())
    }


def test_a_store_failure_is_logged_without_the_password(start_server, tmp_path):
    folder = tmp_path / "backups"
    closed = "postgresql://backup:hunter2@127.0.0.1:9/comments"
    server = start_server(
        workers=1, DATABASE_URL=closed, COMMENTS_DB_TIMEOUT="0.5", **backup_settings(folder)
    )
    wait_for(lambda: FAILED.findall(server.output()), 10, "a failure in the log")
    assert requests.get(server.url + "/healthz", timeout=10).json()["backup"] == {
        "last": None,
        "age_seconds": None,
    }
    assert "hunter2" not in server.output()
