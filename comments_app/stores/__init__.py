"""The comment stores: one contract (contract.py), one package per backend.

open_store(settings) picks the backend: PostgreSQL when DATABASE_URL is set, otherwise
the JSON file. What every backend shares is here too: the bytes they write (layout.py),
pages and changes (feed.py), the export format (backup.py), file plumbing (files.py), the Idempotency-Key
capability (idempotency.py), and where the abuse limits count (ratelimits.py).
"""

from __future__ import annotations

from ..config import Settings
from .contract import CommentNotFound, Snapshot, Store, StoreError
from .idempotency import IdempotencyRecords

__all__ = ["CommentNotFound", "Snapshot", "Store", "StoreError", "open_idempotency", "open_store"]


def open_store(settings: Settings) -> Store:
    """Return the store the settings choose: PostgreSQL with DATABASE_URL, else the JSON file.

    With somewhere to send notifications (a webhook, mail), its writes fill its outbox.
    """
    notifies = settings.notifies
    if settings.database_url:
        # Imported here so that the file store's users never load psycopg.
        from .postgres import PostgresStore

        return PostgresStore(settings.database_url, settings.db_timeout, settings.secret_key, outbox=notifies)
    from .jsonfile import JsonFileStore

    return JsonFileStore(settings.file, settings.secret_key, outbox=notifies)


def open_idempotency(settings: Settings, store: Store) -> IdempotencyRecords:
    """Return where Idempotency-Key records live: beside the comments, in the same store."""
    if settings.database_url:
        from .postgres.idempotency import PostgresRecords

        return PostgresRecords(store)
    from .jsonfile.idempotency import SqliteRecords

    path = settings.file
    # The store keeps each key with its comment too (jsonfile/idempotency.py).
    return SqliteRecords(path.with_name(path.stem + ".idempotency.sqlite3"), store=store)
