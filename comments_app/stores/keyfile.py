"""The instance's secret key kept in a file beside the JSON store, made once, mode 0600.

Used when COMMENTS_SECRET_KEY is not set: every worker of the instance reads the
same key, whichever of them made it. Several instances need the setting instead.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from .base import StoreError

KEY_BYTES = 32


def load_or_create(path: Path) -> bytes:
    """Return the key in path, making it first when there is none."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then linked into place: link() never
        # replaces, so the first worker's key wins and nobody reads half of one.
        partial = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, secrets.token_hex(KEY_BYTES).encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            with contextlib.suppress(FileExistsError):
                os.link(partial, path)
        finally:
            partial.unlink()
        fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return _read(path)
    except OSError as error:
        raise StoreError(f"the secret key could not be made: {path}: {error.strerror or error}") from None


def _read(path: Path) -> bytes:
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        raise
    except OSError as error:
        raise StoreError(f"the secret key could not be read: {path}: {error.strerror or error}") from None
    if len(key) < KEY_BYTES:
        raise StoreError(f"the secret key file is damaged (too short): {path}; delete it to make a new one")
    return key
