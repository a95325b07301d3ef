"""GET /healthz: 200 once the store answers, 503 otherwise, for platforms' health checks."""

from __future__ import annotations

from flask import Blueprint, current_app

from .errors import error_response
from .stores import StoreError

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    store = current_app.extensions["comments_store"]
    try:
        store.snapshot()
    except StoreError as error:
        current_app.logger.error("health check failed: %s", error)
        return error_response(503, str(error))
    return {"status": "ok", "store": type(store).__name__}
