"""The Idempotency-Key capability: what a repeat of the first request with a key needs.

One record per key: claimed by the request that inserted it first (an atomic insert, so
racing repeats cannot both claim it), completed with the answer, read by every repeat.
The key a store sees is already scoped to the client that sent it (the guard's work,
web/guards/idempotency.py); a record keeps the answer's status, the headers worth
repeating, and its body only when that was the new comment alone: when it was the whole
list, only the list's version, and a repeat answers the list as it is then. So a record
is about one comment's size, whatever the list's, and the records of a store are bounded
in number and in bytes, the oldest dropped first.

A store offers it as a protocol of its own: the JSON file store keeps records in a
SQLite file beside the comments file (jsonfile/idempotency.py), PostgreSQL in a table
beside the comments (postgres/idempotency.py), written in the comment's own transaction
(RecordsWithComments, below): there a record points at its comment instead of keeping
an answer. The file store keeps the key with its comment too, in the comment's own
write, and completes its record after the answer. Nothing here imports Flask.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

# Records are kept this long: the promise is at least 24 hours.
KEEP_SECONDS = 48 * 3600
# A claim never completed (its worker was killed) may be taken over after this long;
# longer than any request may take (gunicorn's worker timeout is 30 s).
STALE_SECONDS = 60
# At most this many records per store, holding at most this many bytes: past either,
# the oldest are dropped (a repeat of a dropped one is then a new request). A record is
# a few hundred bytes (a comment may reach 40 KB): 16 MiB keeps thousands of them.
MAX_RECORDS = 10_000
MAX_BYTES = 16 * 1024 * 1024
# A fingerprint's bytes (a SHA-256 in hex), counted in its record's size.
FINGERPRINT_BYTES = 64


@dataclass(frozen=True)
class Answer:
    """What a repeat answers: the status, the headers worth repeating, and either the
    body (the new comment alone) or, when the body was the whole list, the list's version
    then (the repeat answers the list as it is now; the body is kept empty)."""

    status: int
    headers: dict[str, str]
    body: bytes = b""
    list_version: str | None = None


@dataclass(frozen=True)
class Found:
    """What a claim found: claimed (the caller goes on), or someone else's record: its
    answer, or (records kept with their comments) the comment it stored."""

    claimed: bool
    fingerprint: str = ""
    answer: Answer | None = None
    comment_id: int | None = None
    # When the first request's Comment-Token was stamped (seconds since the epoch): a
    # repeat's carries the same time, so that it is the same token.
    stamp: int | None = None


class IdempotencyRecords(Protocol):
    def claim(self, key: str, fingerprint: str) -> Found:
        """Claim the key for this request, or return the record that holds it."""

    def complete(self, key: str, answer: Answer) -> None:
        """Store the answer of the request that claimed the key; drop the records past the bounds."""

    def release(self, key: str) -> None:
        """Forget an unanswered claim, so that a retry may claim the key again."""


@runtime_checkable
class RecordsWithComments(Protocol):
    """Optional: records written in the same transaction as their comment (PostgreSQL).

    A request that claimed a key attaches it: the store's next add, in this context,
    stores the comment and completes the key's record, pointing at the comment, in one
    transaction, so no crash leaves one without the other and no completion follows. A
    repeat whose record holds a comment attaches that comment's id: the store's add then
    stores nothing and hands that comment back, and the handler answers it again.

    Records whose class says completed_by_add = False (the file store's) keep the key
    with the comment, in its write, and are completed after the answer all the same: a
    repeat is answered from the comment while the key is kept with it, answered or not
    (its worker killed before completing it).
    """

    def attach(self, key: str, comment_id: int | None = None, stamp: int | None = None) -> None:
        """Have this context's next add write the key's record with its comment and its token's
        stamp, or hand back comment_id."""

    def detach(self) -> None:
        """Forget what this context attached."""


def completed_by_add(records: IdempotencyRecords) -> bool:
    """Tell whether the store's add completes a claimed record (nothing to complete after the answer)."""
    return isinstance(records, RecordsWithComments) and getattr(records, "completed_by_add", True)


def encode_headers(headers: dict[str, str]) -> str:
    return json.dumps(headers, ensure_ascii=False)


@dataclass(frozen=True)
class Bounds:
    """How many records a store keeps, and how many bytes of them.

    Each completed record takes a share of one running count: its bytes times
    max_records, but never less than max_bytes. The records whose shares lie within the
    last max_records x max_bytes of that count are kept, the others dropped: so at most
    max_records records, holding at most max_bytes bytes, are ever kept (two requests
    completing at the same instant on PostgreSQL may overlap by one record). Dropping
    them is one range of an index, however many records there are.
    """

    max_records: int = MAX_RECORDS
    max_bytes: int = MAX_BYTES

    @property
    def window(self) -> int:
        return self.max_records * self.max_bytes

    def share(self, key: str, headers: str, answer: Answer) -> int:
        """Return the share of the running count a record takes, its headers encoded so."""
        size = FINGERPRINT_BYTES + len(answer.body)
        size += sum(len(part.encode()) for part in (key, headers, answer.list_version or ""))
        return max(size * self.max_records, self.max_bytes)

    def completion(self, key: str, answer: Answer) -> dict:
        """Return the values a backend stores when it completes a record: the answer and its share."""
        headers = encode_headers(answer.headers)
        return {
            "key": key,
            "status": answer.status,
            "headers": headers,
            "body": answer.body,
            "list_version": answer.list_version,
            "share": self.share(key, headers, answer),
        }
