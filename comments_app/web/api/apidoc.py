"""The API's contract: GET /api/openapi.json, from openapi.yaml, and the /api/docs page.

The description is a YAML file beside the code rather than generated from the
handlers: they stay as small as they are, and the tests check every answer they
receive against it, so it cannot drift from what the API does.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import yaml
from flask import Blueprint, current_app, request

from ..pages import send_public

bp = Blueprint("apidoc", __name__)

DESCRIPTION = Path(__file__).with_name("openapi.yaml")


@functools.cache
def description() -> dict:
    """Return the OpenAPI description as a dict."""
    with DESCRIPTION.open("rb") as file:
        return yaml.safe_load(file)


@functools.cache
def description_json() -> tuple[bytes, str]:
    """Return the description's JSON bytes and their ETag, made once per process."""
    body = json.dumps(description(), ensure_ascii=False, indent=1).encode()
    return body, hashlib.sha256(body).hexdigest()[:20]


@bp.get("/api/openapi.json")
def openapi_json():
    body, etag = description_json()
    if request.if_none_match.contains(etag):
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(body, content_type="application/json")
    response.set_etag(etag)
    return response


@bp.get("/api/docs")
def docs():
    return send_public("docs.html")
