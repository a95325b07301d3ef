"""The page checked by axe-core (from ui/node_modules, pinned in ui/package-lock.json) in Chromium."""

from __future__ import annotations

import json

import pytest
import requests

from . import test_page as page_tests
from .conftest import ROOT, require
from .test_page import post_through_form, seed

# The browser fixtures of the page's tests, shared.
browser = page_tests.browser
open_page = page_tests.open_page

AXE = ROOT / "ui" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now; return its serious and critical violations."""
    require(AXE.is_file(), "the accessibility test needs axe-core: cd ui && npm ci")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["html"][:120] for node in violation["nodes"][:3]],
        }
        for violation in result["violations"]
        if violation["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_page_has_no_serious_accessibility_violations(start_server, comments_file, open_page, color_scheme):
    seed(
        comments_file,
        [
            {"id": 1, "author": "Pete", "text": "A [link](https://example.com), `code` and *emphasis*."},
            {"id": 2, "author": "Paul", "text": "> quoted\n\n- a list\n- of things"},
        ],
    )
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    watched = open_page(server, color_scheme=color_scheme)
    page = watched.page
    page.get_by_text("quoted").wait_for()
    assert axe_violations(page) == [], json.dumps(axe_violations(page), indent=1)

    # The form showing its errors, and a new comment from someone else announced.
    page.get_by_role("button", name="Post").click()
    page.get_by_role("alert").first.wait_for()
    requests.post(server.url + "/api/comments", data={"author": "Someone", "text": "Hello"})
    live = page.locator("[aria-live='polite']")
    live.filter(has_text="New comment from Someone.").wait_for()
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)


def test_empty_box_and_pending_comment_have_no_serious_violations(start_server, comments_file, open_page):
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    page = open_page(server).page
    page.get_by_text("No comments yet").wait_for()
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)
    post_through_form(page, "Ann", "Mine")
    page.locator(".comment-text", has_text="Mine").wait_for()
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)
