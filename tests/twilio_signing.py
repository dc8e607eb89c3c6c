"""Sign webhooks the way Twilio does, so tests can forge genuine-looking Twilio requests.

Written from Twilio's "Secure webhooks" documentation rather than imported from the twilio package,
so that checking our app's validation against it is a real second opinion.

The signed string is the full URL (query string included) followed, for a POST, by each parameter
name and value with no delimiters, in Unix-style case-sensitive order of names. It is hashed with
HMAC-SHA1 keyed by the account's auth token and sent base64-encoded in `X-Twilio-Signature`.
"""

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping

SIGNATURE_HEADER = "X-Twilio-Signature"

# One value per name, or several when a name repeats (a MultiDict, or a list per name).
Params = Mapping[str, str | Iterable[str]]


def signature(auth_token: str, url: str, params: Params | None = None) -> str:
    """Return the X-Twilio-Signature Twilio would send for a POST of `params` to `url`."""
    params = params or {}
    signed = url
    for name in sorted(params):
        # A repeated name signs each distinct value in order, as both official helper libraries do.
        for value in sorted(set(_values(params, name))):
            signed += name + value
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed_headers(auth_token: str, url: str, params: Params | None = None) -> dict[str, str]:
    """Return the headers of a Twilio webhook POST of `params` to `url`."""
    return {
        SIGNATURE_HEADER: signature(auth_token, url, params),
        "Content-Type": "application/x-www-form-urlencoded",
    }


def _values(params: Params, name: str) -> list[str]:
    """Return every value of `name`, whether `params` is a MultiDict or a plain mapping."""
    getlist = getattr(params, "getlist", None)  # werkzeug's MultiDict, Django's QueryDict
    if getlist is not None:
        return list(getlist(name))
    value = params[name]
    return [value] if isinstance(value, str) else list(value)
