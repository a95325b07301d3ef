"""Webhooks: each outbox item POSTed as a JSON event to COMMENTS_WEBHOOK_URL, signed as the
Standard Webhooks specification says (webhook-id, webhook-timestamp, webhook-signature).

The signature is an HMAC-SHA256, with the key COMMENTS_WEBHOOK_SECRET holds (whsec_ and
base64), of "<id>.<timestamp>.<body>", sent as "v1,<base64>"; the id is the item's,
stable across retries, so that a receiver drops repeats. The body is the event:
{"type", "timestamp", "data": {"comment", "thread", "reply_to", "links"}}, the comment as
the moderation API shows it (never an email or a token: the stores keep none in it).
A 2xx answer within 5 s delivers it; anything else (another status, a redirect, which is
not followed, a timeout, a refused connection) is a failure, tried again later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from ..config import Settings
from ..model.comment import stamp
from ..model.threads import DEFAULT
from ..stores.outbox import Item

TIMEOUT = 5.0
# Enough of an answer to end the exchange politely; the rest is not read.
ANSWER_BYTES = 64 * 1024
USER_AGENT = "comments-app-webhooks/1"


def sign(key: bytes, item_id: str, timestamp: int, body: bytes) -> str:
    """Return the webhook-signature header's value for a body sent with this id and timestamp."""
    signed = f"{item_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def links(item: Item, settings: Settings) -> dict[str, str]:
    """Return where the comment is seen: its page (COMMENTS_SITE_URL), the API and moderation
    (COMMENTS_PUBLIC_URL); only those the settings make."""
    found = {}
    comment_id = item.comment["id"]
    if settings.site_url and item.thread != DEFAULT:
        found["comment"] = f"{settings.site_url}{item.thread}#comment-{comment_id}"
    if settings.public_url:
        found["api"] = f"{settings.public_url}/api/comments/{comment_id}"
        found["moderation"] = f"{settings.public_url}/moderate"
    return found


def event_body(item: Item, settings: Settings) -> bytes:
    """Return the JSON event an item is sent as."""
    event = {
        "type": item.type,
        "timestamp": stamp_of(item.created),
        "data": {
            "comment": item.comment,
            "thread": item.thread if item.thread != DEFAULT else None,
            "reply_to": item.reply_to,
            "links": links(item, settings),
        },
    }
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def stamp_of(seconds: float) -> str:
    """Return a time in seconds as comments carry times (ISO 8601, UTC)."""
    return stamp(datetime.fromtimestamp(seconds, UTC).replace(microsecond=0))


class Webhook:
    """POST each item to one URL, signed with one key."""

    name = "webhook"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = urlsplit(settings.webhook_url)
        self.key = settings.webhook_secret or b""

    def wants(self, item: Item) -> bool:
        """Every event goes to the webhook."""
        return True

    def deliver(self, item: Item) -> str | None:
        body = event_body(item, self.settings)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": item.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self.key, item.id, timestamp, body),
        }
        try:
            status = self._post(body, headers)
        except (OSError, http.client.HTTPException) as error:
            return why(error)
        if 200 <= status < 300:
            return None
        if 300 <= status < 400:
            return f"HTTP {status} (redirects are not followed)"
        return f"HTTP {status}"

    def _post(self, body: bytes, headers: dict[str, str]) -> int:
        """Send the request and return the answer's status; http.client follows no redirect."""
        url = self.url
        kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        conn = kind(url.hostname, url.port, timeout=TIMEOUT)
        if url.username or url.password:
            login = f"{url.username or ''}:{url.password or ''}".encode()
            headers = {**headers, "Authorization": "Basic " + base64.b64encode(login).decode()}
        try:
            target = (url.path or "/") + (f"?{url.query}" if url.query else "")
            conn.request("POST", target, body=body, headers=headers)
            answer = conn.getresponse()
            answer.read(ANSWER_BYTES)
            return answer.status
        finally:
            conn.close()


def why(error: Exception) -> str:
    """Say why a delivery failed, without the URL (it may hold a password)."""
    if isinstance(error, TimeoutError):
        return f"no answer within {TIMEOUT:g} s"
    if isinstance(error, OSError):
        return error.strerror or type(error).__name__
    return type(error).__name__
