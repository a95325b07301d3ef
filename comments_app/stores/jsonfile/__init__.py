"""The JSON file store: comments in one file that many processes share safely.

store.py writes and serves the file (group commit, atomic replace, a hint in the lock
file); journal.py remembers which comments each version changed, for ?since=; keyfile.py
keeps the instance's secret key beside it; idempotency.py keeps Idempotency-Key records
in a SQLite file beside it.
"""

from .store import JsonFileStore

__all__ = ["JsonFileStore"]
