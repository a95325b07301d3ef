"""The bytes every store writes and serves: one comment a line, in the records' key order.

A list is encoded once and served as it is; a new comment is appended to it without
parsing it, and a published record is told from the others by its first bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence

# The id of a published record in the stores' layout, read without parsing it.
PUBLIC_ID = re.compile(rb'\{"id": (-?\d+)[,}]')
# A record's parent, read without parsing it: inside a JSON string every quote is
# escaped, so these bytes are the key itself wherever they are found.
PARENT = re.compile(rb'"parent": (\d+)[,}]')
# What a placeholder of a removed comment holds (model/comment.py placeholder).
REMOVED = b'"removed": true'


def encode_comment(comment: Mapping) -> bytes:
    return json.dumps(comment, ensure_ascii=False).encode()


def is_public_line(line: bytes) -> bool:
    """Tell a published record from the others by its first bytes (see normalize)."""
    return line.startswith(b'{"id": ')


def encode_list(lines: Iterable[bytes]) -> bytes:
    """Join encoded comments into the layout every store writes: one comment a line."""
    joined = b",\n".join(lines)
    return b"[\n" + joined + b"\n]\n" if joined else b"[]\n"


def append_encoded(body: bytes, lines: Sequence[bytes]) -> bytes:
    """Add encoded comments to a list in encode_list's layout, without parsing it."""
    if not lines:
        return body
    joined = b",\n".join(lines)
    if body == b"[]\n":
        return b"[\n" + joined + b"\n]\n"
    return body[: -len(b"\n]\n")] + b",\n" + joined + b"\n]\n"


def parse_list(body: bytes) -> list[dict]:
    """Parse a comments file; raise ValueError saying, for a person, what is wrong."""
    try:
        items = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise ValueError(
            f"not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise ValueError("not valid JSON (arrays or objects nested too deeply)") from None
    if not isinstance(items, list):
        raise ValueError(f"not a JSON array but a {type(items).__name__}")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"item {index} is not an object")
    return items


def last_id(items: Iterable[dict]) -> int:
    """Return the largest integer id, so new ids stay above every existing one."""
    ids = [item["id"] for item in items if type(item.get("id")) is int]
    return max(ids, default=0)


def parent_of(line: bytes) -> int | None:
    """Return the id of the comment an encoded record answers, or None."""
    match = PARENT.search(line)
    return None if match is None else int(match.group(1))


def line_id(line: bytes) -> int:
    """Return the id of an encoded published record."""
    match = PUBLIC_ID.match(line)
    if match is None:  # a store's own layout always matches; parse anything else
        return int(json.loads(line)["id"])
    return int(match.group(1))
