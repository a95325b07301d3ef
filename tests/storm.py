"""A process that adds, edits and deletes its own comments, logging each acknowledged change.

Run by the store contract tests in several processes at once (spawned, so that no
thread or connection of the test's own process is inherited).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def run(settings: dict, worker: int, rounds: int, log_path: str) -> None:
    """Add a comment, edit it, delete every third; append "kind id text" per acknowledgement."""
    from comments_app import create_app
    from comments_app.state import app_state

    store = app_state(create_app(settings)).store
    with open(log_path, "a", buffering=1) as log:
        for number in range(rounds):
            text = f"w{worker} n{number}"
            comment, _ = store.add(f"w{worker}", text)
            log.write(f"add {comment['id']} {text}\n")
            store.update(comment["id"], {"text": text + " edited"})
            log.write(f"edit {comment['id']} {text} edited\n")
            if number % 3 == 0:
                store.delete(comment["id"])
                log.write(f"delete {comment['id']} -\n")
    store.close()
    os._exit(0)


def kill_9_once_logged(processes: list, log_path: Path, more: int, seconds: float = 60) -> bool:
    """Wait until the log has `more` lines beyond what it had (or seconds pass), then kill -9
    every process mid-storm and reap it; tell whether the log grew that much."""
    before = len(log_path.read_text().splitlines()) if log_path.exists() else 0
    deadline = time.monotonic() + seconds

    def logged() -> int:
        return len(log_path.read_text().splitlines()) if log_path.exists() else 0

    while logged() < before + more and time.monotonic() < deadline:
        time.sleep(0.01)
    reached = logged() >= before + more
    for process in processes:
        os.kill(process.pid, signal.SIGKILL)
    for process in processes:
        process.join(10)
    return reached
