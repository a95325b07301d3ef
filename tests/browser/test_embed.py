"""The comment box on another site (issue 22): embed.js on a page of http://localhost:<port>
framing the comment server at http://127.0.0.1:<port>, another site, in a real Chromium.

One comment server serves the module; each test writes to threads of its own.
"""

from __future__ import annotations

import html
import http.server
import json
import statistics
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import expect

from ..conftest import ROOT, eventually, require
from .test_page import REPORT_CSP_VIOLATIONS, Watched

AXE = ROOT / "ui" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

# A host page: its own words around the tag, and the moment of its load event.
POST_PAGE = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>A post</title>
<script>addEventListener('load', () => { window.loadedAt = Date.now(); });</script>
<h1>A post on the blog</h1>
<p>The words of the post.</p>
{tag}
<footer>The blog's footer</footer>
{extra}
</html>"""

# A page of the third origin, framed by the host: it posts, when told to, what an attacker
# would, to the host and to every frame of it, then a last message saying it is done.
MESSENGER = """<!doctype html><meta charset="utf-8"><title>Ads</title>
<script>
window.send = (forged) => {
  const messages = [
    {type: 'comments:height', height: 7},
    {type: 'comments:keep', entries: forged},
    {type: 'comments:mine', entries: forged},
  ];
  const targets = [parent, ...Array.from({length: parent.frames.length}, (_, i) => parent.frames[i])];
  for (const target of targets) {
    for (const message of messages) target.postMessage(message, '*');
    target.postMessage({type: 'messenger:done'}, '*');
  }
};
</script>"""

# In the widget's frame: when the first comment is on screen (the frame after it is drawn).
WATCH_FIRST_COMMENT = """
if (location.pathname === '/embed') {
  new MutationObserver((changes, observer) => {
    if (!document.querySelector('.comment')) return;
    observer.disconnect();
    requestAnimationFrame(() => { window.firstCommentAt = Date.now(); });
  }).observe(document, {childList: true, subtree: true});
}
"""


@dataclass
class Site:
    """A site of its own origin whose pages the test writes (path -> HTML)."""

    server: http.server.ThreadingHTTPServer
    origin: str
    pages: dict[str, str] = field(default_factory=dict)


def serve_site() -> Site:
    """Serve pages on loopback, named http://localhost:<port>: another site than 127.0.0.1."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = self.server.site.pages.get(urlsplit(self.path).path)
            if body is None:  # the browser's favicon request
                self.send_response(204)
                self.end_headers()
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site = Site(server, f"http://localhost:{server.server_address[1]}")
    server.site = site
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return site


@pytest.fixture(scope="module")
def sites():
    """The blog (allowed to embed) and a third site (not allowed), both other sites than the server's."""
    blog, third = serve_site(), serve_site()
    yield blog, third
    for site in (blog, third):
        site.server.shutdown()
        site.server.server_close()


@pytest.fixture(scope="module")
def server(start_shared_server, sites, tmp_path_factory):
    blog, _ = sites
    folder = tmp_path_factory.mktemp("embed")
    return start_shared_server(
        workers=2, COMMENTS_FILE=str(folder / "comments.json"), COMMENTS_EMBED_ORIGINS=blog.origin
    )


def tag(server, **data: str) -> str:
    attributes = "".join(
        f' data-{name.replace("_", "-")}="{html.escape(value)}"' for name, value in data.items()
    )
    return f'<script async src="{server.url}/embed.js"{attributes}></script>'


def publish(site: Site, path: str, body: str) -> str:
    site.pages[path] = body
    return site.origin + path


def post_page(site: Site, path: str, server, extra: str = "", **data: str) -> str:
    """Publish a post of the blog embedding the comment box; return its address."""
    return publish(site, path, POST_PAGE.replace("{tag}", tag(server, **data)).replace("{extra}", extra))


def add(server, thread: str, author: str, text: str) -> int:
    response = requests.post(
        f"{server.url}/api/comments?thread={thread}", data={"author": author, "text": text}
    )
    assert response.status_code == 201, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


def texts(server, thread: str) -> list[str]:
    return [c["text"] for c in requests.get(f"{server.url}/api/comments?thread={thread}").json()]


@pytest.fixture
def visit(browser):
    """visit(url, **context options) -> a Watched page of the host; at the end, no page error and no
    Content-Security-Policy violation in any of its frames."""
    contexts, watched = [], []

    def visit(url: str, origin: str = "", **options) -> Watched:
        context = browser.new_context(**options)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.add_init_script(WATCH_FIRST_COMMENT)
        contexts.append(context)
        page = Watched(context, origin)
        watched.append(page)
        page.page.goto(url)
        return page

    yield visit
    problems = [text for page in watched for text in page.csp_violations + page.errors]
    for context in contexts:
        context.close()
    assert problems == []


def widget(page):
    return page.frame_locator("iframe[title='Comments']")


def widget_frame(page, server):
    return next(frame for frame in page.frames if frame.url.startswith(server.url + "/embed"))


def post_in(box, name: str, text: str, button: str = "Post") -> None:
    box.get_by_label("Name").fill(name)
    box.get_by_label("Comment").fill(text)
    box.get_by_role("button", name=button).click()


def frame_height(page) -> int:
    """The comment box's frame's height on the host page, in CSS pixels."""
    return page.evaluate(
        "Math.round(document.querySelector(\"iframe[title='Comments']\").getBoundingClientRect().height)"
    )


def content_height(frame) -> int:
    """What the comment box's page needs, in CSS pixels."""
    return frame.evaluate("Math.ceil(document.getElementById('root').getBoundingClientRect().height)")


def test_the_widget_shows_the_thread_of_its_page_posts_replies_and_sizes_itself(server, sites, visit):
    blog, _ = sites
    add(server, "/post/render", "Ann", "First on *this* post")
    add(server, "/elsewhere", "Eve", "Another page's comment")
    page = visit(post_page(blog, "/post/render", server), blog.origin).page
    box = widget(page)
    box.locator(".comment-text", has_text="First on this post").wait_for()
    assert box.locator(".comment-text", has_text="Another page's comment").count() == 0
    frame = widget_frame(page, server)

    # Sized to its content (the thread came from location.pathname), and never scrolled.
    assert eventually(lambda: frame_height(page), content_height(frame)) == content_height(frame)
    assert frame.evaluate("document.documentElement.scrollHeight <= innerHeight + 1")
    before = frame_height(page)

    post_in(box, "Bob", "Posted from the blog")
    box.locator(".comment:not(.pending) .comment-text", has_text="Posted from the blog").wait_for()
    box.get_by_role("button", name="Reply").first.click()
    box.get_by_label("Your name").fill("Di")
    box.get_by_label("Your reply").fill("A reply from the blog")
    box.get_by_role("button", name="Post reply").click()
    # Stored, not only shown while it posts.
    box.locator(".replies .comment:not(.pending) .comment-text", has_text="A reply from the blog").wait_for()
    assert texts(server, "/post/render") == [
        "First on *this* post",
        "Posted from the blog",
        "A reply from the blog",
    ]
    [reply] = [
        c for c in requests.get(f"{server.url}/api/comments?thread=/post/render").json() if c.get("parent")
    ]
    assert reply["text"] == "A reply from the blog"

    # It grew with its comments, and still fits.
    grown = eventually(lambda: frame_height(page), content_height(frame))
    assert grown == content_height(frame) and grown > before
    # The host page's own content is there around it, in order.
    assert page.locator("h1, iframe, footer").evaluate_all("els => els.map(e => e.tagName)") == [
        "H1",
        "IFRAME",
        "FOOTER",
    ]


def test_an_author_edits_their_comment_after_reloading_the_host_page(server, sites, visit):
    blog, _ = sites
    add(server, "/post/edit", "Ann", "Someone else's")
    page = visit(post_page(blog, "/post/edit", server, thread="/post/edit"), blog.origin).page
    box = widget(page)
    box.get_by_text("Someone else's").wait_for()
    # The frame is another site's: this Chromium gives it no storage of its own.
    frame = widget_frame(page, server)
    storage = frame.evaluate(
        "(() => { try { localStorage.getItem('x'); return 'usable'; } catch { return 'refused'; } })()"
    )
    print(f"\nlocalStorage in the cross-site frame: {storage}")
    post_in(box, "Cy", "Mine, with a typo")
    box.locator(".comment:not(.pending) .comment-text", has_text="Mine, with a typo").wait_for()

    # The token is kept by the host page, in its own storage, under the server's origin.
    kept = page.evaluate(f"localStorage.getItem('comments.mine {server.url}')")
    assert kept is not None and "token" in kept

    page.reload()
    box = widget(page)
    mine = box.locator("article", has_text="Mine, with a typo")
    mine.get_by_role("button", name="Edit").click()
    box.get_by_label("Your comment").fill("Mine, fixed")
    box.get_by_role("button", name="Save").click()
    box.locator(".comment-text", has_text="Mine, fixed").wait_for()
    assert texts(server, "/post/edit") == ["Someone else's", "Mine, fixed"]
    # Others' comments stay theirs.
    assert box.locator("article", has_text="Someone else's").get_by_role("button", name="Edit").count() == 0


@pytest.mark.parametrize(
    ("theme", "scheme", "background"),
    [
        ("dark", "light", "rgb(13, 17, 23)"),
        ("light", "dark", "rgb(255, 255, 255)"),
        ("auto", "dark", "rgb(13, 17, 23)"),
        ("auto", "light", "rgb(255, 255, 255)"),
    ],
)
def test_data_theme_chooses_the_widget_theme(server, sites, visit, theme, scheme, background):
    blog, _ = sites
    add(server, f"/post/theme-{theme}-{scheme}", "Ann", "Hello")
    url = post_page(blog, f"/post/theme-{theme}-{scheme}", server, theme=theme)
    page = visit(url, blog.origin, color_scheme=scheme).page
    widget(page).get_by_text("Hello").wait_for()
    frame = widget_frame(page, server)
    assert frame.evaluate("getComputedStyle(document.documentElement).backgroundColor") == background


def test_the_host_page_gives_the_widget_its_accent_and_font(server, sites, visit):
    blog, _ = sites
    add(server, "/post/look", "Ann", "A [link](https://example.com)")
    around = '<div style="--comments-accent: #b5179e; --comments-font: Georgia, serif">{}</div>'
    url = publish(
        blog, "/post/look", POST_PAGE.replace("{tag}", around.format(tag(server))).replace("{extra}", "")
    )
    page = visit(url, blog.origin).page
    link = widget(page).locator(".comment-text a")
    expect(link).to_have_css("color", "rgb(181, 23, 158)")
    # A link in a comment opens a tab of its own, not another site inside the frame.
    expect(link).to_have_attribute("target", "_blank")
    frame = widget_frame(page, server)
    assert frame.evaluate("getComputedStyle(document.documentElement).fontFamily") == "Georgia, serif"


@pytest.mark.parametrize(
    ("lang", "locale", "heading", "button", "when"),
    [
        ("de", "en-US", "Kommentare", "Senden", "gerade eben"),
        ("fr", "de-DE", "Commentaires", "Publier", "à l’instant"),
        (None, "fr-FR", "Commentaires", "Publier", "à l’instant"),
        (None, "es-ES", "Comments", "Post", "just now"),
    ],
)
def test_data_lang_chooses_the_widget_language(server, sites, visit, lang, locale, heading, button, when):
    blog, _ = sites
    path = f"/post/lang-{lang}-{locale}"
    add(server, path, "Ann", "Bonjour")
    page = visit(
        post_page(blog, path, server, **({"lang": lang} if lang else {})), blog.origin, locale=locale
    ).page
    box = widget(page)
    box.get_by_text("Bonjour").wait_for()
    expect(box.get_by_role("heading", level=1)).to_have_text(heading)
    expect(box.get_by_role("button", name=button, exact=True)).to_be_visible()
    expect(box.locator(".comment-time").first).to_have_text(when)
    assert widget_frame(page, server).evaluate("document.documentElement.lang") == (
        lang or locale[:2]
    ).replace("es", "en")


def test_a_site_not_in_embed_origins_cannot_frame_the_widget(server, sites, browser):
    blog, third = sites
    add(server, "/post/third", "Ann", "Not for the third site")
    url = post_page(third, "/post/third", server)
    context = browser.new_context()
    try:
        page = context.new_page()
        with page.expect_console_message(lambda m: "frame-ancestors" in m.text, timeout=15_000) as message:
            page.goto(url)
        # The policy names the blog alone: the third site is refused.
        assert f"frame-ancestors 'self' {blog.origin}\"" in message.value.text
        [frame] = [f for f in page.frames if f != page.main_frame]
        assert not frame.url.startswith(server.url) or frame.locator(".comment, form").count() == 0
        # Its own framing of the server's pages fares no better: / and /moderate refuse every site.
        for path in ("/", "/moderate"):
            response = requests.get(server.url + path)
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    finally:
        context.close()


def test_messages_from_a_third_origin_change_nothing(server, sites, visit):
    blog, third = sites
    target = add(server, "/post/messages", "Ann", "Not yours")
    publish(third, "/messenger", MESSENGER)
    extra = f'<iframe title="Ads" src="{third.origin}/messenger" width="300" height="60"></iframe>'
    page = visit(post_page(blog, "/post/messages", server, extra=extra), blog.origin).page
    box = widget(page)
    box.get_by_text("Not yours").wait_for()
    frame = widget_frame(page, server)
    height = eventually(lambda: frame_height(page), content_height(frame))
    storage_before = page.evaluate("JSON.stringify(localStorage)")

    # Each window notes the messenger's last message: those before it have been heard.
    done = """window.messengerDone = false;
      addEventListener('message', (e) => {
        if (e.data?.type === 'messenger:done') window.messengerDone = true;
      });"""
    page.evaluate(done)
    frame.evaluate(done)
    forged = json.dumps({str(target): {"token": "forged", "expires": 4102444800000}})
    messenger = next(f for f in page.frames if f.url.startswith(third.origin))
    messenger.evaluate(f"send({json.dumps(forged)})")
    assert eventually(lambda: page.evaluate("window.messengerDone"), True) is True
    assert eventually(lambda: frame.evaluate("window.messengerDone"), True) is True

    # The frame kept its size, the host's storage holds nothing new, and the widget offers
    # no Edit on a comment it holds no real token for.
    assert frame_height(page) == height != 7
    assert page.evaluate("JSON.stringify(localStorage)") == storage_before
    assert box.locator("article", has_text="Not yours").get_by_role("button", name="Edit").count() == 0
    assert box.get_by_role("button", name="Edit").count() == 0


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["2 comments", "1 comment", "2 comments", "0 comments"]),
        ("de", ["2 Kommentare", "1 Kommentar", "2 Kommentare", "0 Kommentare"]),
    ],
)
def test_counts_on_an_index_page_come_from_one_request(server, sites, visit, lang, words):
    blog, _ = sites
    for n in range(2):
        add(server, f"/c/{lang}/1", "Ann", f"one {n}")
    add(server, f"/c/{lang}/2", "Bob", "two")
    links = "".join(
        f'<p><a data-comments-count="/c/{lang}/{n}" href="/c/{lang}/{n}#comments">…</a></p>'
        for n in (1, 2, 1, 3)
    )
    url = publish(
        blog,
        f"/index-{lang}",
        POST_PAGE.replace("{tag}", links + tag(server, counts_only="", lang=lang)).replace("{extra}", ""),
    )
    watched = visit(url, blog.origin)
    page = watched.page
    counted = page.locator("[data-comments-count]")
    expect(counted).to_have_text(words)
    assert [u for u in watched.requests if "/api/counts" in u] == [
        f"{server.url}/api/counts?thread=%2Fc%2F{lang}%2F1&thread=%2Fc%2F{lang}%2F2&thread=%2Fc%2F{lang}%2F3"
    ]
    # A counts-only tag puts no comment box on the index page.
    assert page.locator("iframe").count() == 0


def test_the_widget_has_no_serious_accessibility_violations(server, sites, browser):
    require(AXE.is_file(), "the accessibility test needs axe-core: cd ui && npm ci")
    blog, _ = sites
    add(server, "/post/axe", "Pete", "A [link](https://example.com), `code` and *emphasis*.")
    add(server, "/post/axe", "Paul", "> quoted\n\n- a list\n- of things")
    # bypass_csp: axe-core goes in as an inline script, which the frame's policy refuses.
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(post_page(blog, "/post/axe", server, lang="de"))
        widget(page).get_by_text("quoted").wait_for()
        widget(page).get_by_role("button", name="Senden").wait_for()
        frame = widget_frame(page, server)
        frame.add_script_tag(path=str(AXE))
        result = frame.evaluate("axe.run(document, {resultTypes: ['violations']})")
        violations = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:120] for n in v["nodes"][:3]]}
            for v in result["violations"]
            if v["impact"] in BLOCKING
        ]
        assert violations == [], json.dumps(violations, indent=1)
    finally:
        context.close()


def test_with_100_comments_the_first_shows_within_a_second_of_the_host_load(server, sites, visit):
    """The median of 5 cold visits, each in a fresh browser context (no cache)."""
    blog, _ = sites
    with requests.Session() as session:
        for n in range(100):
            response = session.post(
                f"{server.url}/api/comments?thread=/post/speed",
                data={"author": f"A{n}", "text": f"Comment *{n}*"},
            )
            assert response.status_code == 201
    url = post_page(blog, "/post/speed", server)
    delays, weights = [], []
    for _ in range(5):
        page = visit(url, blog.origin).page
        widget(page).locator(".comment").first.wait_for()
        frame = widget_frame(page, server)
        assert eventually(lambda frame=frame: frame.evaluate("window.firstCommentAt !== undefined"), True)
        assert eventually(lambda page=page: page.evaluate("window.loadedAt !== undefined"), True)
        delays.append(frame.evaluate("window.firstCommentAt") - page.evaluate("window.loadedAt"))
        # What the frame fetched: its page, scripts and style sheet (bytes on the wire, as coded).
        weights.append(
            frame.evaluate(
                """[...performance.getEntriesByType('navigation'),
                    ...performance.getEntriesByType('resource')]
                  .filter((e) => e.initiatorType !== 'fetch')
                  .reduce((sum, e) => sum + e.encodedBodySize, 0)"""
            )
        )
        page.context.close()
    median = statistics.median(delays)
    print(f"\nfirst comment after the host page's load event, 100 comments (ms): {delays}, median {median}")
    print(f"widget page, scripts and styles as fetched (bytes, in the coding Chromium asked for): {weights}")
    assert median <= 1000


def test_embed_js_answers_any_site(server):
    response = requests.get(server.url + "/embed.js", headers={"Origin": "https://any.example"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
