"""The mails: both parts, their headers, links that verify, what a person wrote escaped,
Markdown rendered safely, a Message-ID that a retry repeats."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser

import pytest

from comments_app import config
from comments_app.model import links
from comments_app.notify.messages import moderator_mail, one_line, render_markdown, reply_mail
from comments_app.stores.outbox import Item
from comments_app.stores.private import address_key

KEY = b"k" * 32
PUBLIC = "https://comments.example.org"
SITE = "https://blog.example.org"
MODERATORS = ("mod@example.org", "other@example.org")


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mail")
    return config.load(
        {
            "COMMENTS_FILE": str(folder / "comments.json"),
            "COMMENTS_SMTP_URL": "smtp://127.0.0.1:2525",
            "COMMENTS_MAIL_FROM": "comments@example.org",
            "COMMENTS_MODERATOR_EMAILS": ",".join(MODERATORS),
            "COMMENTS_PUBLIC_URL": PUBLIC,
            "COMMENTS_SITE_URL": SITE,
        }
    )


def item(status="pending", thread="/blog/post/", author="Ann", text="Hello **there**", **comment) -> Item:
    kind = {"pending": "comment.pending", "published": "comment.published"}[status]
    body = {"id": 7, "author": author, "text": text, "created": "2026-12-04T01:02:03.000Z", "status": status}
    return Item("msg_" + "a" * 32, kind, {**body, **comment}, thread, time.time(), fresh=True)


def parsed(message: EmailMessage) -> EmailMessage:
    """Return a mail as a receiver reads it: from its bytes."""
    return BytesParser(policy=policy.default).parsebytes(message.as_bytes())


def parts(message: EmailMessage) -> tuple[str, str]:
    """Return the plain and HTML parts, checking there are those two, in that order."""
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.iter_parts()
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    return plain.get_content(), html.get_content()


class Tags(HTMLParser):
    """Every tag of an HTML text and its attributes."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def hrefs(self) -> list[str]:
        return [attrs["href"] for tag, attrs in self.found if tag == "a"]


def moderation_actions(text: str) -> list[tuple[int, str]]:
    tokens = re.findall(re.escape(PUBLIC) + r"/mail/moderate/([A-Za-z0-9_.\-]+)", text)
    read = [links.read_moderation_token(KEY, token) for token in tokens]
    return [(link.comment_id, link.action) for link in read]


def test_a_pending_comment_mails_its_links_to_the_moderators(settings):
    mail = parsed(moderator_mail(item(), settings, KEY, MODERATORS))
    assert mail["Subject"] == "New comment awaiting approval on /blog/post/"
    assert mail["From"] == "comments@example.org"
    assert mail["To"] == "mod@example.org, other@example.org"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Date"].datetime.timestamp() == pytest.approx(time.time(), abs=5)
    plain, html = parts(mail)
    assert "Ann wrote on /blog/post/, waiting for your approval:" in plain
    assert "> Hello **there**" in plain
    assert "<strong>there</strong>" in html
    expected = [(7, "publish"), (7, "hide"), (7, "delete")]
    assert moderation_actions(plain) == expected
    assert moderation_actions("\n".join(Tags(html).hrefs())) == expected
    page = f"{SITE}/blog/post/#comment-7"
    assert page in plain and page in Tags(html).hrefs()
    assert f"{PUBLIC}/moderate" in plain


def test_a_published_comment_has_no_publish_link(settings):
    mail = parsed(moderator_mail(item("published"), settings, KEY, MODERATORS))
    assert mail["Subject"] == "New comment on /blog/post/"
    plain, _ = parts(mail)
    assert moderation_actions(plain) == [(7, "hide"), (7, "delete")]
    assert "waiting" not in plain


@pytest.fixture(scope="module")
def siteless(settings):
    """The settings without COMMENTS_SITE_URL: links lead to the comment server's own page."""
    return replace(settings, site_url="")


def page_links(mail: EmailMessage) -> list[str]:
    """Return the links to a comment on a page, from each part (plain first)."""
    plain, html = parts(mail)
    pattern = r"https://[^\s\"<>]*#comment-\d+"
    return re.findall(pattern, plain) + [url for url in Tags(html).hrefs() if re.fullmatch(pattern, url)]


def test_the_default_thread_links_to_the_comment_servers_page(settings):
    mail = parsed(moderator_mail(item(thread=""), settings, KEY, MODERATORS))
    assert mail["Subject"] == "New comment awaiting approval"
    assert page_links(mail) == [f"{PUBLIC}/#comment-7"] * 2


@pytest.mark.parametrize(
    ("thread", "page"),
    [
        ("/blog/post/", f"{PUBLIC}/?thread=/blog/post/#comment-9"),
        ("", f"{PUBLIC}/#comment-9"),
        # Escaped as a query value: the page reads back the thread exactly, escapes and all.
        ("/q&a=1+2/caf%C3%A9/", f"{PUBLIC}/?thread=/q%26a%3D1%2B2/caf%25C3%25A9/#comment-9"),
    ],
)
def test_without_a_site_the_mails_link_to_the_comment_servers_page(siteless, thread, page):
    reply = item("published", thread=thread, author="Bob", parent=3, id=9)
    assert page_links(parsed(reply_mail(reply, siteless, KEY, "ann@example.org", 3))) == [page] * 2
    assert page_links(parsed(moderator_mail(reply, siteless, KEY, MODERATORS))) == [page] * 2


def test_a_reply_in_the_default_thread_links_to_it(settings):
    reply = item("published", thread="", author="Bob", parent=3, id=9)
    mail = parsed(reply_mail(reply, settings, KEY, "ann@example.org", 3))
    assert page_links(mail) == [f"{PUBLIC}/#comment-9"] * 2
    assert "Read it on its page" in parts(mail)[0]


HOSTILE = "\n\n".join(
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[x](javascript:alert(1)) [y](JAVASCRIPT:alert(1)) <javascript:alert(1)>",
        "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) ![p](data:image/png;base64,iVBO)",
        "![pixel](https://tracker.example/p.png)",
        "[ok](https://example.org/a?b=1&c=2)",
    ]
)


def test_what_a_person_wrote_is_inert_in_the_html(settings):
    hostile_name = '<b onmouseover="x">Eve</b>'
    for mail in (
        moderator_mail(item(author=hostile_name, text=HOSTILE), settings, KEY, MODERATORS),
        reply_mail(
            item("published", author=hostile_name, text=HOSTILE, parent=3), settings, KEY, "a@example.org", 3
        ),
    ):
        _, html = parts(parsed(mail))
        tags = Tags(html)
        assert {tag for tag, _ in tags.found} <= {
            "html",
            "head",
            "meta",
            "body",
            "p",
            "strong",
            "blockquote",
            "a",
            "br",
        }
        assert not [name for _, attrs in tags.found for name in attrs if name.startswith("on")]
        assert all(href.startswith("https://") for href in tags.hrefs())
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&lt;b onmouseover=&quot;x&quot;&gt;Eve&lt;/b&gt;" in html
        # An image is a link to it, never loaded; a good link keeps its address.
        assert "https://tracker.example/p.png" in tags.hrefs()
        assert "https://example.org/a?b=1&c=2" in tags.hrefs()


def test_markdown_renders_as_the_page_does():
    html = render_markdown("a ~~b~~ c\nnext line\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n[l](https://e.org)")
    assert "<s>b</s>" in html
    assert "c<br" in html
    assert "<table>" in html and "<td>1</td>" in html
    assert '<a href="https://e.org" rel="nofollow ugc noopener noreferrer">l</a>' in html


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](  javascript:alert(1))",
        "[x](data:text/html,hi)",
        "<vbscript:msgbox(1)>",
        "[x](/local)",
    ],
)
def test_markdown_refuses_links_that_are_not_web_pages(link):
    assert "href" not in render_markdown(link)


def test_headers_hold_one_line_whatever_a_thread_holds(settings):
    # A thread is a path: its escapes undone for people may hold line breaks.
    thread = "/a%0D%0ABcc:%20victim@example.org%0D%0A/" + "long-" * 40
    for mail in (
        moderator_mail(item(thread=thread), settings, KEY, MODERATORS),
        reply_mail(item("published", thread=thread, parent=3), settings, KEY, "a@example.org", 3),
    ):
        read = parsed(mail)
        assert read["Bcc"] is None
        assert not re.search(rb"^Bcc:", mail.as_bytes(), re.MULTILINE | re.IGNORECASE)
        # (The email package's folding may double a space where it folds: a receiver's unfolding.)
        assert "\n" not in read["Subject"] and len(" ".join(read["Subject"].split())) <= 120
        assert read["Subject"].endswith("…")


def test_one_line_collapses_and_cuts():
    assert one_line("a\r\nb\t\x00c\u2028d   e") == "a b c d e"
    assert one_line("x" * 200, 10) == "x" * 9 + "…"


def test_a_retry_carries_the_same_message_id(settings):
    first = moderator_mail(item(), settings, KEY, MODERATORS)
    again = moderator_mail(item(), settings, KEY, MODERATORS)
    assert first["Message-ID"] == again["Message-ID"]
    assert re.fullmatch(r"<msg_a{32}\.[0-9a-f]{16}@comments\.example\.org>", first["Message-ID"])
    to_ann = reply_mail(item("published", parent=3), settings, KEY, "ann@example.org", 3)
    to_ann_again = reply_mail(item("published", parent=3), settings, KEY, "Ann@Example.org", 3)
    to_bob = reply_mail(item("published", parent=3), settings, KEY, "bob@example.org", 3)
    assert to_ann["Message-ID"] == to_ann_again["Message-ID"] != to_bob["Message-ID"]
    other = Item("msg_" + "b" * 32, "comment.published", {**item().comment, "parent": 3}, "/blog/post/", 0.0)
    assert reply_mail(other, settings, KEY, "ann@example.org", 3)["Message-ID"] != to_ann["Message-ID"]


def test_a_reply_mail_tells_why_and_unsubscribes_in_one_click(settings):
    reply = item("published", author="Bob", text="I *agree*", parent=3, id=9)
    raw = reply_mail(reply, settings, KEY, "ann@example.org", 3).as_bytes()
    # Mail programs read the header raw: the link whole, on one line, not encoded.
    assert re.search(
        rb"^List-Unsubscribe: <https://comments\.example\.org/mail/unsubscribe/[\w.-]+>\r?$", raw, re.M
    )
    mail = BytesParser(policy=policy.default).parsebytes(raw)
    assert mail["To"] == "ann@example.org"
    assert mail["Subject"] == "New reply to your comment on /blog/post/"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    stop = re.fullmatch(r"<(.+)>", mail["List-Unsubscribe"]).group(1)
    assert stop.startswith(f"{PUBLIC}/mail/unsubscribe/")
    assert links.read_unsubscribe_token(KEY, stop.rpartition("/")[2]) == address_key(mail["To"])
    plain, html = parts(mail)
    assert "Bob replied to your comment on /blog/post/:" in plain
    assert "> I *agree*" in plain and "<em>agree</em>" in html
    assert "because you gave this address" in plain and "because you gave this address" in html
    assert stop in plain and stop in Tags(html).hrefs()
    page = f"{SITE}/blog/post/#comment-9"
    assert page in plain and page in Tags(html).hrefs()


def test_names_beyond_ascii_arrive_whole(settings):
    mail = parsed(moderator_mail(item(author="Zoë 山田", thread="/caf%C3%A9/"), settings, KEY, MODERATORS))
    assert mail["Subject"] == "New comment awaiting approval on /café/"
    plain, _ = parts(mail)
    assert plain.startswith("Zoë 山田 wrote on /café/")
