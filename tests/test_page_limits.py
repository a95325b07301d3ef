"""The page meets the abuse limits, in a real Chromium against a real gunicorn."""

from __future__ import annotations

import json

from .test_page import browser, open_page, post_through_form  # noqa: F401 - fixtures


def test_a_429_says_when_to_try_again_and_keeps_the_text(start_server, comments_file, open_page):  # noqa: F811
    server = start_server(workers=4, COMMENTS_FILE=str(comments_file), COMMENTS_RATE_LIMIT="1/minute")
    page = open_page(server).page
    page.get_by_text("No comments yet").wait_for()
    post_through_form(page, "Ann", "First, allowed")
    page.locator(".comment-text", has_text="First, allowed").wait_for()
    page.wait_for_function("document.querySelector('textarea').value === ''")
    post_through_form(page, "Ann", "Second, *too soon*")
    alert = page.get_by_role("alert")
    alert.wait_for()
    message = alert.inner_text()
    assert "too many comments" in message
    assert "try again in" in message and "You can post again at" in message
    assert page.get_by_label("Comment").input_value() == "Second, *too soon*"
    assert page.locator(".comment").count() == 1
    assert len(json.loads(comments_file.read_text())) == 1


def test_a_post_whose_answer_is_lost_is_retried_and_stored_once(start_server, comments_file, open_page):  # noqa: F811
    server = start_server(workers=4, COMMENTS_FILE=str(comments_file))
    watched = open_page(server)
    page = watched.page
    page.get_by_text("No comments yet").wait_for()
    keys: list[str] = []

    def lose_the_first_answer(route):
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            route.fetch()  # the server stores the comment...
            route.abort("connectionreset")  # ...and the answer never arrives
        else:
            route.continue_()

    page.route(
        "**/api/comments",
        lambda route: lose_the_first_answer(route) if route.request.method == "POST" else route.continue_(),
    )
    post_through_form(page, "Ann", "Only once, please")
    page.locator(".comment-text", has_text="Only once, please").wait_for()
    page.wait_for_function("document.querySelector('textarea').value === ''")
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    assert [c["text"] for c in json.loads(comments_file.read_text())] == ["Only once, please"]
    # The next submission has a key of its own.
    post_through_form(page, "Ann", "A second one")
    page.locator(".comment-text", has_text="A second one").wait_for()
    assert len(keys) == 3 and keys[2] != keys[0]


def test_the_honeypot_is_out_of_sight_and_out_of_reach(start_server, comments_file, open_page):  # noqa: F811
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    page = open_page(server).page
    page.get_by_text("No comments yet").wait_for()
    trap = page.locator('input[name="website"]')
    box = trap.bounding_box()
    assert box is None or box["x"] + box["width"] <= 0
    # Not in the accessibility tree, not reachable by Tab.
    assert page.get_by_role("textbox", name="Leave this empty").count() == 0
    page.get_by_label("Comment").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") != "website"
    post_through_form(page, "Ann", "A person")
    page.locator(".comment-text", has_text="A person").wait_for()
    page.wait_for_function("document.querySelector('textarea').value === ''")
    assert "website" not in json.loads(comments_file.read_text())[0]
