"""The comment stores: the shared contract (base.py) and one module per backend.

open_store(settings) picks the backend: PostgreSQL when DATABASE_URL is set,
otherwise the JSON file.
"""

from __future__ import annotations

from ..config import Settings
from .base import Snapshot, Store, StoreError

__all__ = ["Snapshot", "Store", "StoreError", "open_idempotency", "open_store"]


def open_store(settings: Settings) -> Store:
    """Return the store the settings choose: PostgreSQL with DATABASE_URL, else the JSON file."""
    if settings.database_url:
        # Imported here so that the file store's users never load psycopg.
        from .postgres import PostgresStore

        return PostgresStore(settings.database_url, settings.db_timeout, settings.secret_key)
    from .jsonfile import JsonFileStore

    return JsonFileStore(settings.file, settings.secret_key)


def open_idempotency(settings: Settings, store: Store):
    """Return where Idempotency-Key records live: beside the comments, in the same store."""
    if settings.database_url:
        from .postgres_idempotency import PostgresRecords

        return PostgresRecords(store)
    from .idempotency import SqliteRecords

    path = settings.file
    return SqliteRecords(path.with_name(path.stem + ".idempotency.sqlite3"))
