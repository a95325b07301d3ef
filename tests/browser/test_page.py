"""The comment box page in a real Chromium against a real gunicorn."""

from __future__ import annotations

import html
import http.server
import json
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from playwright.sync_api import expect
from werkzeug.security import generate_password_hash

from ..conftest import ROOT, require
from ..unit import test_openapi

ARTIFACTS = ROOT / "tests" / "artifacts"
HOSTILE = [
    '<img src=x onerror="window.__pwned = 1; alert(1)">',
    "<script>window.__pwned = 1; alert(1)</script>",
    "[click me](javascript:window.__pwned=1;alert(1))",
    '<a href="javascript:window.__pwned=1;alert(1)">and me</a>',
    '<svg onload="window.__pwned = 1; alert(1)"><circle r="9"/></svg>',
]
# Texts that once made the Markdown renderer overflow its stack and blank the page
# for every visitor (the same set as ui/src/test-fixtures.js).
PATHOLOGICAL = [
    "- " * 2000 + "a",
    ">" * 1875,
    "1. " * 2000,
    "> - " * 1000,
    "> " * 4999,
    "*" * 5000 + "a" + "*" * 4999,
]


# Every page reports each Content-Security-Policy violation to the console, where Watched
# records it; open_page fails the test at its end if any was seen. (So wait with locators
# and expect(), not page.wait_for_function("…"): its polling evals the string in the page,
# which the policy's script-src 'self' refuses.)
REPORT_CSP_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
});
"""


def is_csp_violation(text: str) -> bool:
    return text.startswith("CSP violation:") or "Content Security Policy" in text


class Watched:
    """A page whose console errors, CSP violations, dialogs and requests are recorded."""

    def __init__(self, context, origin: str) -> None:
        self.page = context.new_page()
        self.origin = origin
        self.errors: list[str] = []
        self.csp_violations: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.responses: list[tuple[str, str, int]] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("response", lambda r: self.responses.append((r.request.method, r.url, r.status)))

    def _console(self, message) -> None:
        if is_csp_violation(message.text):
            self.csp_violations.append(message.text)
        if message.type == "error":
            self.errors.append(message.text)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(self.origin + "/") and url != self.origin]


@pytest.fixture
def open_page(browser):
    """open_page(server, **context_options) -> a Watched page showing the server's /.

    Fails the test at its end if any page it opened saw a CSP violation.
    """
    contexts = []
    watched_pages: list[Watched] = []

    def open_page(server, **context_options) -> Watched:
        context = browser.new_context(**context_options)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        contexts.append(context)
        watched = Watched(context, server.url)
        watched_pages.append(watched)
        watched.page.goto(server.url + "/")
        return watched

    yield open_page
    violations = [text for watched in watched_pages for text in watched.csp_violations]
    for context in contexts:
        context.close()
    assert violations == [], "Content-Security-Policy violations"


@pytest.fixture
def empty_box(start_server, comments_file, open_page):
    """A server with no comments and a page showing its empty box: (server, watched page)."""
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    watched = open_page(server)
    watched.page.get_by_text("No comments yet").wait_for()
    return server, watched


def seed(path: Path, comments: list[dict]) -> None:
    path.write_text(json.dumps(comments))


def post_through_form(page, name: str, text: str) -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Comment").fill(text)
    page.get_by_role("button", name="Post").click()


def comment_texts(page) -> list[str]:
    return page.locator(".comment-text").all_inner_texts()


def test_page_lists_stored_comments(start_server, comments_file, open_page):
    seed(
        comments_file,
        [
            {"id": 1, "author": "Pete Hunt", "text": "Hey there!", "created": "2026-11-24T12:00:00.000Z"},
            {"id": 2, "author": "Paul", "text": "React is *great*!"},
        ],
    )
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    watched = open_page(server)
    page = watched.page
    page.get_by_text("Hey there!").wait_for()
    assert page.title() == "Comments"
    assert comment_texts(page) == ["Hey there!", "React is great!"]
    assert page.locator(".comment-text em").inner_text() == "great"
    assert page.locator("time").get_attribute("datetime") == "2026-11-24T12:00:00.000Z"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page.png"), full_page=True)
    assert watched.errors == []
    assert watched.foreign_requests() == []
    assert (ARTIFACTS / "page.png").stat().st_size > 0


def test_posting_through_the_form_shows_and_stores_the_comment(empty_box, comments_file):
    _server, watched = empty_box
    page = watched.page
    post_through_form(page, "Ann", "Posted from **Chromium**")
    page.locator(".comment-text strong", has_text="Chromium").wait_for()
    expect(page.get_by_label("Comment")).to_have_value("")
    assert page.get_by_label("Name").input_value() == "Ann"
    [stored] = json.loads(comments_file.read_bytes())
    assert (stored["author"], stored["text"]) == ("Ann", "Posted from **Chromium**")
    # Ctrl+Enter posts too.
    page.get_by_label("Comment").fill("Second, by keyboard")
    page.get_by_label("Comment").press("Control+Enter")
    page.locator(".comment-text", has_text="Second, by keyboard").wait_for()
    # The name is remembered across visits.
    page.reload()
    page.locator(".comment-text", has_text="Second, by keyboard").wait_for()
    assert page.get_by_label("Name").input_value() == "Ann"
    assert len(json.loads(comments_file.read_bytes())) == 2
    assert watched.errors == []
    assert watched.foreign_requests() == []


def test_comment_from_someone_else_appears_without_reload(empty_box, comments_file):
    server, watched = empty_box
    page = watched.page
    page.get_by_label("Comment").fill("half-typed draft")
    # The page follows the thread's event stream (its polling: test_page_stream.py).
    if not any("/api/comments/events" in url for _, url, _ in watched.responses):
        page.wait_for_event("response", lambda r: "/api/comments/events" in r.url, timeout=10_000)
    posted_at = time.monotonic()
    requests.post(server.url + "/api/comments", data={"author": "Someone", "text": "Hello from curl"})
    page.get_by_text("Hello from curl").wait_for(timeout=5000)
    assert time.monotonic() - posted_at < 5
    assert page.get_by_label("Comment").input_value() == "half-typed draft"
    assert page.locator("[aria-live]").inner_text() == "New comment from Someone."
    assert watched.errors == []


def test_hostile_comments_are_inert(start_server, comments_file, open_page):
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    for text in HOSTILE:
        response = requests.post(
            server.url + "/api/comments", data={"author": "<b onmouseover=alert(1)>x</b>", "text": text}
        )
        assert response.status_code == 201
    watched = open_page(server)
    page = watched.page
    page.locator(".comment").nth(len(HOSTILE) - 1).wait_for()
    # Whatever the comments could load or run has had its chance once the network is quiet.
    page.wait_for_load_state("networkidle")
    for link in page.locator(".comment-text a").all():
        link.click()
    page.locator(".comment-author").first.hover()
    page.wait_for_load_state("networkidle")
    assert watched.dialogs == []
    assert page.evaluate("window.__pwned") is None
    box = page.locator(".comment-list")
    assert box.locator("script, img, svg, iframe").count() == 0
    assert box.locator("[onerror], [onload], [onclick], [onmouseover]").count() == 0
    hrefs = page.evaluate(
        "[...document.querySelectorAll('.comment-list a')].map(a => a.getAttribute('href'))"
    )
    assert not [href for href in hrefs if href and href.strip().lower().startswith("javascript:")]
    assert page.locator(".comment-author").first.inner_text() == "<b onmouseover=alert(1)>x</b>"
    assert watched.errors == []
    assert watched.foreign_requests() == []


@pytest.mark.parametrize("arrival", ["posted", "in the store file"])
def test_pathological_comments_leave_the_other_comments_and_the_form(
    arrival, start_server, comments_file, open_page
):
    before = {"id": 1, "author": "Ann", "text": "before"}
    after = {"id": 99, "author": "Bob", "text": "after"}
    pathological = [{"id": 2 + n, "author": "m", "text": text} for n, text in enumerate(PATHOLOGICAL)]
    if arrival == "posted":
        seed(comments_file, [before])
    else:
        seed(comments_file, [before, *pathological, after])
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    watched = open_page(server)
    page = watched.page
    page.get_by_text("before").wait_for()
    if arrival == "posted":
        # A tab already open meets them at its next poll.
        for item in [*pathological, after]:
            response = requests.post(
                server.url + "/api/comments", data={k: item[k] for k in ("author", "text")}
            )
            assert response.status_code == 201
    page.get_by_text("after", exact=True).wait_for()
    assert page.locator(".comment").count() == len(PATHOLOGICAL) + 2
    assert page.locator(".comment-author", has_text="m").count() == len(PATHOLOGICAL)
    post_through_form(page, "Cy", "the form still works")
    page.locator(".comment-text", has_text="the form still works").wait_for()
    assert watched.errors == []
    page.reload()
    page.locator(".comment-text", has_text="the form still works").wait_for()
    assert watched.errors == []


def test_page_renders_200_pathological_comments_within_a_second(start_server, comments_file, browser):
    seed(
        comments_file,
        [{"id": n, "author": f"m{n}", "text": PATHOLOGICAL[n % len(PATHOLOGICAL)]} for n in range(1, 201)],
    )
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    context = browser.new_context()
    try:
        page = context.new_page()
        # The main thread's CPU time, not the wall clock: the shared machine may be busy.
        devtools = context.new_cdp_session(page)
        devtools.send("Performance.enable", {"timeDomain": "threadTicks"})
        page.goto(server.url + "/")
        expect(page.locator(".comment")).to_have_count(50)
        for shown in (100, 150, 200):
            page.get_by_role("button", name="Older comments").click()
            expect(page.locator(".comment")).to_have_count(shown)
        metrics = {m["name"]: m["value"] for m in devtools.send("Performance.getMetrics")["metrics"]}
    finally:
        context.close()
    # Loading the page and rendering all 200 (4 pages), scripts, style and layout included.
    assert metrics["TaskDuration"] < 1.0, metrics


def test_empty_form_posts_nothing_and_says_why(empty_box, comments_file):
    _server, watched = empty_box
    page = watched.page
    page.get_by_role("button", name="Post").click()
    alerts = page.get_by_role("alert")
    alerts.first.wait_for()
    assert alerts.all_inner_texts() == ["Please enter your name.", "Please write a comment."]
    assert page.get_by_label("Name").get_attribute("aria-invalid") == "true"
    # A POST would have left at the click, before the alerts showed (the page polls no more:
    # it follows the event stream).
    assert not any(method == "POST" for method, _, _ in watched.responses)
    assert f"{watched.origin}/api/comments" not in watched.requests
    assert not comments_file.exists()
    assert watched.errors == []


def test_a_comment_submitted_twice_while_posting_is_stored_once(empty_box, comments_file):
    _server, watched = empty_box
    page = watched.page
    page.get_by_label("Name").fill("Ann")
    page.get_by_label("Comment").fill("only once")
    page.get_by_role("button", name="Post").dblclick()
    page.get_by_label("Comment").press("Control+Enter")
    page.locator(".comment-text", has_text="only once").wait_for()
    # Any second POST left with the clicks, before the first was answered.
    if not any(method == "POST" for method, _, _ in watched.responses):
        page.wait_for_event("response", lambda r: r.request.method == "POST")
    assert [method for method, _, _ in watched.responses].count("POST") == 1
    assert [c["text"] for c in json.loads(comments_file.read_bytes())] == ["only once"]
    assert page.locator(".comment").count() == 1


def test_links_in_comments_lead_only_to_web_pages_and_mail(start_server, comments_file, open_page):
    hrefs = {
        "https://react.dev/": "https://react.dev/",
        "http://example.com/": "http://example.com/",
        "mailto:ann@example.com": "mailto:ann@example.com",
        "ftp://files.example/x": None,
        "tel:+1555": None,
        "//evil.example/x": None,
        "/api/comments": None,
        "javascript:alert(1)": None,
        "data:text/html,hi": None,
    }
    text = "\n\n".join(f"[link {n}](<{href}>)" for n, href in enumerate(hrefs))
    seed(comments_file, [{"id": 1, "author": "Ann", "text": text}])
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    page = open_page(server).page
    page.locator(".comment").wait_for()
    shown = page.evaluate(
        """[...document.querySelectorAll('.comment-text p')]
            .map((p) => p.querySelector('a')?.getAttribute('href') ?? null)"""
    )
    assert shown == list(hrefs.values())


def test_server_refusal_is_shown_and_the_comment_rolled_back(empty_box, comments_file):
    _server, watched = empty_box
    page = watched.page
    # The page allows what the server refuses: a control character.
    post_through_form(page, "Ann", "bell \u0007 ring")
    page.get_by_role("alert").wait_for()
    assert "control characters" in page.get_by_role("alert").inner_text()
    assert page.locator(".comment").count() == 0
    assert page.get_by_label("Comment").input_value() == "bell \u0007 ring"
    assert not comments_file.exists()


def test_with_auth_a_logged_in_browser_reads_and_posts(start_server, comments_file, open_page):
    seed(comments_file, [{"id": 1, "author": "Pete", "text": "Members only"}])
    users = f"alice:{generate_password_hash('pw')}"
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file), COMMENTS_AUTH_USERS=users)
    watched = open_page(server, http_credentials={"username": "alice", "password": "pw"})
    page = watched.page
    page.get_by_text("Members only").wait_for()
    post_through_form(page, "Alice", "Logged in")
    page.locator(".comment:not(.pending) .comment-text", has_text="Logged in").wait_for()
    expect(page.locator(".comment.pending")).to_have_count(0)
    assert [c["text"] for c in json.loads(comments_file.read_bytes())] == ["Members only", "Logged in"]
    assert watched.errors == []


def test_after_a_refused_login_the_page_says_it_needs_one(start_server, comments_file, open_page):
    users = f"alice:{generate_password_hash('pw')}"
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file), COMMENTS_AUTH_USERS=users)
    # Wrong credentials: Chromium tries them once, then gives the page the 401,
    # as it does when a person cancels the login prompt.
    page = open_page(server, http_credentials={"username": "alice", "password": "wrong"}).page
    page.get_by_role("alert").wait_for()
    assert "needs a login" in page.get_by_role("alert").inner_text()


def test_page_fits_a_phone_and_works_by_keyboard(start_server, comments_file, open_page):
    seed(comments_file, [{"id": 1, "author": "Pete", "text": "A long line " * 40}])
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    watched = open_page(server, viewport={"width": 375, "height": 740}, is_mobile=True)
    page = watched.page
    page.get_by_text("Pete").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Tab reaches the comment's Reply, then the fields and the button, in order, with a
    # visible focus ring (the replies choice, disabled while the email is empty, is skipped).
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Reply"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "author"
    page.keyboard.type("Kim")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "text"
    page.keyboard.type("From a phone")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "email"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Post"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    page.locator(".comment:not(.pending) .comment-text", has_text="From a phone").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone.png"), full_page=True)
    assert watched.errors == []


@pytest.fixture
def embedder():
    """A site of another origin whose page at /?src=<url> shows that url in a frame: its origin."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            src = parse_qs(urlsplit(self.path).query).get("src")
            if src is None:  # the browser's favicon request
                self.send_response(204)
                self.end_headers()
                return
            body = (
                "<!doctype html><title>Blog</title>"
                f'<iframe src="{html.escape(src[0])}" width="600" height="600"></iframe>'
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def framing(site: str, url: str) -> str:
    return f"{site}/?src={quote(url, safe='')}"


def test_page_refuses_to_load_in_a_frame_of_another_origin(start_server, comments_file, browser, embedder):
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    context = browser.new_context()
    try:
        page = context.new_page()
        with page.expect_console_message(lambda m: "frame-ancestors 'none'" in m.text, timeout=15_000):
            page.goto(framing(embedder, server.url + "/"))
        [frame] = page.main_frame.child_frames
        assert not frame.url.startswith(server.url)
        assert frame.locator("form, .comment-box").count() == 0
    finally:
        context.close()


def test_a_site_named_in_frame_ancestors_may_frame_the_page(start_server, comments_file, browser, embedder):
    seed(comments_file, [{"id": 1, "author": "Pete", "text": "Framed hello"}])
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file), COMMENTS_FRAME_ANCESTORS=embedder)
    context = browser.new_context()
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    try:
        watched = Watched(context, server.url)
        watched.page.goto(framing(embedder, server.url + "/"))
        frame = watched.page.frame_locator("iframe")
        frame.get_by_text("Framed hello").wait_for()
        post_through_form(frame, "Ann", "Posted inside a frame")
        frame.locator(".comment:not(.pending) .comment-text", has_text="Posted inside a frame").wait_for()
        assert [c["text"] for c in json.loads(comments_file.read_bytes())] == [
            "Framed hello",
            "Posted inside a frame",
        ]
        assert watched.csp_violations == []
        assert watched.errors == []
    finally:
        context.close()


# The left edge, on screen, of the first occurrence of a string inside an element.
LEFT_OF = """([element, needle]) => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(needle);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + needle.length);
    return range.getBoundingClientRect().left;
  }
  return null;
}"""


def test_no_comment_can_reorder_the_page(start_server, comments_file, open_page):
    created = "2026-11-24T12:00:00.000Z"
    seed(
        comments_file,
        [
            {"id": 1, "author": "אבי כהן", "text": "שלום לכולם, 2 תגובות!", "created": created},
            # Straight into the store (POST refuses such a name): stray, unclosed bidi controls.
            {"id": 2, "author": "Mallory\u202e", "text": "\u202eevil \u2067unclosed", "created": created},
            {"id": 3, "author": "Bob", "text": "hello world", "created": created},
        ],
    )
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    watched = open_page(server)
    page = watched.page
    page.get_by_text("hello world").wait_for()
    comments = page.locator(".comment")
    # Each author and text takes the direction of its own first letter.
    texts = page.locator(".comment-text")
    authors = page.locator(".comment-author bdi")
    direction = "e => getComputedStyle(e).direction"
    assert [texts.nth(n).evaluate(direction) for n in range(3)] == ["rtl", "ltr", "ltr"]
    assert [authors.nth(n).evaluate(direction) for n in range(3)] == ["rtl", "ltr", "ltr"]
    # Around them the page keeps its order: name then time in every header, and the
    # comment after the stray controls reads left to right.
    for n in range(3):
        author_box = comments.nth(n).locator(".comment-author").bounding_box()
        time_box = comments.nth(n).locator("time").bounding_box()
        assert author_box["x"] + author_box["width"] <= time_box["x"], n
    bob = texts.nth(2).element_handle()
    assert page.evaluate(LEFT_OF, [bob, "hello"]) < page.evaluate(LEFT_OF, [bob, "world"])
    assert watched.errors == []


def test_the_page_asks_for_its_new_comment_alone(start_server, comments_file, open_page):
    seed(comments_file, [{"id": 1, "author": "Pete", "text": "Before"}])
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    watched = open_page(server)
    page = watched.page
    page.get_by_text("Before").wait_for()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        post_through_form(page, "Ann", "Minimal please")
    response = posted.value
    assert response.request.headers["prefer"] == "return=minimal"
    assert response.headers["preference-applied"] == "return=minimal"
    assert response.json()["text"] == "Minimal please"
    page.locator(".comment:not(.pending) .comment-text", has_text="Minimal please").wait_for()
    # The next poll brings what others wrote, without doubling ours.
    requests.post(server.url + "/api/comments", data={"author": "Someone", "text": "From curl"}, timeout=10)
    page.get_by_text("From curl").wait_for()
    assert comment_texts(page) == ["Before", "Minimal please", "From curl"]
    assert watched.errors == []


# Accessibility: axe-core from ui/node_modules (pinned in ui/package-lock.json), no CDN.

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
    # bypass_csp: axe-core is injected as an inline script, which the page's CSP refuses.
    watched = open_page(server, color_scheme=color_scheme, bypass_csp=True)
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
    page = open_page(server, bypass_csp=True).page
    page.get_by_text("No comments yet").wait_for()
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)
    post_through_form(page, "Ann", "Mine")
    page.locator(".comment-text", has_text="Mine").wait_for()
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)


# The page meets the abuse limits (issue 9).
def test_a_429_says_when_to_try_again_and_keeps_the_text(start_server, comments_file, open_page):
    server = start_server(workers=4, COMMENTS_FILE=str(comments_file), COMMENTS_RATE_LIMIT="1/minute")
    page = open_page(server).page
    page.get_by_text("No comments yet").wait_for()
    post_through_form(page, "Ann", "First, allowed")
    page.locator(".comment-text", has_text="First, allowed").wait_for()
    expect(page.get_by_label("Comment")).to_have_value("")
    post_through_form(page, "Ann", "Second, *too soon*")
    alert = page.get_by_role("alert")
    alert.wait_for()
    message = alert.inner_text()
    assert "too many comments" in message
    assert "try again in" in message and "You can post again at" in message
    assert page.get_by_label("Comment").input_value() == "Second, *too soon*"
    assert page.locator(".comment").count() == 1
    assert len(json.loads(comments_file.read_text())) == 1


def test_a_post_whose_answer_is_lost_is_retried_and_stored_once(start_server, comments_file, open_page):
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
    expect(page.get_by_label("Comment")).to_have_value("")
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    assert [c["text"] for c in json.loads(comments_file.read_text())] == ["Only once, please"]
    # The next submission has a key of its own.
    post_through_form(page, "Ann", "A second one")
    page.locator(".comment-text", has_text="A second one").wait_for()
    assert len(keys) == 3 and keys[2] != keys[0]


def test_the_honeypot_is_out_of_sight_and_out_of_reach(start_server, comments_file, open_page):
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
    expect(trap).not_to_be_focused()
    post_through_form(page, "Ann", "A person")
    page.locator(".comment-text", has_text="A person").wait_for()
    expect(page.get_by_label("Comment")).to_have_value("")
    assert "website" not in json.loads(comments_file.read_text())[0]


def test_the_reference_page_shows_every_operation(start_server, comments_file, open_page):
    server = start_server(workers=1, COMMENTS_FILE=str(comments_file))
    watched = open_page(server)
    watched.page.goto(server.url + "/api/docs")
    page = watched.page
    page.get_by_role("heading", name="Comment box API").wait_for()
    titles = page.locator(".doc-operation h3").all_inner_texts()
    assert {tuple(title.split(None, 1)) for title in titles} == test_openapi.described_operations()
    assert page.get_by_role("link", name="/api/openapi.json", exact=True).count() == 1
    # Markdown in descriptions is rendered, in tables and response lines too: no raw backticks.
    shown = page.locator("main").inner_text()
    assert "`" not in shown
    assert page.locator("td code", has_text="gzip").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"), full_page=False)
    assert watched.errors == []
    assert watched.foreign_requests() == []


def test_a_long_thread_opens_with_the_newest_50_and_follows_changes(start_server, comments_file, open_page):
    seed(
        comments_file,
        [{"id": n, "author": f"Author {n}", "text": f"comment {n}"} for n in range(1, 301)],
    )
    moderator = ("mod", "mod-secret")
    server = start_server(
        workers=4,
        COMMENTS_FILE=str(comments_file),
        COMMENTS_ADMIN_USERS=f"mod:{generate_password_hash(moderator[1])}",
    )
    watched = open_page(server)
    page = watched.page
    # The page as a browser without EventSource shows it: polling ?since= (the stream's own
    # test: test_page_stream.py).
    page.add_init_script("delete window.EventSource;")
    page.reload()
    since_bodies = []
    page.on("response", lambda r: since_bodies.append(r) if "/api/comments?since=" in r.url else None)
    expect(page.locator(".comment")).to_have_count(50)
    assert comment_texts(page)[0] == "comment 251" and comment_texts(page)[-1] == "comment 300"
    page.get_by_role("button", name="Older comments").click()
    expect(page.locator(".comment")).to_have_count(100)
    assert comment_texts(page)[0] == "comment 201"
    # A new comment arrives by ?since=, announced; a hidden one disappears.
    requests.post(server.url + "/api/comments", data={"author": "Newcomer", "text": "comment 301"})
    page.locator(".comment-text", has_text="comment 301").wait_for(timeout=10_000)
    assert page.locator("[aria-live]").inner_text() == "New comment from Newcomer."
    hidden = requests.patch(server.url + "/api/comments/290", json={"status": "hidden"}, auth=moderator)
    assert hidden.status_code == 200
    expect(page.locator(".comment-text", has_text="comment 290")).to_have_count(0, timeout=10_000)
    expect(page.locator(".comment")).to_have_count(100)
    texts = comment_texts(page)
    assert texts[0] == "comment 201" and texts[-1] == "comment 301" and len(set(texts)) == 100
    # Each change cost a few hundred bytes, not the list.
    changed = [r for r in since_bodies if r.status == 200 and json.loads(r.body())["comments"]]
    assert changed and all(len(r.body()) < 500 for r in changed)
    assert watched.errors == []
