"""The REST API's errors: JSON with a stable ``code`` a program can branch on.

``{"error": {"code": "not_found", "message": "there is no campaign 'x'"}}``; the codes are
listed in docs/integrations.md and never change meaning.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

PREFIX = "/api/"
# The code for each status Werkzeug or Flask-Limiter raises on the API's paths.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
}


class ApiError(Exception):
    """Raised in a view: answered as a JSON error with this status and code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _api_error(error: ApiError) -> Response:
    return error_response(error.status, error.code, error.message)


def http_error(error: HTTPException) -> HTTPException | Response:
    # Only the API's paths answer in JSON; the dashboard's errors stay pages.
    if not request.path.startswith(PREFIX):
        return error
    status = error.code or 500
    response = error_response(status, CODES.get(status, "error"), error.description or "")
    for name in ("Retry-After", "Allow"):  # Flask-Limiter's and Werkzeug's, kept
        value = error.get_response().headers.get(name)
        if value:
            response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, http_error)
