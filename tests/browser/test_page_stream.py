"""The page following the server's event stream (issue 21) in a real Chromium against a real
gunicorn: a comment posted elsewhere shows within a second with no poll (on the page and in
the framed widget), a reconnect misses and doubles nothing, and a refused stream leaves the
page polling. (The hook's rules, timer by timer: ui/src/stream.test.jsx.)"""

from __future__ import annotations

import os
import signal
import time
from urllib.parse import quote

import pytest
import requests
from playwright.sync_api import expect

# open_page is test_page.py's fixture: imported, it serves this module too.
from .test_page import open_page  # noqa: F401

EVENTS = "/api/comments/events"


@pytest.fixture(scope="module")
def server(start_shared_server, tmp_path_factory):
    """One server for the module's tests, each on a thread of its own."""
    folder = tmp_path_factory.mktemp("stream-page")
    return start_shared_server(workers=2, COMMENTS_FILE=str(folder / "comments.json"))


def visit(open_page, server, thread: str, fake_clock: bool = False, page: str = "/?"):  # noqa: F811
    """Open the page of thread (page: the widget's "/embed?lang=de&"; fake_clock: with
    Playwright's clock, moved on by the test); return it once its stream has answered.
    (Waited for with Playwright: its events reach the test only while it waits.)"""
    watched = open_page(server)
    if fake_clock:
        watched.page.clock.install()
    named = f"thread={quote(thread, safe='')}"
    with watched.page.expect_response(lambda r: EVENTS in r.url and named in r.url) as stream:
        watched.page.goto(f"{server.url}{page}thread={thread}")
    assert stream.value.status == 200
    return watched


def post(server, thread: str, text: str) -> dict:
    answer = requests.post(
        f"{server.url}/api/comments", json={"author": "Elsewhere", "text": text, "thread": thread}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def errors_but_refusals(watched) -> list[str]:
    """The page's console errors, but the browser's own line for a stream answered 503."""
    return [error for error in watched.errors if "status of 503" not in error]


def polls(watched) -> list[str]:
    return [url for url in watched.requests if "/api/comments?since=" in url]


def test_a_comment_posted_elsewhere_shows_within_a_second_with_no_poll(server, open_page):  # noqa: F811
    watched = visit(open_page, server, "/pushed/", fake_clock=True)
    page = watched.page
    for text in ["pushed to the page", "and again a minute later"]:
        posted_at = time.monotonic()
        post(server, "/pushed/", text)
        page.locator(".comment-text", has_text=text).wait_for(timeout=5000)
        assert time.monotonic() - posted_at < 1
        expect(page.locator("[aria-live]")).to_have_text("New comment from Elsewhere.")
        # A minute of the page's timers: a polling page would have asked 30 times.
        page.clock.run_for(60_000)
    assert polls(watched) == []
    assert watched.errors == []


def test_the_framed_widget_follows_the_stream_too_and_announces_in_its_language(server, open_page):  # noqa: F811
    watched = visit(open_page, server, "/framed/", page="/embed?lang=de&")
    page = watched.page
    post(server, "/framed/", "in the widget")
    page.locator(".comment-text", has_text="in the widget").wait_for(timeout=5000)
    expect(page.locator("[aria-live]")).to_have_text("Neuer Kommentar von Elsewhere.")
    assert polls(watched) == []
    # Opened alone, not framed, the widget's page gets Chromium's own ask for /favicon.ico
    # (widget.html names no icon: a frame needs none), a 404; nothing else went wrong.
    assert [error for error in watched.errors if "status of 404" not in error] == []


def test_a_reconnect_resumes_without_missing_or_doubling_a_comment(server, open_page):  # noqa: F811
    watched = visit(open_page, server, "/resumed/")
    page = watched.page
    post(server, "/resumed/", "before the restart")
    page.locator(".comment-text", has_text="before the restart").wait_for()
    # A graceful restart of every worker (as a deploy does): each stream ends. The browser
    # reconnects by itself with Last-Event-ID; a stopping worker that still takes it answers
    # 503, which EventSource takes as final: then the page polls once and follows again
    # from the version it holds. Either way the comment posted meanwhile comes once.
    with page.expect_response(lambda r: EVENTS in r.url and r.status == 200, timeout=15_000) as again:
        os.kill(server.process.pid, signal.SIGHUP)
        post(server, "/resumed/", "during the restart")
        expect(page.locator(".comment-text", has_text="during the restart")).to_have_count(1, timeout=15_000)
    resumed = again.value.request
    assert "last-event-id" in resumed.all_headers() or "since=0-0" not in resumed.url
    polled = len(polls(watched))
    post(server, "/resumed/", "after the restart")
    page.locator(".comment-text", has_text="after the restart").wait_for(timeout=5000)
    texts = page.locator(".comment-text").all_inner_texts()
    assert sorted(texts) == ["after the restart", "before the restart", "during the restart"]
    # Resumed, not reloaded (one page of comments asked for), and on the stream again.
    assert len([url for url in watched.requests if "/api/comments?limit=" in url and "resumed" in url]) == 1
    assert len(polls(watched)) == polled
    expect(page.get_by_text("Reconnecting")).to_have_count(0)
    assert errors_but_refusals(watched) == []


def test_a_refused_stream_leaves_the_page_polling(start_server, tmp_path, open_page):  # noqa: F811
    refusing = start_server(
        workers=1, COMMENTS_FILE=str(tmp_path / "comments.json"), COMMENTS_STREAM_LIMIT="0"
    )
    watched = open_page(refusing)
    page = watched.page
    with (
        page.expect_request(lambda r: "/api/comments?since=" in r.url and "polled" in r.url),
        page.expect_response(lambda r: EVENTS in r.url and "polled" in r.url) as stream,
    ):
        page.goto(f"{refusing.url}/?thread=/polled/")
    assert stream.value.status == 503
    post(refusing, "/polled/", "brought by a poll")
    page.locator(".comment-text", has_text="brought by a poll").wait_for(timeout=10_000)
    expect(page.get_by_text("Reconnecting")).to_have_count(0)
    assert errors_but_refusals(watched) == []
