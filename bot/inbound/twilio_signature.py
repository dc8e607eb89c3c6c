"""Check that a webhook really comes from Twilio, and is not a reshaped copy of one it sent."""

from __future__ import annotations

import hashlib

from flask import Request
from redis import Redis
from redis.exceptions import RedisError
from twilio.request_validator import RequestValidator

TOKEN_HEADER = "I-Twilio-Idempotency-Token"
# Twilio retries a webhook within minutes; a day keeps well clear of its last retry.
TOKEN_SECONDS = 24 * 3600


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


def changed_since_first_delivery(redis: Redis, request: Request) -> bool:
    """Whether Twilio's idempotency token came before with other fields: a reshaped replay.

    Twilio sends the same token with each retry of one webhook, and the same fields. The
    first delivery's fields are remembered under its token; a retry must match them. Without
    Redis the check is skipped: the shapes of the fields (webhook_form) still hold.
    """
    token = request.headers.get(TOKEN_HEADER)
    if not token:
        return False
    fields = [request.full_path] + [f"{k}\0{v}" for k, v in sorted(request.form.items(multi=True))]
    fingerprint = hashlib.sha256("\0\0".join(fields).encode("utf-8", "replace")).hexdigest()
    key = "webhook-token:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
    try:
        if redis.set(key, fingerprint, nx=True, ex=TOKEN_SECONDS):
            return False
        first = redis.get(key)
    except RedisError:
        return False
    return first is not None and first != fingerprint.encode()
