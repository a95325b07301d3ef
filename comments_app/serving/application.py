"""The Flask class the factory builds: Flask, with its per-hook coroutine check remembered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask


class CommentsFlask(Flask):
    """Flask, remembering which hooks and views are plain functions.

    Flask calls ensure_sync on every before_request, after_request and teardown hook and
    on the view, for every request, and each call asks inspect whether the function is a
    coroutine: a dozen inspections per GET with this app's hooks, for an answer that never
    changes (docs/performance.md). Flask's documentation names ensure_sync as the method
    to override for how functions are run.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Keyed by the function itself: a class-based view passes a new bound method each
        # request, and only the function under it says whether it is a coroutine.
        self._plain: dict[Callable, bool] = {}

    def ensure_sync(self, func: Callable) -> Callable:
        key = getattr(func, "__func__", func)
        try:
            plain = self._plain[key]
        except KeyError:
            plain = self._plain[key] = super().ensure_sync(func) is func
        except TypeError:  # an unhashable callable: ask each time
            return super().ensure_sync(func)
        return func if plain else super().ensure_sync(func)
