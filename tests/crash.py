"""A write killed after what it keeps beside the file (the side file's rows: outbox events,
contacts, keys) and before its thread's file is renamed in: the process posts a first
comment, which lands, then a second, and kills itself (SIGKILL) as that rename comes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KILLED_BEFORE_THE_RENAME = """
import json, os, signal, sys
from comments_app import create_app

settings, lost = json.loads(sys.argv[1]), json.loads(sys.argv[2])
client = create_app(settings).test_client()
client.post("/api/comments", json={"author": "Ann", "text": "Kept"})
replace = os.replace

def killed(source, target):
    if str(target).endswith("comments.json"):
        os.kill(os.getpid(), signal.SIGKILL)
    replace(source, target)

os.replace = killed
client.post("/api/comments", json=lost)
"""


def killed_before_the_rename(settings: dict, lost: dict) -> None:
    """Post "Kept", then the comment lost, in a process killed as the second's rename comes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = [sys.executable, "-c", KILLED_BEFORE_THE_RENAME, json.dumps(settings), json.dumps(lost)]
    done = subprocess.run(script, env=env, timeout=60, check=False)
    assert done.returncode == -signal.SIGKILL
