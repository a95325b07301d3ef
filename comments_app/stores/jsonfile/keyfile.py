"""The instance's secret key kept in a file beside the JSON store, made once, mode 0600.

Used when COMMENTS_SECRET_KEY is not set: every worker of the instance reads the
same key, whichever of them made it. Several instances need the setting instead.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from ...cooperative import blocking
from ..contract import StoreError
from ..files import fsync_folder

KEY_BYTES = 32


def read(path: Path) -> bytes | None:
    """Return the key in path, or None when there is none yet."""
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StoreError(
            "the secret key could not be read",
            f"the secret key could not be read: {path}: {error.strerror or error}",
        ) from None
    if len(key) < KEY_BYTES:
        raise StoreError(
            "the secret key file is damaged",
            f"the secret key file is damaged (too short): {path}; delete it to make a new one",
        )
    return key


def create(path: Path, partial: Path) -> bytes:
    """Make the key unless another worker did; the caller holds the store's lock."""
    key = read(path)
    if key is not None:
        return key
    key = secrets.token_hex(KEY_BYTES).encode()
    try:
        # Written whole, fsynced and renamed into place, as the store itself is.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, key + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(partial, path)
        fsync_folder(path.parent)
    except OSError as error:
        # The first write makes the key, so to a client this is the write failing.
        raise StoreError(
            "the comments store cannot be written",
            f"the secret key could not be made: {path}: {error.strerror or error}",
        ) from None
    return key


# How long a read waits before trying again to make a key it could not make.
KEY_RETRY_SECONDS = 5.0


class SiteKey:
    """The one key of a store, shared by every thread's file: read when there, made once.

    Made under the default thread's lock (locked), by the first write or by a read that
    can write; a folder the process cannot write still serves reads, their versions then
    named by the files' bytes, and the key is asked for again now and then.
    """

    def __init__(
        self, path: Path, secret: bytes | None, locked: Callable[[], AbstractContextManager]
    ) -> None:
        self.path = path
        self.tmp_path = path.with_name(path.name + ".tmp")
        self._secret = secret
        self._locked = locked
        self._retry_at = 0.0

    def existing(self) -> bytes | None:
        """Return the key if there is one yet, without writing."""
        if self._secret is None:
            self._secret = read(self.path)
        return self._secret

    def make(self) -> bytes:
        """Return the key, making it if need be; the caller does not hold the default lock."""
        key = self.existing()
        if key is None:
            key = self._secret = blocking(self._make)
        return key

    def for_reads(self) -> None:
        """Make the key for a read when this process can, so that versions are named by it
        from the first one a page sees; never under a thread's lock."""
        if self.existing() is not None or time.monotonic() < self._retry_at:
            return
        try:
            self._secret = blocking(self._make)
        except StoreError:
            self._retry_at = time.monotonic() + KEY_RETRY_SECONDS

    def _make(self) -> bytes:
        # Under the default thread's lock: one worker makes it, the others read it.
        with self._locked():
            return create(self.path, self.tmp_path)
