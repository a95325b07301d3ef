"""The page's form and an author's email (issue 23): a real Chromium against a real gunicorn."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

from comments_app import create_app
from comments_app.state import app_state
from comments_app.stores.private import Contact

# open_page is test_page.py's fixture: imported, it serves this module too.
from .test_page import axe_violations, open_page  # noqa: F401

ADDRESS = "ann@example.org"


def test_the_form_sends_the_email_to_be_kept_privately_and_says_when_it_is_refused(
    start_server,
    comments_file,
    open_page,  # noqa: F811
):
    server = start_server(workers=1, COMMENTS_FILE=str(comments_file))
    # bypass_csp: axe-core is injected as an inline script, which the page's CSP refuses.
    watched = open_page(server, bypass_csp=True)
    page = watched.page
    page.get_by_text("No comments yet").wait_for()
    page.get_by_label("Name").fill("Ann")
    page.get_by_label("Comment").fill("Tell me of replies")
    email = page.get_by_label("Email", exact=True)
    choice = page.get_by_label("Email me when someone replies")
    expect(choice).to_be_disabled()

    # An address the page lets through and the server refuses: said beside the field.
    email.fill("ann@-bad-.example")
    with page.expect_response(lambda r: r.request.method == "POST") as refused:
        page.get_by_role("button", name="Post").click()
    assert refused.value.status == 400
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(re.compile(r"^email is not an email address.* Optional\."))
    assert page.locator(".comment").count() == 0
    assert axe_violations(page) == []

    email.fill(ADDRESS)
    choice.check()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Post").click()
    assert posted.value.status == 201
    sent = posted.value.request.post_data_json
    assert sent == {"author": "Ann", "text": "Tell me of replies", "email": ADDRESS, "notify_replies": True}
    page.locator(".comment:not(.pending) .comment-text", has_text="Tell me of replies").wait_for()
    expect(email).to_have_value(ADDRESS)
    expect(page.get_by_label("Comment")).to_have_value("")

    # Kept privately, never in the public list or the thread's file.
    listed = requests.get(server.url + "/api/comments", timeout=10)
    [comment] = listed.json()
    assert ADDRESS not in listed.text
    assert ADDRESS.encode() not in comments_file.read_bytes()
    app = create_app({"COMMENTS_FILE": str(comments_file)})
    assert app_state(app).store.private.contacts([comment["id"]]) == {comment["id"]: Contact(ADDRESS, True)}
    # The refused post is the one console error (Chromium logs every 4xx answer).
    assert [error for error in watched.errors if "status of 400" not in error] == []
