"""The pages the mails' links open: one-click moderation and unsubscribe (model/links.py).

They are pages for people, plain HTML that works without JavaScript under the site's CSP,
and need no login: the signed token in the path is the authority.

- GET /mail/moderate/<token> asks "Publish this comment?" (or hide, or delete), showing the
  comment, with a form that POSTs; it changes nothing, since mail scanners open every link.
  POST checks the token, records its single use (store.private.use_link) and then acts:
  two POSTs at once act once. A forged token, or a comment gone, is 404; an expired or
  used link 410, each page saying which.
- GET /mail/unsubscribe/<token> offers the same form; POST stops reply mails to the address
  given with the comment. RFC 8058's one-click POST (List-Unsubscribe=One-Click, from the
  mail provider, without cookies or Origin) is that same POST; a second one is 200 again.

The app-wide guards apply as to any route: the host check, and the cross-site check, which
refuses a POST whose Origin is another site's but lets one without Origin through (a mail
provider's). Each POST counts against COMMENTS_RATE_LIMIT per client, in a count of its
own beside the comments' writes: a used link still costs a write to try again. Every
answer is no-store and never framed; errors on these routes are HTML pages (but 405, which
routing answers before any blueprint's handler, in the API's JSON shape).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from flask import Blueprint, Flask, current_app, render_template_string, request
from limits import RateLimitItem, parse_many
from limits.strategies import FixedWindowRateLimiter

from ..cooperative import blocking
from ..model import links
from ..model.links import LINK_AGE, LinkRefused, ModerationLink
from ..state import app_state
from ..stores.contract import CommentNotFound, StoreError
from .errors import APIError
from .guards.ratelimit import client_key, retry_after
from .headers import content_security_policy

MAIL = "mail"
bp = Blueprint(MAIL, __name__)

# What each action asks, does and says once done.
QUESTIONS = {
    "publish": "Publish this comment?",
    "hide": "Hide this comment?",
    "delete": "Delete this comment?",
}
BUTTONS = {"publish": "Publish", "hide": "Hide", "delete": "Delete"}
DONE = {"publish": "Published.", "hide": "Hidden.", "delete": "Deleted."}
STATUS_OF = {"publish": "published", "hide": "hidden"}
# What the comment is once the link has acted.
NOW = {**STATUS_OF, "delete": "deleted"}

GONE = "This comment was deleted, or never existed: there is nothing left to moderate."
USED = "This link was already used: a moderation link works once. See the comment at /moderate."
UNSUBSCRIBED = "You will get no more emails about replies."
# The scope of the links' own count in the rate limits' storage.
LIMIT_SCOPE = "mail-links"

PAGE = """<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ heading }}</title>
<h1>{{ heading }}</h1>
{% for line in lines %}<p>{{ line }}</p>
{% endfor %}
{%- if comment %}
<dl>
<dt>Author</dt><dd>{{ comment.author }}</dd>
<dt>Thread</dt><dd>{{ comment.thread or "/ (the default thread)" }}</dd>
<dt>Status now</dt><dd>{{ comment.status }}</dd>
<dt>Written</dt><dd>{{ comment.created }}</dd>
</dl>
<blockquote>
{% for line in comment.text.splitlines() %}{{ line }}<br>
{% endfor %}</blockquote>
{% endif %}
{%- if button %}
<form method="post" action="{{ request.script_root }}{{ request.path }}">
{%- for name, value in fields %}
<input type="hidden" name="{{ name }}" value="{{ value }}">
{%- endfor %}
<button type="submit">{{ button }}</button>
</form>
{% endif %}
{%- if moderate %}<p><a href="{{ url_for("pages.moderate") }}">All comments, for moderators</a></p>
{% endif %}
</html>
"""


class CommentGone(LookupError):
    """The comment a link names was deleted, or never was."""


class TooManyPosts(Exception):
    """This client POSTed links too often; it may try again in `seconds`."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"Too many requests from your address; try again in {seconds} seconds.")
        self.seconds = seconds


def page(
    status: int,
    heading: str,
    *lines: str,
    comment: dict | None = None,
    button: str | None = None,
    fields: Sequence[tuple[str, str]] = (),
    moderate: bool = False,
):
    """Answer an HTML page (Jinja escapes every value), kept by no cache and never framed."""
    body = render_template_string(
        PAGE, heading=heading, lines=lines, comment=comment, button=button, fields=fields, moderate=moderate
    )
    response = current_app.response_class(body, status=status, content_type="text/html; charset=utf-8")
    # The path holds a token and the page a pending comment: for no cache, no frame, no index.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = content_security_policy(())
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def moderation_link(token: str) -> ModerationLink:
    """Return what a moderation token asks; raise LinkRefused when it is forged or expired."""
    return links.read_moderation_token(app_state().store.secret_key(), token)


def comment_of(link: ModerationLink) -> dict:
    """Return the comment a link names, with its status; raise CommentGone."""
    comment = app_state().store.record(link.comment_id)
    if comment is None:
        raise CommentGone()
    return comment


@bp.get("/mail/moderate/<token>")
def confirm_moderation(token: str):
    """Ask whether to do what the link says, showing the comment; change nothing."""
    link = moderation_link(token)
    comment = comment_of(link)
    if blocking(app_state().store.private.link_used, link.nonce):
        return page(410, "This link was already used", USED, moderate=True)
    lines = []
    if comment["status"] == STATUS_OF.get(link.action):
        lines.append(f"This comment is {comment['status']} already.")
    return page(200, QUESTIONS[link.action], *lines, comment=comment, button=BUTTONS[link.action])


@bp.post("/mail/moderate/<token>")
def moderate(token: str):
    """Do what the link says, once: its use is recorded before the change is made."""
    count_post()
    link = moderation_link(token)
    comment_of(link)
    private = app_state().store.private
    if not blocking(private.use_link, link.nonce, link.made + LINK_AGE):
        return page(410, "This link was already used", USED, moderate=True)
    try:
        act(link)
    except StoreError:
        # Nothing was changed: the link may be used again once the store is back.
        blocking(private.forget_link, link.nonce)
        raise
    return page(200, DONE[link.action], f"Comment {link.comment_id} is {NOW[link.action]}.", moderate=True)


def act(link: ModerationLink) -> None:
    """Change the comment as moderation does (PATCH or DELETE /api/comments/<id>)."""
    store = app_state().store
    try:
        if link.action == "delete":
            store.delete(link.comment_id)
        else:
            store.update(link.comment_id, {"status": STATUS_OF[link.action]})
    except CommentNotFound:
        # Deleted between the check and the change.
        raise CommentGone() from None


def unsubscribed_address(token: str) -> str:
    """Return the address (its hash) an unsubscribe token names; raise LinkRefused when it is forged."""
    return links.read_unsubscribe_token(app_state().store.secret_key(), token)


@bp.get("/mail/unsubscribe/<token>")
def confirm_unsubscribe(token: str):
    """Offer the one-click unsubscribe as a form; change nothing."""
    unsubscribed_address(token)
    return page(
        200,
        "Stop emails about replies?",
        "You asked to be told by email when someone replies to your comment.",
        button="Stop emails about replies",
        fields=[("List-Unsubscribe", "One-Click")],
    )


@bp.post("/mail/unsubscribe/<token>")
def unsubscribe(token: str):
    """Stop reply mails to the link's address: the form's POST, and RFC 8058's one-click."""
    count_post()
    address = unsubscribed_address(token)
    # Read within the app's limit and deadline, then ignored: RFC 8058's body says only
    # List-Unsubscribe=One-Click, and the token says what to do.
    request.body  # noqa: B018
    # False when no comment kept has the address (all deleted, which forgot it): no mail
    # goes there either way, so the answer is the same, as it is to a second POST.
    blocking(app_state().store.private.unsubscribe, address)
    return page(200, "Unsubscribed", UNSUBSCRIBED)


@lru_cache(maxsize=8)
def limit_items(limits: str) -> list[RateLimitItem]:
    return parse_many(limits) if limits else []


def count_post() -> None:
    """Count this POST against COMMENTS_RATE_LIMIT for the client; raise TooManyPosts past it.

    A count of its own (as the login throttle keeps one), in the storage every worker
    shares: the limiter counts the comments' writes only. A storage that fails lets the
    POST through, logged, as the limiter does.
    """
    state = app_state()
    items = limit_items(state.settings.rate_limit)
    if not items:
        return
    key = client_key()
    try:
        limiter = FixedWindowRateLimiter(state.limiter.storage)
        for item in items:
            if not limiter.hit(item, LIMIT_SCOPE, key):
                reset = limiter.get_window_stats(item, LIMIT_SCOPE, key).reset_time
                raise TooManyPosts(retry_after(reset))
    except TooManyPosts:
        raise
    except Exception:
        current_app.logger.exception("the mail links' rate limit cannot count; letting this POST through")


def sentence(message: str) -> str:
    """Return a message of the API's (lower case, no stop) as a sentence."""
    return f"{message[:1].upper()}{message[1:]}."


@bp.errorhandler(LinkRefused)
def refused_link(error: LinkRefused):
    if error.reason == "expired":
        return page(410, "This link has expired", sentence(str(error)), moderate=True)
    return page(404, "This link does not work", sentence(str(error)))


@bp.errorhandler(CommentGone)
@bp.errorhandler(CommentNotFound)
def comment_gone(_error: Exception):
    return page(404, "This comment is gone", GONE, moderate=True)


@bp.errorhandler(TooManyPosts)
def too_many(error: TooManyPosts):
    response = page(429, "Too many requests", str(error))
    response.headers["Retry-After"] = str(error.seconds)
    return response


@bp.errorhandler(APIError)
def refused(error: APIError):
    # The guards' refusals (a foreign Origin's POST, a body past the limit), as a page.
    return page(error.status, "This request is refused", sentence(error.message))


@bp.errorhandler(StoreError)
def store_failed(error: StoreError):
    # The log has the path and the reason; the page a message without them.
    current_app.logger.error("%s", error.detail)
    return page(503, "Try again later", str(error))


def init_app(app: Flask) -> None:
    """Register the mail pages (their errors are answered as pages, by the handlers above)."""
    app.register_blueprint(bp)
