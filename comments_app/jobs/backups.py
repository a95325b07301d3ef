"""The scheduled backup: an export-json snapshot in COMMENTS_BACKUP_DIR every COMMENTS_BACKUP_EVERY,
the oldest beyond COMMENTS_BACKUP_KEEP removed."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from ..cooperative import blocking
from ..stores.backup import BACKUP_LEFTOVER, backup_name, backups_in, encode_export, write_atomically
from ..stores.contract import Store

# The lock that elects the writer, beside the backups (its name is not a backup's).
LOCK_NAME = "comments-backups.lock"
# A failed backup is tried again after this, or after a period when that is shorter.
RETRY = 300.0


class BackupJob:
    """Write the store's export to the folder when the newest backup there is a period old."""

    name = "backup"

    def __init__(self, store: Store, folder: Path, every: float, keep: int) -> None:
        self.store = store
        self.folder = folder
        self.every = every
        self.keep = keep
        self.lock_path = folder / LOCK_NAME
        self.retry = min(every, RETRY)

    def due_in(self, now: float) -> float:
        """Return the seconds until a period has passed since the newest backup began."""
        try:
            found = backups_in(self.folder)
        except OSError:
            return 0.0  # the round will fail and say why
        if not found:
            return 0.0
        # One from the future (a clock set back) counts from now, not from then.
        newest = min(found[-1][0].timestamp(), now)
        return newest + self.every - now

    def run(self, stopped: Callable[[], bool]) -> str:
        """Write a backup of the store as it is now, then remove the oldest beyond keep."""
        # Named by the time it began: every comment acknowledged before is in it.
        began = datetime.now(UTC)
        closed = blocking(self.store.closed_threads)
        records = blocking(self.store.export_records)
        contacts = blocking(self.store.private.all_contacts)
        path = self.folder / backup_name(began)
        removed, kept = blocking(self._write, path, encode_export(records, closed, contacts), stopped)
        said = f"backup {path}: {len(records)} comments"
        if removed:
            said += f"; removed the oldest: {', '.join(removed)}"
        if kept:
            said += f"; could not remove {', '.join(kept)} (tried again after the next backup)"
        return said

    def _write(self, path: Path, body: bytes, stopped: Callable[[], bool]) -> tuple[list[str], list[str]]:
        """Write the backup, then rotate; return the names removed and those that could not be.

        Called holding the lock.
        """
        self._remove_leftovers()
        write_atomically(path, body, stopped)
        return self._rotate()

    def _remove_leftovers(self) -> None:
        """Remove what a writer killed mid-backup left: under the lock, no one else is writing."""
        for name in os.listdir(self.folder):
            if BACKUP_LEFTOVER.fullmatch(name):
                with contextlib.suppress(FileNotFoundError):
                    (self.folder / name).unlink()

    def _rotate(self) -> tuple[list[str], list[str]]:
        """Remove the oldest backups beyond keep; only names backup_name gives, nothing else.

        A backup is written by then: a file that cannot be removed does not fail it.
        """
        removed, kept = [], []
        found = backups_in(self.folder)
        for _, path in found[: max(0, len(found) - self.keep)]:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                kept.append(path.name)
                continue
            removed.append(path.name)
        return removed, kept
