"""Error pages that look like the rest of the dashboard, with its menu, in words people use.

Twilio's webhooks, the health check and JSON callers keep the plain answers they expect, and
the REST API its JSON errors.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from bot.api import errors as api_errors

# Blueprints whose callers are machines: they get werkzeug's own short answers.
MACHINES = frozenset({"webhooks", "health", "simulator"})
WORDS = {
    403: ("Not for your account", "Your account's role cannot open this page. Ask an admin."),
    404: ("Not found", "There is no such page, or what it showed was removed."),
    500: (
        "Something went wrong",
        "The bot hit an error and logged it. Nothing you did caused it; try again in a moment.",
    ),
}


def _page(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    if request.path.startswith(api_errors.PREFIX):
        # A handler for a status wins over the API's for every HTTP error: hand it back.
        return api_errors.http_error(error)
    if request.blueprint in MACHINES or request.accept_mimetypes.best == "application/json":
        return error
    title, words = WORDS.get(code, (error.name, error.description or ""))
    detail = error.description if code not in WORDS else None
    return render_template("error.html", title=title, words=words, detail=detail), code


def init_app(app: Flask) -> None:
    # 500 also catches what a view did not expect: Flask hands it over as InternalServerError.
    for code in WORDS:
        app.register_error_handler(code, _page)
