"""The app's shared state: one typed object, made by create_app, reached through app_state().

Everything a request or a command shares with the others of its process (the settings,
the store and its Idempotency-Key records, the compressed answers, the abuse limits,
the list cache) is a field here, made once in the factory in an order that reads top to
bottom: nothing is fished out of string keys, and nothing depends on which module's
init_app ran first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Flask, current_app

from .config import ConfigError, Settings
from .stores.contract import Store
from .stores.idempotency import IdempotencyRecords
from .stores.streams import Streams

if TYPE_CHECKING:
    from flask_limiter import Limiter

    from .serving.list_cache import ListCache
    from .web.codings import CompressedBodies
    from .web.guards.throttle import LoginThrottle

# The one key the state is kept under in app.extensions.
EXTENSION = "comments"


@dataclass
class AppState:
    """What the app's requests and commands share, each part made once."""

    settings: Settings
    store: Store
    records: IdempotencyRecords
    compressed: CompressedBodies
    limiter: Limiter
    throttle: LoginThrottle
    # The open event streams of this process and the watcher that feeds them.
    streams: Streams
    # Who may log in: readers (COMMENTS_AUTH_USERS, or auth.protect's users) and moderators.
    readers: Mapping[str, str] = field(default_factory=dict)
    moderators: Mapping[str, str] = field(default_factory=dict)
    # The list cache beneath Flask, when the settings allow one (serving/list_cache.py).
    list_cache: ListCache | None = None

    def attach(self, app: Flask) -> None:
        app.extensions[EXTENSION] = self


@dataclass(frozen=True)
class Misconfigured:
    """Kept instead of the state when a setting is wrong: whoever asks for the state is told which."""

    error: ConfigError


def app_state(app: Flask | None = None) -> AppState:
    """Return the app's state (the current app's by default): the one way to reach it.

    Raise the ConfigError that stopped the state from being made, when one did.
    """
    state = (app or current_app).extensions[EXTENSION]
    if isinstance(state, Misconfigured):
        raise state.error
    return state
