"""One JSON error shape for every failure: {"error": "<message for a person>", ...}."""

from __future__ import annotations

from flask import Flask, current_app, jsonify
from werkzeug.exceptions import HTTPException

from ..stores.contract import CommentNotFound, StoreError

MESSAGES = {
    400: "the request could not be understood",
    401: "this needs a user name and password",
    403: "this request is not allowed",
    404: "there is nothing at this address",
    405: "this address does not take that method",
    413: "the request body is larger than this server takes",
    415: "unsupported content type",
    500: "the server failed to answer this request; the error is logged",
}


class APIError(Exception):
    """An expected failure answered with a JSON error."""

    def __init__(self, status: int, message: str, **extra) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def error_response(status: int, message: str | None = None, **extra):
    """Return a JSON error response with the given status."""
    body = {"error": message or MESSAGES.get(status, "error"), **extra}
    response = jsonify(body)
    response.status_code = status
    return response


def handle_api_error(error: APIError):
    return error_response(error.status, error.message, **error.extra)


def handle_not_found(error: CommentNotFound):
    return error_response(404, str(error))


def handle_store_error(error: StoreError):
    # The log has the path and the reason; the client a message without them.
    current_app.logger.error("%s", error.detail)
    return error_response(503, str(error))


def handle_http_exception(error: HTTPException):
    response = error_response(error.code or 500, MESSAGES.get(error.code))
    # Keep what werkzeug adds, such as Allow on a 405.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def handle_unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    current_app.logger.exception("unexpected error")
    return error_response(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(APIError, handle_api_error)
    app.register_error_handler(StoreError, handle_store_error)
    app.register_error_handler(CommentNotFound, handle_not_found)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
