"""How a thread's versions are named: ETags that the store's key makes, and opens again.

An ETag starts with the version's modification time sealed by the thread's key (the
store's key and the thread's tag): the time and 64 zero bits through a keyed
permutation, which only the key opens, so that a since value says where in the journal
it belongs and that it is this thread's, and no number in it follows the time; then a
keyed digest of the file's signature. Before the store has a key (no write yet,
COMMENTS_SECRET_KEY unset), a version is named by a digest of the file's bytes
instead: a read never writes the key file.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import TYPE_CHECKING

from ...model.versions import VersionGone, VersionUnknown

if TYPE_CHECKING:
    from .keyfile import SiteKey
    from .version import Signature

EMPTY_ETAG = "0-0"
SEALED_TIME = re.compile(r"[0-9a-f]{32}")
CONTENT_VERSION = re.compile(r"[0-9a-f]{24}")
# Rounds of the Feistel network that seals a time: four make a strong pseudorandom
# permutation (Luby-Rackoff); more cost nothing that matters, once per version.
SEAL_ROUNDS = 8
HALF = (1 << 64) - 1


class VersionNames:
    """The names of one thread's versions, keyed by the store's key and a purpose (the thread's)."""

    def __init__(self, key: SiteKey, purpose: bytes) -> None:
        self._key = key
        self._purpose = purpose
        self._etag_key_bytes: bytes | None = None

    def name(self, sig: Signature | None, body: bytes | None = None) -> str:
        """Name a version: its sealed time and a keyed digest of its signature; before
        the store has a key, a digest of body (the file's bytes)."""
        if sig is None:
            return EMPTY_ETAG
        key = self.key()
        if key is None:
            assert body is not None, "a version without a key is named by its bytes"
            return hashlib.blake2b(body, person=b"comments list", digest_size=12).hexdigest()
        digest = hashlib.blake2b(repr(sig).encode(), key=key, digest_size=12).hexdigest()
        return f"{self.seal(sig[1])}-{digest}"

    def key(self) -> bytes | None:
        if self._etag_key_bytes is None:
            secret = self._key.existing()
            if secret is None:
                return None
            self._etag_key_bytes = hmac.digest(secret, self._purpose, "sha256")
        return self._etag_key_bytes

    def seal(self, mtime: int) -> str:
        """Encrypt a version's time, and 64 zero bits that vouch for it, with a keyed
        permutation: an XOR mask or an offset would be read off one known pair (one's own
        POST's time and the next version), and then every later write's time with it."""
        left, right = mtime & HALF, 0
        for number in range(SEAL_ROUNDS):
            left, right = right, left ^ self._round(number, right)
        return f"{left:016x}{right:016x}"

    def open(self, sealed: str) -> int | None:
        """Return the time a seal value holds, or None when this store's key did not seal it."""
        left, right = int(sealed[:16], 16), int(sealed[16:], 16)
        for number in reversed(range(SEAL_ROUNDS)):
            left, right = right ^ self._round(number, left), left
        return left if right == 0 else None

    def _round(self, number: int, half: int) -> int:
        key = self.key()
        assert key is not None, "sealed times need the store's key"
        person = b"comments time %d" % number
        digest = hashlib.blake2b(half.to_bytes(8, "big"), key=key, person=person, digest_size=8).digest()
        return int.from_bytes(digest, "big")

    def since_time(self, since: str) -> int:
        """Return the modification time a since value names, to find it in the journal."""
        if since == EMPTY_ETAG:
            return 0
        if CONTENT_VERSION.fullmatch(since):
            # Named by its bytes, and not the current version: no journal entry says
            # what changed since it.
            raise VersionGone("the version is older than the changes this store remembers")
        sealed, _, _ = since.partition("-")
        when = None
        if SEALED_TIME.fullmatch(sealed) and self.key() is not None:
            when = self.open(sealed)
        if when is None:
            raise VersionUnknown("the version is not one of this list's")
        return when
