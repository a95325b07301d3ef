"""Every API answer the tests receive is checked against the OpenAPI description.

The Flask test client and `requests` both report each answer here (conftest.py
attaches the check); an answer whose status, header or body the description does
not allow fails the test that received it. So the description cannot drift: a new
field or status must be described before any test can receive it.
"""

from __future__ import annotations

import functools
import gzip
import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import brotli
import jsonschema
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from werkzeug.datastructures import Headers, ImmutableMultiDict

from comments_app.web.api import apidoc

# Which answers are the API's: everything else (the page, its assets) is not described.
API_PREFIXES = ("/api/", "/comments.json", "/healthz")
# Methods answered by the protocol itself, not by an operation: HEAD (a GET without a
# body) and OPTIONS (CORS preflights, 405 lists).
UNDESCRIBED_METHODS = frozenset({"HEAD", "OPTIONS"})


class ContractError(AssertionError):
    """An answer the OpenAPI description does not allow."""


@dataclass
class SeenRequest:
    """What openapi-core needs of a request to find its operation: not its body."""

    host_url: str
    path: str
    method: str
    parameters: RequestParameters = field(default_factory=RequestParameters)
    content_type: str = ""
    body: bytes | None = None


@dataclass
class SeenResponse:
    status_code: int
    headers: Headers
    data: bytes
    content_type: str


@functools.cache
def description() -> dict:
    return apidoc.description()


@functools.cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(description())


def is_api(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def check(method: str, url: str, request_headers, status: int, headers, body: bytes) -> None:
    """Raise ContractError when the description does not allow this answer to this request."""
    parts = urlsplit(url)
    method = method.upper()
    if method in UNDESCRIBED_METHODS or not is_api(parts.path):
        return
    query = ImmutableMultiDict(
        [tuple(pair.split("=", 1)) if "=" in pair else (pair, "") for pair in parts.query.split("&") if pair]
    )
    request = SeenRequest(
        host_url=f"{parts.scheme or 'http'}://{parts.netloc or 'localhost'}",
        path=parts.path,
        method=method.lower(),
        parameters=RequestParameters(query=query, header=Headers(dict(request_headers or {}))),
    )
    headers = Headers(list(headers.items()) if hasattr(headers, "items") else headers)
    content_type = headers.get("Content-Type", "")
    whole = decoded(headers, body)
    data, unseen = unseen_items((method, parts.path, status, content_type), whole)
    response = SeenResponse(status, headers, data, content_type)
    try:
        openapi().validate_response(request, response)
    except (PathNotFound, OperationNotFound):
        check_undescribed(method, parts.path, response)
    except Exception as error:
        left_out = " (the list's items already seen valid left out)" if data is not whole else ""
        raise ContractError(
            f"{method} {parts.path} answered {status} outside the OpenAPI description{left_out}: "
            f"{error}{describe_cause(error)}\nbody: {body[:500]!r}"
        ) from None
    VALID_ITEMS.update(unseen)


# The items of lists already found valid, each with the answer it came in (method, path,
# status, media type: one schema). Every list the description has is items alone, no count
# or uniqueness (checked below), so a list is valid exactly when each of its items is: a
# list seen again (every POST of a storm answers the whole list) is checked for its new
# items only. jsonschema takes about 0.1 ms an item, and a storm's answers add up to
# hundreds of thousands of them: most of some tests' time.
VALID_ITEMS: set[tuple] = set()
LIST_KEYWORDS = frozenset({"minItems", "maxItems", "uniqueItems", "contains", "prefixItems"})


def unseen_items(answer: tuple, data: bytes) -> tuple[bytes, list[tuple]]:
    """Return the body to check (a JSON list less its items seen valid in the same answer)
    and the keys of the items it keeps, to remember once it is found valid."""
    if not data.lstrip().startswith(b"[") or not lists_are_items_alone():
        return data, []
    try:
        items = json.loads(data)
    except ValueError:
        return data, []
    keyed = [(item, (*answer, json.dumps(item, sort_keys=True))) for item in items]
    unseen = [(item, key) for item, key in keyed if key not in VALID_ITEMS]
    if len(unseen) == len(keyed):
        return data, [key for _, key in unseen]
    return json.dumps([item for item, _ in unseen]).encode(), [key for _, key in unseen]


@functools.cache
def lists_are_items_alone() -> bool:
    """Tell whether no schema of the description constrains a list beyond its items."""

    def constrained(node) -> bool:
        if isinstance(node, dict):
            return (node.get("type") == "array" and bool(LIST_KEYWORDS & node.keys())) or any(
                constrained(value) for value in node.values()
            )
        return isinstance(node, list) and any(constrained(value) for value in node)

    described = description()
    # Parameters may count their items (the counts' ?thread=): only answers matter here.
    answers = [
        described["components"].get("schemas", {}),
        described["components"].get("responses", {}),
        *(
            operation.get("responses", {})
            for path in described["paths"].values()
            for operation in path.values()
            if isinstance(operation, dict)
        ),
    ]
    return not any(constrained(node) for node in answers)


def decoded(headers: Headers, body: bytes) -> bytes:
    """The body as sent before compression (requests decodes it already; the test client does not)."""
    coding = headers.get("Content-Encoding")
    try:
        if coding == "gzip":
            return gzip.decompress(body)
        if coding == "br":
            return brotli.decompress(body)
    except (OSError, brotli.error):
        pass  # already decoded by requests
    return body


def check_undescribed(method: str, path: str, response: SeenResponse) -> None:
    """An address or method the description has not: refused in the error shape (400 for a
    host that is not allowed, 404, 405), or redirected (werkzeug sends /api//comments to
    /api/comments with a 308).
    """
    if response.status_code == 308 and "Location" in response.headers:
        return
    if response.status_code not in (400, 404, 405):
        raise ContractError(f"{method} {path} answered {response.status_code}, but is not described")
    if response.status_code == 405 and "Allow" not in response.headers:
        raise ContractError(f"{method} {path} answered 405 without Allow")
    try:
        jsonschema.validate(json.loads(response.data), description()["components"]["schemas"]["Error"])
    except (ValueError, jsonschema.ValidationError) as error:
        raise ContractError(
            f"{method} {path} answered {response.status_code} outside the error shape: {error}"
        ) from None


def describe_cause(error: Exception) -> str:
    causes = []
    while error.__cause__ is not None or getattr(error, "schema_errors", None):
        for schema_error in getattr(error, "schema_errors", ()) or ():
            causes.append(str(schema_error.message))
        if error.__cause__ is None:
            break
        error = error.__cause__
        causes.append(str(error))
    return "".join(f"\n  {cause}" for cause in causes)
