"""The surge bench's baseline: a Flask app whose ``POST /sms`` answers empty TwiML, no more."""

from __future__ import annotations

from flask import Flask, Response

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def create_app() -> Flask:
    """Build the bare app: the floor any Flask webhook under gunicorn stands on."""
    app = Flask(__name__)

    @app.post("/sms")
    def inbound_text() -> Response:
        return Response(EMPTY_TWIML, mimetype="text/xml")

    return app
