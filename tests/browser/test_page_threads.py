"""The page of one thread in a real Chromium (issue 20): replies nested under their parent,
a removed comment's place kept, a reply posted through its form, a closed thread."""

from __future__ import annotations

import base64
import json

import requests
from playwright.sync_api import expect
from werkzeug.security import generate_password_hash

# open_page is test_page.py's fixture: imported, it serves this module too.
from .test_page import axe_violations, open_page  # noqa: F401

MOD = {"Authorization": "Basic " + base64.b64encode(b"mod:mod-pw").decode()}


def post(server, thread: str, author: str, text: str, parent: int | None = None) -> dict:
    body = {"author": author, "text": text, "thread": thread}
    if parent is not None:
        body["parent"] = parent
    response = requests.post(f"{server.url}/api/comments", json=body, headers={"Prefer": "return=minimal"})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_threads_page_nests_replies_keeps_removed_places_and_posts_replies(
    start_server,
    comments_file,
    open_page,  # noqa: F811
):
    server = start_server(
        workers=2,
        COMMENTS_FILE=str(comments_file),
        COMMENTS_ADMIN_USERS=f"mod:{generate_password_hash('mod-pw')}",
    )
    top = post(server, "/blog/post/", "Ann", "The first word")
    gone = post(server, "/blog/post/", "Bob", "Soon removed", parent=top["id"])
    post(server, "/blog/post/", "Cy", "Answering Bob", parent=gone["id"])
    post(server, "/other/", "Dee", "Not on this page")
    assert requests.delete(f"{server.url}/api/comments/{gone['id']}", headers=MOD).status_code == 204

    watched = open_page(server, bypass_csp=True)
    page = watched.page
    page.goto(f"{server.url}/?thread=/blog/post/")
    page.locator(".comment-text", has_text="Answering Bob").wait_for()
    assert page.get_by_text("Not on this page").count() == 0
    assert page.get_by_text("Soon removed").count() == 0
    removed = page.locator(f"#comment-{gone['id']}")
    assert "comment removed" in removed.inner_text()
    # Nested: Cy's reply sits inside Ann's comment's list of replies, under the placeholder.
    nested = page.locator(
        f"li:has(> #comment-{top['id']}) li:has(> #comment-{gone['id']}) #comment-{gone['id'] + 1}"
    )
    assert nested.count() == 1
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)

    # A reply through its own form: posted with its parent and the page's thread.
    ann = page.locator(f"#comment-{top['id']}")
    ann.get_by_role("button", name="Reply").first.click()
    page.get_by_label("Your name").fill("Eve")
    page.get_by_label("Your reply").fill("A reply from the page")
    page.get_by_role("button", name="Post reply").click()
    page.locator(".comment-text", has_text="A reply from the page").wait_for()
    expect(page.get_by_label("Your reply")).to_have_count(0)  # the form closes once posted
    stored = requests.get(f"{server.url}/api/comments?thread=/blog/post/").json()
    assert stored[-1]["text"] == "A reply from the page" and stored[-1]["parent"] == top["id"]
    assert stored[-1]["thread"] == "/blog/post/"
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)

    # Closed by a moderator: the page says so and offers no form.
    closed = requests.patch(
        f"{server.url}/api/threads", json={"thread": "/blog/post/", "closed": True}, headers=MOD
    )
    assert closed.json()["closed"] is True
    page.reload()
    page.get_by_text("This thread is closed").first.wait_for()
    assert page.get_by_role("button", name="Reply").count() == 0
    assert watched.errors == []
