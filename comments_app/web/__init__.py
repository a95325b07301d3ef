"""The web layer: HTTP plumbing, the guards attached from outside, the API and the page.

Plumbing (this folder): errors.py (one JSON error shape), bodies.py (the request body,
read once), codings.py (content codings and compressed answers), prefer.py, headers.py
(the headers every answer carries), endpoints.py (names spelled once), pages.py (the page).
The API's blueprints are in api/, the guards in guards/.
"""

from __future__ import annotations

from flask import Flask

from ..state import AppState
from . import api, errors, guards, headers, mail_pages, pages
from .bodies import CommentsRequest


def init_app(app: Flask, state: AppState) -> None:
    """Make the app speak the API: plumbing first, then the guards, then the blueprints."""
    app.request_class = CommentsRequest
    errors.init_app(app)
    headers.init_app(app, state.settings)
    guards.init_app(app, state)
    api.init_app(app)
    pages.init_app(app)
    mail_pages.init_app(app)
