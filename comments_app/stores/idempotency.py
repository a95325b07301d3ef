"""The Idempotency-Key capability: what the first request with a key answered, for its repeats.

One record per key: claimed by the request that inserted it first (an atomic insert, so
racing repeats cannot both claim it), completed with the answer, read by every repeat.
A store offers it as a protocol of its own: the JSON file store keeps records in a
SQLite file beside the comments file (jsonfile/idempotency.py), PostgreSQL in a table
beside the comments (postgres/idempotency.py). Nothing here imports Flask.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

# Records are kept this long: the promise is at least 24 hours.
KEEP_SECONDS = 48 * 3600
# A claim never completed (its worker was killed) may be taken over after this long;
# longer than any request may take (gunicorn's worker timeout is 30 s).
STALE_SECONDS = 60


@dataclass(frozen=True)
class Answer:
    """A stored response: status, the headers worth repeating, and the body."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Found:
    """What a claim found: claimed (the caller goes on), or someone else's record."""

    claimed: bool
    fingerprint: str = ""
    answer: Answer | None = None


class IdempotencyRecords(Protocol):
    def claim(self, key: str, fingerprint: str) -> Found:
        """Claim the key for this request, or return the record that holds it."""

    def complete(self, key: str, answer: Answer) -> None:
        """Store the answer of the request that claimed the key."""

    def release(self, key: str) -> None:
        """Forget an unanswered claim, so that a retry may claim the key again."""


def encode_headers(headers: dict[str, str]) -> str:
    return json.dumps(headers, ensure_ascii=False)
