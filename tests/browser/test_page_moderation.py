"""The page's author edits and the /moderate view, in a real Chromium against a real gunicorn."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from werkzeug.security import generate_password_hash

from ..conftest import ROOT, require
from .test_page import ARTIFACTS, REPORT_CSP_VIOLATIONS, Watched, post_through_form, seed

MODERATOR = ("mod", "mod-pw")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True}


@pytest.fixture
def visit(browser):
    """visit(server, path="/", **context options) -> a Watched page in a context of its own.

    Fails the test at its end if any page it opened saw a Content-Security-Policy violation.
    """
    require((ROOT / "public" / "moderate.html").is_file(), "browser tests need the built pages: make ui")
    contexts = []
    pages: list[Watched] = []

    def visit(server, path: str = "/", **context_options) -> Watched:
        context = browser.new_context(**context_options)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        contexts.append(context)
        watched = Watched(context, server.url)
        pages.append(watched)
        watched.page.goto(server.url + path)
        return watched

    yield visit
    violations = [text for watched in pages for text in watched.csp_violations]
    for context in contexts:
        context.close()
    assert violations == [], "Content-Security-Policy violations"


def moderated_server(start_server, comments_file, **settings):
    users = f"{MODERATOR[0]}:{generate_password_hash(MODERATOR[1])}"
    return start_server(workers=4, COMMENTS_FILE=str(comments_file), COMMENTS_ADMIN_USERS=users, **settings)


def stored(comments_file) -> list[dict]:
    return json.loads(comments_file.read_bytes())


def as_moderator() -> dict:
    return {"http_credentials": {"username": MODERATOR[0], "password": MODERATOR[1]}}


def article(page, text: str):
    return page.locator("article", has=page.locator(".comment-text", has_text=text))


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name


def test_author_edits_and_deletes_their_comment_and_no_other(start_server, comments_file, visit):
    seed(comments_file, [{"id": 1, "author": "Pete", "text": "Not yours"}])
    server = moderated_server(start_server, comments_file)
    watched = visit(server, viewport=DESKTOP)
    page = watched.page
    page.get_by_text("Not yours").wait_for()
    post_through_form(page, "Ann", "Teh first draft")
    mine = article(page, "Teh first draft")
    mine.get_by_role("button", name="Edit").wait_for()
    assert article(page, "Not yours").get_by_role("button").all_inner_texts() == ["Reply"]

    # Edit in place: the text field has focus, Ctrl+Enter saves, the list changes at once.
    mine.get_by_role("button", name="Edit").click()
    field = page.get_by_label("Your comment")
    # Focus lands once the form has rendered: Preact runs effects after the paint.
    expect(field).to_be_focused()
    field.fill("The *first* draft")
    shot(page, "page-editing.png")
    field.press("Control+Enter")
    mine = article(page, "The first draft")
    mine.locator("em", has_text="first").wait_for()
    mine.get_by_text("(edited)").wait_for()
    expect(mine.get_by_role("button", name="Edit")).to_be_focused()
    assert page.locator("[aria-live]").last.inner_text() == "Your comment was changed."
    [_, ann] = stored(comments_file)
    assert (ann["text"], "edited" in ann) == ("The *first* draft", True)

    # Escape cancels an edit and changes nothing.
    mine.get_by_role("button", name="Edit").click()
    page.get_by_label("Your comment").fill("never saved")
    page.get_by_label("Your comment").press("Escape")
    mine.get_by_role("button", name="Edit").wait_for()
    assert "never saved" not in comments_file.read_text()

    # The token survives a reload; another browser gets no buttons but Reply, one a comment.
    page.reload()
    article(page, "The first draft").get_by_role("button", name="Edit").wait_for()
    stranger = visit(server).page
    stranger.get_by_text("The first draft").wait_for()
    assert stranger.locator(".comment-list button").all_inner_texts() == ["Reply", "Reply"]

    # Delete asks first; then the comment is gone from the page and its words from the store.
    mine = article(page, "The first draft")
    mine.get_by_role("button", name="Delete").click()
    mine.get_by_role("button", name="Keep").wait_for()
    assert "The *first* draft" in comments_file.read_text()
    mine.get_by_role("group", name="Delete this comment?").get_by_role("button", name="Delete").click()
    mine.wait_for(state="detached")
    expect(article(page, "Not yours")).to_be_focused()
    assert page.locator("[aria-live]").last.inner_text() == "Your comment was deleted."
    assert "draft" not in comments_file.read_text()
    stranger.get_by_text("The first draft").wait_for(state="detached")
    assert watched.errors == []
    assert watched.foreign_requests() == []


def test_a_moderator_hides_a_comment_and_it_leaves_an_open_page(start_server, comments_file, visit):
    seed(
        comments_file,
        [
            {"id": 1, "author": "Pete", "text": "Kind *words*", "created": "2026-11-24T12:00:00.000Z"},
            {"id": 2, "author": "Troll", "text": "Rude words", "created": "2026-11-24T12:01:00.000Z"},
        ],
    )
    server = moderated_server(start_server, comments_file)
    reader = visit(server).page
    reader.get_by_text("Rude words").wait_for()

    moderator = visit(server, "/moderate", viewport=DESKTOP, **as_moderator())
    page = moderator.page
    assert page.title() == "Moderation · Comments"
    rude = article(page, "Rude words")
    rude.get_by_text("Published").wait_for()
    assert article(page, "Kind words").locator("em").inner_text() == "words"
    rude.get_by_role("button", name="Hide").click()
    rude.get_by_text("Hidden").wait_for()
    assert rude.get_by_role("button", name="Publish").is_visible()
    shot(page, "moderate.png")

    # The other page drops it at its next poll; the store keeps it, hidden.
    reader.get_by_text("Rude words").wait_for(state="detached")
    assert [c["text"] for c in reader.evaluate("fetch('/api/comments').then(r => r.json())")] == [
        "Kind *words*"
    ]

    # Filtering asks the server for one status only.
    page.get_by_label("Show").select_option("hidden")
    page.get_by_text("1 comment (hidden)").wait_for()
    assert page.locator(".comment-text").all_inner_texts() == ["Rude words"]
    assert page.url.endswith("/moderate?status=hidden")

    # Publishing brings it back to the reader; Delete, confirmed, removes it for good.
    article(page, "Rude words").get_by_role("button", name="Publish").click()
    page.get_by_text("0 comments (hidden)").wait_for()
    reader.get_by_text("Rude words").wait_for()
    page.get_by_label("Show").select_option("")
    rude = article(page, "Rude words")
    rude.get_by_role("button", name="Delete").click()
    rude.get_by_role("group", name="Delete this comment?").get_by_role("button", name="Delete").click()
    rude.wait_for(state="detached")
    reader.get_by_text("Rude words").wait_for(state="detached")
    assert "Rude words" not in comments_file.read_text()
    assert moderator.errors == []
    assert moderator.foreign_requests() == []

    phone = visit(server, "/moderate", **PHONE, **as_moderator()).page
    phone.get_by_text("Kind words").wait_for()
    shot(phone, "moderate-phone.png")


@pytest.mark.parametrize(
    "login", [("reader", "reader-pw"), (MODERATOR[0], "wrong")], ids=["a reader's login", "a wrong password"]
)
def test_moderate_needs_a_moderator(start_server, comments_file, visit, login):
    seed(comments_file, [{"id": 1, "author": "Pete", "text": "Members only"}])
    readers = f"reader:{generate_password_hash('reader-pw')}"
    server = moderated_server(start_server, comments_file, COMMENTS_AUTH_USERS=readers)
    # Chromium tries the credentials once, then gives the page the 401, as it
    # does when a person cancels the login prompt.
    page = visit(server, "/moderate", http_credentials={"username": login[0], "password": login[1]}).page
    page.get_by_role("alert").wait_for()
    assert "needs a moderator’s login" in page.get_by_role("alert").inner_text()
    assert page.locator(".comment").count() == 0


def test_pre_moderation_shows_the_author_a_pending_note(start_server, comments_file, visit):
    server = moderated_server(start_server, comments_file, COMMENTS_MODERATION="pre")
    watched = visit(server, viewport=DESKTOP)
    page = watched.page
    page.get_by_text("No comments yet").wait_for()
    other = visit(server).page
    other.get_by_text("No comments yet").wait_for()

    post_through_form(page, "Ann", "Held for **review**")
    held = article(page, "Held for review")
    held.get_by_text("Awaiting approval").wait_for()
    held.get_by_text("Only you can see this comment").wait_for()
    assert "once a moderator approves it" in page.locator("[aria-live]").last.inner_text()
    [record] = stored(comments_file)
    assert record["status"] == "pending"
    shot(page, "page-pending.png")

    # Still shown to its author after a reload; never to anyone else.
    page.reload()
    article(page, "Held for review").get_by_text("Awaiting approval").wait_for()
    other.reload()
    other.get_by_text("No comments yet").wait_for()

    # Published in /moderate: the note goes, and everyone sees it.
    moderation = visit(server, "/moderate?status=pending", **as_moderator()).page
    article(moderation, "Held for review").get_by_role("button", name="Publish").click()
    moderation.get_by_text("0 comments (pending)").wait_for()
    article(page, "Held for review").get_by_text("Awaiting approval").wait_for(state="detached")
    assert page.locator(".comment").count() == 1
    other.get_by_text("Held for review").wait_for()
    assert watched.errors == []

    phone = visit(server, **PHONE).page
    phone.get_by_text("Held for review").wait_for()
    post_through_form(phone, "Kim", "From a phone, *held*")
    article(phone, "From a phone, held").get_by_text("Awaiting approval").wait_for()
    shot(phone, "page-pending-phone.png")
