"""A process that adds, edits and deletes its own comments, logging each acknowledged change.

Run by the store contract tests in several processes at once (spawned, so that no
thread or connection of the test's own process is inherited).
"""

from __future__ import annotations

import os


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
