"""The instance's secret key kept in a file beside the JSON store, made once, mode 0600.

Used when COMMENTS_SECRET_KEY is not set: every worker of the instance reads the
same key, whichever of them made it. Several instances need the setting instead.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ..contract import StoreError

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
        fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as error:
        # The first write makes the key, so to a client this is the write failing.
        raise StoreError(
            "the comments store cannot be written",
            f"the secret key could not be made: {path}: {error.strerror or error}",
        ) from None
    return key
