"""Read a submitted comment's body, however it is sent, and parse it strictly.

Every body is read once, by CommentsRequest.body: one size limit for Content-Length and chunked
bodies alike, one deadline for the whole body, and any failure of the client's
framing (a malformed chunk size, a body shorter than its Content-Length) is a 4xx
with one log line. Then the body is parsed as a form, a multipart form or JSON,
as UTF-8 only, with no field named twice: a body that is not a comment is a 4xx,
whatever its shape, never a 500.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cached_property
from urllib.parse import parse_qsl

from flask import Request, current_app
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from ..cooperative import DeadlinePassed, deadline
from ..state import app_state
from .errors import APIError

# More parts than any comment form needs, far fewer than 64 KiB of tiny ones.
MAX_FIELDS = 50
# A comment's fields, each refused when given twice rather than one of them picked.
FIELDS = ("author", "text", "thread", "parent")


class CommentsRequest(Request):
    """Flask's request, with its body read once and handed on, and what the guards decided.

    The Idempotency-Key guard fingerprints the body, the editors guard looks for a status
    in it and the handler stores it: each reads request.body or request.fields, and the
    body is read from the client once, with the app's size limit and deadline.
    """

    # Who changes a comment (model/editing.py), set by guards/editors.py for the change routes.
    editor: str | None = None
    # The user whose Basic password this request proved, set by guards/auth.py, so that a
    # later guard asking who the user is hashes nothing and counts no failed login.
    login_user: str | None = None
    # The Idempotency-Key this request claimed, set by guards/idempotency.py until it is answered.
    idempotency_key: str | None = None

    @cached_property
    def body(self) -> bytes:
        """The whole body, read within the app's deadline and refused past its limit."""
        settings = app_state().settings
        return read_body(self, settings.max_body, settings.client_timeout)

    @cached_property
    def fields(self) -> Mapping:
        """The submitted fields of a form, a multipart form or a JSON object."""
        mimetype = self.mimetype
        if mimetype == "application/x-www-form-urlencoded":
            return parse_urlencoded(self.body)
        if mimetype == "multipart/form-data":
            return parse_multipart(self.body, self.mimetype_params.get("boundary", ""))
        if mimetype == "application/json" or mimetype.endswith("+json"):
            return parse_json(self.body)
        raise APIError(
            415,
            f"cannot read a body of type {mimetype or 'none'}; send application/json, "
            "application/x-www-form-urlencoded or multipart/form-data",
        )


def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """Read the whole body within timeout seconds; refuse it past limit bytes."""
    environ = request.environ
    length = request.content_length
    if length is not None and length > limit:
        raise APIError(413, too_large(limit))
    # Without a length the server must say it ends the stream (gunicorn does for
    # chunked bodies); otherwise there is no body to read, as in werkzeug.
    if length is None and not environ.get("wsgi.input_terminated"):
        return b""
    stream = environ["wsgi.input"]
    wanted = limit + 1 if length is None else length
    chunks: list[bytes] = []
    received = 0
    try:
        with deadline(timeout):
            while received < wanted:
                chunk = stream.read(min(wanted - received, 16 * 1024))
                if not chunk:
                    break
                chunks.append(chunk)
                received += len(chunk)
    except (DeadlinePassed, TimeoutError):
        current_app.logger.warning("request body not received within %g s from %s", timeout, client(request))
        raise APIError(408, f"the request body did not arrive within {timeout:g} seconds") from None
    except Exception as error:
        # The client's framing, not the server, failed: one line (repr: the client's
        # bytes may hold line breaks), no traceback.
        current_app.logger.warning(
            "request body unreadable from %s: %s: %r", client(request), type(error).__name__, str(error)
        )
        raise APIError(400, "the request body could not be read: its framing is malformed") from None
    if received > limit:
        raise APIError(413, too_large(limit))
    if length is not None and received < length:
        raise APIError(400, f"the request body ended after {received} of its {length} bytes")
    return b"".join(chunks)


def client(request: Request) -> str:
    return request.remote_addr or "an unknown client"


def too_large(limit: int) -> str:
    return f"the request body is larger than the {limit // 1024} KiB limit"


def parse_urlencoded(body: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except UnicodeDecodeError:
        raise APIError(400, "the form is not UTF-8 text") from None
    except ValueError:
        raise APIError(413, too_many_fields()) from None
    return unique_fields(pairs, "form")


def parse_multipart(body: bytes, boundary: str) -> dict[str, str]:
    if not boundary:
        raise APIError(400, "the multipart body has no boundary in its Content-Type")
    decoder = MultipartDecoder(boundary.encode("latin-1", "replace"), max_parts=MAX_FIELDS)
    pairs: list[tuple[str, str]] = []
    name: str | None = None
    data: list[bytes] = []
    try:
        decoder.receive_data(body)
        decoder.receive_data(None)
        while not isinstance(event := decoder.next_event(), Epilogue | NeedData):
            if isinstance(event, Field):
                name, data = event.name, []
            elif isinstance(event, File):
                # An uploaded file is not a comment's field.
                name, data = None, []
            elif isinstance(event, Data) and name is not None:
                data.append(event.data)
                if not event.more_data:
                    pairs.append((name, b"".join(data).decode("utf-8")))
    except UnicodeDecodeError:
        raise APIError(400, "the form is not UTF-8 text") from None
    except ValueError:
        raise APIError(400, "the multipart body is malformed") from None
    except RequestEntityTooLarge:
        # What werkzeug says for too many parts: the body itself is within the limit.
        raise APIError(413, too_many_fields()) from None
    return unique_fields(pairs, "form")


def too_many_fields() -> str:
    return f"the form has too many fields; a comment needs two and at most {MAX_FIELDS} are read"


def unique_fields(pairs: list[tuple[str, str]], what: str) -> dict[str, str]:
    """Return the fields as a dict; a comment's field named twice is refused, not picked."""
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields and name in FIELDS:
            raise APIError(400, f"the {what} names {name!r} more than once", fields={name: given_twice(name)})
        fields.setdefault(name, value)
    return fields


def given_twice(name: str) -> str:
    return f"{name} is given more than once"


class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def unique_object(pairs: list[tuple[str, object]]) -> dict:
    """Build a JSON object, refusing a key named twice (json keeps the last silently)."""
    obj: dict = {}
    for key, value in pairs:
        if key in obj:
            raise DuplicateKey(key)
        obj[key] = value
    return obj


def parse_json(body: bytes) -> dict:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise APIError(400, "the JSON body is not UTF-8 text") from None
    try:
        data = json.loads(text, object_pairs_hook=unique_object)
    except DuplicateKey as error:
        key = error.key
        message = f"the JSON body names {key!r} more than once"
        raise APIError(400, message, fields={key: given_twice(key)}) from None
    except RecursionError:
        raise APIError(400, "the JSON body is nested too deeply") from None
    except ValueError:
        # JSONDecodeError, and numbers too long to convert (past 4,300 digits).
        raise APIError(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise APIError(400, 'the JSON body must be an object like {"author": …, "text": …}')
    return data
