"""Check that a webhook really comes from Twilio: the X-Twilio-Signature header."""

from __future__ import annotations

from flask import Request
from twilio.request_validator import RequestValidator


def signed_by_twilio(request: Request, auth_token: str, public_base_url: str) -> bool:
    """Whether the request carries Twilio's signature of the URL Twilio was told to call.

    Behind a proxy the app sees its own host, so the URL is rebuilt from PUBLIC_BASE_URL.
    """
    signature = request.headers.get("X-Twilio-Signature", "")
    # An empty token signs like a published one: anyone could compute the signature.
    if not signature or not auth_token:
        return False
    url = public_base_url.rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return bool(RequestValidator(auth_token).validate(url, request.form, signature))
