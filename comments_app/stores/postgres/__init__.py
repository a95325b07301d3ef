"""The PostgreSQL store: comments in a table, for platforms whose disks are ephemeral or that
run many instances. store.py holds the Store; schema.py the tables, their upgrades and the
functions every write calls; cache.py each process's copies of the threads it serves;
rows.py a row as a record; idempotency.py the Idempotency-Key records."""

from .store import PostgresStore

__all__ = ["PostgresStore"]
