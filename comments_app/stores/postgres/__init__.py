"""The PostgreSQL store: comments in a table, for platforms whose disks are ephemeral or that
run many instances. store.py holds the comments; idempotency.py the Idempotency-Key records."""

from .store import PostgresStore

__all__ = ["PostgresStore"]
