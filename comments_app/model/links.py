"""The links mails carry: one-click moderation (publish, hide or delete one comment) and
unsubscribe, each a signed token in the path of an address under COMMENTS_PUBLIC_URL.

Signed with the store's secret key (as Comment-Token is), so any worker or instance
sharing the key takes them. A moderation link expires after LINK_AGE and works once: its
token carries a random nonce, which the store records when the link is used
(stores/private.py, use_link). An unsubscribe link names the address it stops mailing by
its hash (stores/private.py's address_key), never the address itself, so that it works
after the comment it was sent for is deleted; it does not expire: a mail read a year later
must still be able to stop the next.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

# What a moderation link may do, as its path says it.
ACTIONS = ("publish", "hide", "delete")
LINK_AGE = 7 * 24 * 3600
MODERATE_SALT = "comments.mail-moderation"
UNSUBSCRIBE_SALT = "comments.mail-unsubscribe"


class LinkRefused(Exception):
    """A link that cannot act: reason is "expired" or "invalid"; the message says it to a person."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ModerationLink:
    """What a moderation link asks: an action on a comment, once (its nonce), made at a time."""

    comment_id: int
    action: str
    nonce: str
    made: int


def moderation_token(key: bytes, comment_id: int, action: str) -> str:
    """Return a new token that lets its holder do action to the comment once, for LINK_AGE."""
    if action not in ACTIONS:
        raise ValueError(f"not an action: {action!r}")
    return URLSafeTimedSerializer(key, salt=MODERATE_SALT).dumps([comment_id, action, secrets.token_hex(8)])


def read_moderation_token(key: bytes, token: str, max_age: int = LINK_AGE) -> ModerationLink:
    """Return what a moderation token asks; raise LinkRefused when it is forged or too old."""
    serializer = URLSafeTimedSerializer(key, salt=MODERATE_SALT)
    try:
        payload, made = serializer.loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired:
        raise LinkRefused("expired", "this link has expired: moderation links work for 7 days") from None
    except BadSignature:
        raise LinkRefused("invalid", "this is not a moderation link of this server") from None
    if not well_formed(payload):
        raise LinkRefused("invalid", "this is not a moderation link of this server")
    comment_id, action, nonce = payload
    return ModerationLink(comment_id, action, nonce, int(made.timestamp()))


def well_formed(payload: object) -> bool:
    return (
        isinstance(payload, list)
        and len(payload) == 3
        and type(payload[0]) is int
        and payload[1] in ACTIONS
        and isinstance(payload[2], str)
    )


def unsubscribe_token(key: bytes, address: str) -> str:
    """Return the token that stops reply mails to an address, given as its hash (address_key)."""
    return URLSafeSerializer(key, salt=UNSUBSCRIBE_SALT).dumps(address)


def read_unsubscribe_token(key: bytes, token: str) -> str:
    """Return the address hash an unsubscribe token names; raise LinkRefused when it is forged."""
    try:
        address = URLSafeSerializer(key, salt=UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        raise LinkRefused("invalid", "this is not an unsubscribe link of this server") from None
    if not isinstance(address, str):
        raise LinkRefused("invalid", "this is not an unsubscribe link of this server")
    return address


def moderation_url(public_url: str, token: str) -> str:
    """Return the address of a moderation link's confirmation page."""
    return f"{public_url}/mail/moderate/{token}"


def unsubscribe_url(public_url: str, token: str) -> str:
    """Return the address of an unsubscribe link (a page, and RFC 8058's one-click POST)."""
    return f"{public_url}/mail/unsubscribe/{token}"
