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
        self._sync: dict[Callable, Callable] = {}

    def ensure_sync(self, func: Callable) -> Callable:
        try:
            return self._sync[func]
        except KeyError:
            sync = self._sync[func] = super().ensure_sync(func)
            return sync
        except TypeError:  # an unhashable callable: ask each time
            return super().ensure_sync(func)
