"""The OpenAPI description: valid, served, and naming every route the app answers."""

from __future__ import annotations

import json
import re
import sys

import pytest
from openapi_spec_validator import validate

from comments_app.web.api import apidoc

from .. import contract

API_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def test_the_description_is_valid_openapi_3_1():
    description = apidoc.description()
    assert description["openapi"].startswith("3.1")
    validate(description)


def test_the_description_is_served_as_json_with_an_etag(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert json.loads(response.data) == apidoc.description()
    again = client.get("/api/openapi.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def described_operations() -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in apidoc.description()["paths"].items()
        for method in item
        if method.upper() in API_METHODS
    }


def test_every_route_of_the_api_is_described_and_nothing_else(app):
    routes = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", "{id}", rule.rule)
        if contract.is_api(path):
            routes |= {(method, path) for method in rule.methods & API_METHODS}
    assert routes == described_operations()


@pytest.mark.parametrize("path", ["/api/openapi.json", "/api/docs"])
def test_the_contract_needs_no_login(tmp_path, comments_file, path):
    from werkzeug.security import generate_password_hash

    from comments_app import create_app

    app = create_app(
        {
            "COMMENTS_FILE": str(comments_file),
            "COMMENTS_AUTH_USERS": {"ann": generate_password_hash("pw")},
            "PUBLIC_FOLDER": str(tmp_path),
        }
    )
    (tmp_path / "docs.html").write_text("<!doctype html><title>docs</title>")
    assert app.test_client().get(path).status_code == 200


@pytest.mark.parametrize("field", ["author", "text"])
def test_the_described_characters_are_the_ones_the_server_takes(field):
    """Every code point, between two letters: the description and validation.py agree."""
    from comments_app.model.validation import LIMITS, clean_fields

    pattern = re.compile(apidoc.description()["components"]["schemas"][field.title()]["pattern"])
    # The field alone, as clean_comment checks it (the other field's check adds nothing here).
    limits = {field: LIMITS[field]}
    disagree = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if bool(clean_fields({field: f"a{chr(code)}b"}, limits)[1]) == bool(pattern.search(f"a{chr(code)}b"))
    ]
    assert disagree == []
