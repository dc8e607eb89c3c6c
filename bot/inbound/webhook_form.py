"""Whether a webhook's fields read as Twilio sends them: refuse the ones that do not.

Twilio signs the URL followed by each field's name and value, sorted, with nothing between
them. So a captured request can be reshaped and keep its signature: a field's name and value
moved into the value before it (``MessageSid=SM…NumMedia0`` with ``NumMedia`` left out) sign
the same. Twilio's own values have strict shapes (a SID is two letters and 32 hex digits, a
count is digits), so a value that swallowed another field no longer fits its shape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_HEX32 = "[0-9a-fA-F]{32}"
MESSAGE_SID = re.compile(f"(SM|MM|SMS){_HEX32}")
# The fields the bot reads, and the shape of each as Twilio sends it. Others are ignored.
SHAPES = {
    "AccountSid": re.compile(f"AC{_HEX32}"),
    "MessagingServiceSid": re.compile(f"MG{_HEX32}"),
    "NumMedia": re.compile("[0-9]{1,2}"),
    "ErrorCode": re.compile("[0-9]{1,9}"),
    "To": re.compile(r"(whatsapp:)?\+?[0-9]{3,15}"),  # E.164, or a short code
}


def message_sid(form: Mapping[str, str], *names: str) -> str | None:
    """The message's SID, from the first of ``names`` that is given; None if none is."""
    return next((form[name] for name in names if form.get(name)), None)


def misshapen(form: Mapping[str, str], sid: str | None, required: tuple[str, ...]) -> str | None:
    """What is wrong with ``form`` (a sentence for the 400), or None when it reads as Twilio's."""
    missing = [name for name in required if not form.get(name)]
    if sid is None:
        missing.insert(0, "MessageSid")
    if missing:
        return f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} required"
    if not MESSAGE_SID.fullmatch(sid or ""):
        return "MessageSid is not a message SID"
    for name, shape in SHAPES.items():
        value = form.get(name)
        if value and not shape.fullmatch(value):
            return f"{name} is not as Twilio sends it"
    return None
