"""Webhook signatures as the Standard Webhooks specification defines them.

Each subscription has its own secret (``whsec_`` and 24 random bytes in base64); a request
carries ``webhook-id`` (the same on every retry of one event, so receivers drop repeats),
``webhook-timestamp`` (seconds since the epoch, of this try) and ``webhook-signature``, all
made by the specification's reference library.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signed_headers(secret: str, message_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """The headers that let a receiver check ``body`` came from us, unchanged, just now."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }
