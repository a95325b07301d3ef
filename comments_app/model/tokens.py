"""Comment-Token: a signed, expiring proof that the holder posted one comment.

Signed with the store's secret key (COMMENTS_SECRET_KEY, or the key the store
keeps for the instance), so every worker, and every instance sharing the key,
accepts the tokens of the others. Nothing is stored per token.
"""

from __future__ import annotations

import time

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

HEADER = "Comment-Token"
SALT = "comments.comment-token"


class TokenRefused(Exception):
    """The token does not let its holder change this comment; the message says why."""


def make(key: bytes, comment_id: int, at: int | None = None) -> str:
    """Return a token naming the comment, stamped with the time it was made, or with at
    (a repeat of a request answers the first answer's token); never a time after now, which
    would be refused for a while."""
    if at is None:
        return URLSafeTimedSerializer(key, salt=SALT).dumps(comment_id)
    stamp = min(at, int(time.time()))
    signer = type("StampedSigner", (TimestampSigner,), {"get_timestamp": lambda self: stamp})
    return URLSafeTimedSerializer(key, salt=SALT, signer=signer).dumps(comment_id)


def named(key: bytes, token: str) -> object:
    """Return what a token this server made names, without checking its age."""
    return URLSafeTimedSerializer(key, salt=SALT).loads(token)


def check(key: bytes, token: str, comment_id: int, max_age: int) -> None:
    """Refuse a token that is forged, older than max_age seconds or names another comment."""
    try:
        named = URLSafeTimedSerializer(key, salt=SALT).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenRefused(
            "this Comment-Token has expired: comments can be changed for a while only"
        ) from None
    except BadSignature:
        raise TokenRefused("this Comment-Token is not valid here") from None
    if type(named) is not int or named != comment_id:
        raise TokenRefused("this Comment-Token is for another comment")
