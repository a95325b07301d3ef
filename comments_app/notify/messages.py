"""The mails: a comment for the moderators, a reply for the author it answers.

Each is multipart/alternative, plain text first and HTML second. What a person wrote
reaches the HTML escaped (html.escape), the comment's Markdown rendered safely as the page
renders it (raw HTML shown as text, links only to web pages and mail, images as links), and
reaches the headers on one line, cut short: a name holding a line break cannot add a header.
A mail's Message-ID is made from its outbox item and its recipient, so a retry carries the
same id and a mail program shows the repeat once.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Sequence
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate
from urllib.parse import quote, unquote, urlsplit

from markdown_it import MarkdownIt

from ..config import Settings
from ..model import links
from ..model.comment import PENDING, PUBLISHED
from ..model.threads import DEFAULT
from ..stores.outbox import Item
from ..stores.private import address_key

# Headers that hold a link whole: mail programs read it raw, so it is never folded or
# encoded (policy.default would encode a long one as RFC 2047 words, breaking it).
UNFOLDED = frozenset({"list-unsubscribe"})
SUBJECT_CHARS = 120
NAME_CHARS = 60
# Links in a comment may lead only to web pages and mail: no script, no data, no path.
SAFE_URL = re.compile(r"(?:https?:|mailto:)", re.IGNORECASE)
LINK_REL = "nofollow ugc noopener noreferrer"


class CommentMarkdown(MarkdownIt):
    """GitHub-flavoured enough (tables, strikethrough, line breaks) and safe for a mail."""

    def __init__(self) -> None:
        super().__init__("commonmark", {"html": False, "breaks": True})
        self.enable(["table", "strikethrough"])
        self.add_render_rule("image", render_image)
        self.add_render_rule("link_open", render_link_open)

    def validateLink(self, url: str) -> bool:
        """Refuse a link that is not to a web page or mail: it stays the text it was."""
        return SAFE_URL.match(url.strip()) is not None


class MailPolicy(EmailPolicy):
    """policy.default, except that a link header stays on one line as it was written."""

    def fold(self, name: str, value: str) -> str:
        # A line break never gets this far: setting a header with one raises ValueError.
        if name.lower() in UNFOLDED:
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() in UNFOLDED:
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)


MAIL_POLICY = MailPolicy()


def render_image(renderer, tokens, idx, options, env) -> str:
    """Render an image as a link to it: a picture from another host would tell it who reads."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    label = renderer.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{html.escape(src)}" rel="{LINK_REL}">{html.escape(label)}</a>'


def render_link_open(renderer, tokens, idx, options, env) -> str:
    """Render a link that tells mail programs not to vouch for it or pass the reader on."""
    tokens[idx].attrSet("rel", LINK_REL)
    return renderer.renderToken(tokens, idx, options, env)


MARKDOWN = CommentMarkdown()


def render_markdown(text: str) -> str:
    """Return a comment's Markdown as safe HTML."""
    return MARKDOWN.render(str(text))


def one_line(text: object, limit: int = SUBJECT_CHARS) -> str:
    """Return text fit for a header: control characters and line breaks as spaces, runs of
    white space as one, at most limit characters."""
    spaced = "".join(" " if unicodedata.category(char)[0] in "CZ" else char for char in str(text))
    collapsed = " ".join(spaced.split())
    return collapsed if len(collapsed) <= limit else collapsed[: limit - 1].rstrip() + "…"


def thread_name(thread: str) -> str:
    """Return a thread as a person reads it: its path, escapes undone, on one line."""
    return one_line(unquote(thread, errors="replace"), SUBJECT_CHARS)


def where(thread: str) -> str:
    """Return " on <thread>" for a named thread, "" for the default one."""
    return "" if thread == DEFAULT else f" on {thread_name(thread)}"


def comment_url(settings: Settings, thread: str, comment_id: int) -> str:
    """Return the address of a comment: on the site's page (COMMENTS_SITE_URL + its thread),
    else on the comment server's own page, which shows a thread named by ?thread=."""
    anchor = f"#comment-{comment_id}"
    if thread == DEFAULT:
        return f"{settings.public_url}/{anchor}"
    if settings.site_url:
        return f"{settings.site_url}{thread}{anchor}"
    # Escaped as a query value, "/" kept for reading: the page reads back the thread exactly.
    return f"{settings.public_url}/?thread={quote(thread, safe='/')}{anchor}"


def message_id(item_id: str, recipient: str, settings: Settings) -> str:
    """Return the Message-ID of an item's mail to a recipient: the same on every retry."""
    host = urlsplit(settings.public_url).hostname or settings.mail_from.rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(recipient.strip().lower().encode()).hexdigest()[:16]
    return f"<{item_id}.{digest}@{host}>"


def quoted(text: str) -> str:
    """Return a comment's text quoted for the plain part, so it cannot pass for the mail's own words."""
    return "\n".join(f"> {line}" if line else ">" for line in str(text).splitlines() or [""])


def compose(
    settings: Settings, item: Item, to: Sequence[str], subject: str, plain: str, body: str
) -> EmailMessage:
    """Return a mail: the headers every mail has, the plain part and the HTML part."""
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = settings.mail_from
    message["To"] = ", ".join(to)
    message["Subject"] = one_line(subject)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(item.id, ",".join(sorted(to)), settings)
    message["Auto-Submitted"] = "auto-generated"
    # Quoted-printable: 7-bit clean, so that no server without 8BITMIME mangles a name or a comment.
    message.set_content(plain, cte="quoted-printable")
    message.add_alternative(page(body), subtype="html", cte="quoted-printable")
    return message


def page(body: str) -> str:
    """Return an HTML part around its body."""
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8"></head>\n'
        '<body style="font-family: sans-serif; line-height: 1.5; color: #222">\n'
        f"{body}\n</body></html>\n"
    )


def link_html(label: str, url: str) -> str:
    return f'<a href="{html.escape(url)}">{html.escape(label)}</a>'


def opening_html(author: str, did: str) -> str:
    """Return the mail's first line: who, in bold, and what they did."""
    return f"<p><strong>{html.escape(author)}</strong>{html.escape(did)}</p>"


def comment_html(comment: dict) -> str:
    return (
        '<blockquote style="border-left: 3px solid #ccc; margin: 1em 0; padding: 0 1em">\n'
        f"{render_markdown(comment.get('text', ''))}</blockquote>"
    )


# Moderators


def moderation_links(settings: Settings, key: bytes, comment: dict) -> list[tuple[str, str]]:
    """Return the one-click links a comment's status allows, as (label, address)."""
    status = comment.get("status")
    actions = []
    if status == PENDING:
        actions.append(("Publish", "publish"))
    if status in (PENDING, PUBLISHED):
        actions.append(("Hide", "hide"))
    actions.append(("Delete", "delete"))
    return [
        (label, links.moderation_url(settings.public_url, links.moderation_token(key, comment["id"], action)))
        for label, action in actions
    ]


def moderator_mail(item: Item, settings: Settings, key: bytes, to: Sequence[str]) -> EmailMessage:
    """Return the mail that tells moderators of a new comment, with its one-click links."""
    comment = item.comment
    author = one_line(comment.get("author", ""), NAME_CHARS)
    waiting = comment.get("status") == PENDING
    subject = ("New comment awaiting approval" if waiting else "New comment") + where(item.thread)
    did = f" wrote{where(item.thread)}" + (", waiting for your approval:" if waiting else ":")
    seen = [
        ("On its page", comment_url(settings, item.thread, comment["id"])),
        ("Every comment, for moderators", f"{settings.public_url}/moderate"),
    ]
    actions = moderation_links(settings, key, comment)
    note = "Each link opens a page that asks you to confirm. A link works once, for 7 days."
    plain = "\n".join(
        [
            author + did,
            "",
            quoted(comment.get("text", "")),
            "",
            f"Comment {comment['id']}, {comment.get('created', '')}",
        ]
        + [f"{label}: {url}" for label, url in seen]
        + [""]
        + [f"{label} it: {url}" for label, url in actions]
        + ["", note, ""]
    )
    body = "\n".join(
        [
            opening_html(author, did),
            comment_html(comment),
            f"<p>Comment {comment['id']}, {html.escape(str(comment.get('created', '')))}<br>",
            "<br>\n".join(link_html(label, url) for label, url in seen) + "</p>",
            "<p>" + " · ".join(link_html(f"{label} it", url) for label, url in actions) + "</p>",
            f'<p style="color: #666">{html.escape(note)}</p>',
        ]
    )
    return compose(settings, item, to, subject, plain, body)


# Replies


def reply_mail(item: Item, settings: Settings, key: bytes, to: str, subscribed: int) -> EmailMessage:
    """Return the mail that tells the author of comment `subscribed` of a reply in its
    conversation, with the link that stops these mails."""
    comment = item.comment
    author = one_line(comment.get("author", ""), NAME_CHARS)
    stop = links.unsubscribe_url(settings.public_url, links.unsubscribe_token(key, address_key(to)))
    subject = "New reply to your comment" + where(item.thread)
    did = f" replied to your comment{where(item.thread)}:"
    url = comment_url(settings, item.thread, comment["id"])
    why = (
        "You get this mail because you gave this address with your comment"
        f"{where(item.thread)} and asked to be told of replies."
    )
    plain = "\n".join(
        [
            *(author + did, "", quoted(comment.get("text", "")), ""),
            *(f"Read it on its page: {url}", ""),
            *(why, f"Stop these mails (one click, no login): {stop}", ""),
        ]
    )
    body = "\n".join(
        [
            opening_html(author, did),
            comment_html(comment),
            f"<p>{link_html('Read it on its page', url)}</p>",
            f'<p style="color: #666">{html.escape(why)} {link_html("Stop these mails", stop)}.</p>',
        ]
    )
    message = compose(settings, item, [to], subject, plain, body)
    # RFC 8058: mail programs offer the one-click unsubscribe, POSTed to the same address.
    message["List-Unsubscribe"] = f"<{stop}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message
