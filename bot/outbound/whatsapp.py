"""WhatsApp's template rules: what an approved template may look like, and its values.

Outside the 24 hours after a person last wrote, WhatsApp carries only a template it approved
beforehand, with values put in at ``{{1}}``, ``{{2}}``…: one template per kind of message, its
fixed words approved once, and only what changes (a name, a signer's number, a link) as values.
WhatsApp refuses a template that starts or ends with a value or puts two values side by side,
and Twilio refuses a value over 255 characters; ``campaigns check`` applies the first rules to
each template a campaign names, and the send applies the last to each value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from conversations import WhatsAppTemplate
from store.statuses import MessageKind

# The kinds of message that may go outside the window, and the values each can fill. (A
# volunteer's sign-up request goes by SMS: an ADD enters a phone number, not a WhatsApp chat.)
TEMPLATE_VALUES: dict[str, frozenset[str]] = {
    MessageKind.CONFIRMATION: frozenset({"first_name", "number", "keyword"}),
    MessageKind.BROADCAST: frozenset({"first_name", "city", "link"}),
}
MAX_TEXT = 1024  # WhatsApp's limit on a template's body
MAX_VALUE = 255  # Twilio's limit on one content variable's value
_SID = re.compile(r"HX[0-9a-fA-F]{32}")
_VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_ADJACENT = re.compile(r"\}\}\s*\{\{")
_LINK = re.compile(r"https?://\S+")


class TemplateError(ValueError):
    """A template WhatsApp would not approve, or one the bot cannot fill; the text says why."""


def read_template(kind: str, data: Any) -> WhatsAppTemplate:
    """Check one campaign file entry ``whatsapp_templates.<kind>`` and build its template."""
    if kind not in TEMPLATE_VALUES:
        kinds = ", ".join(sorted(TEMPLATE_VALUES))
        raise TemplateError(f"{kind}: only these kinds of message use templates: {kinds}")
    if not isinstance(data, Mapping):
        raise TemplateError(
            f"{kind}: give content_sid, text (the approved words, with {{{{1}}}} where a value "
            "goes) and variables (what each number holds)"
        )
    sid, text, names = data.get("content_sid"), data.get("text"), data.get("variables") or []
    if not isinstance(sid, str) or not _SID.fullmatch(sid.strip()):
        raise TemplateError(f"{kind}: content_sid must be the template's HX… Content SID")
    if not isinstance(text, str) or not text.strip():
        raise TemplateError(f"{kind}: text must hold the approved template's words")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise TemplateError(f"{kind}: variables must be a list, like [first_name, number]")
    text = " ".join(text.split())
    _check_text(kind, text, len(names))
    unknown = sorted(set(names) - TEMPLATE_VALUES[kind])
    if unknown:
        allowed = ", ".join(sorted(TEMPLATE_VALUES[kind]))
        raise TemplateError(f"{kind}: the bot cannot fill {', '.join(unknown)}; it fills {allowed}")
    return WhatsAppTemplate(sid.strip(), text, tuple(names))


def _check_text(kind: str, text: str, count: int) -> None:
    if len(text) > MAX_TEXT:
        raise TemplateError(f"{kind}: text is {len(text)} characters; WhatsApp allows {MAX_TEXT}")
    found = _VARIABLE.findall(text)
    if sorted(set(found)) != sorted(str(n) for n in range(1, count + 1)):
        raise TemplateError(
            f"{kind}: text must use {{{{1}}}} to {{{{{count}}}}}, one for each of the variables"
        )
    if _VARIABLE.match(text) or re.search(r"\{\{[^{}]*\}\}$", text):
        raise TemplateError(f"{kind}: WhatsApp refuses a template that starts or ends with a value")
    if _ADJACENT.search(text):
        raise TemplateError(f"{kind}: WhatsApp refuses two values side by side; put words between")


def template_data(template: WhatsAppTemplate) -> dict[str, Any]:
    """The template as a campaign file holds it."""
    return {
        "content_sid": template.content_sid,
        "text": template.text,
        "variables": list(template.variables),
    }


def first_link(text: str) -> str:
    """The first web address in a broadcast's text, for a template's ``link``; "" if none."""
    found = _LINK.search(text)
    return found.group(0).rstrip(".,;:!?)") if found else ""


def content_variables(template: WhatsAppTemplate, values: Mapping[str, str]) -> dict[str, str]:
    """The template's values as Twilio takes them, ``{"1": …}``; TemplateError if one is
    missing, empty or too long, which WhatsApp would refuse."""
    filled = {}
    for number, name in enumerate(template.variables, 1):
        # WhatsApp refuses a value with a line break, a tab or a run of spaces.
        value = " ".join(str(values.get(name) or "").split())
        if not value or len(value) > MAX_VALUE:
            raise TemplateError(f"no value of at most {MAX_VALUE} characters for {name}")
        filled[str(number)] = value
    return filled
