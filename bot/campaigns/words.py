"""The words a new campaign starts with, what each message is called, and how long each runs.

A new campaign starts from neutral texts, not another campaign's: where a text must name this
campaign it says ``[title]`` or ``[target]``, filled from the campaign's own fields when it is
first saved. Saving a new campaign refuses texts that still carry another campaign's words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.lib.segments import Segments, measure
from conversations import CampaignScript

# What each message is, in an organizer's words, and when the bot sends it.
LABELS: dict[str, tuple[str, str]] = {
    "intro": ("Reply to the keyword", "the first text: what the petition asks, then the name"),
    "name_again": ("Asking again for the name", "when the reply was not a name"),
    "ask_zip": ("Asking for the ZIP code", "after the name"),
    "zip_again": ("Asking again for the ZIP code", "when the reply was not five digits"),
    "zip_unknown": ("A ZIP code that does not exist", "five digits, but no such ZIP"),
    "consent": ("Consent before signing", "the disclosure stored with the signature"),
    "consent_returning": (
        "Consent for someone we know",
        "a past signer's name and ZIP are offered again",
    ),
    "consent_again": ("Asking again for YES", "when the reply was neither YES nor NO"),
    "declined": ("After a NO", "nothing was signed"),
    "already_signed": ("Texting the keyword again", "for someone who already signed"),
    "give_up": ("Starting over", "after several replies the bot could not follow"),
    "confirmation": ("Thanks after signing", "sent once the signature is stored"),
    "menu_call": (
        "Line in the menu of petitions",
        "a few words after 'Text KEYWORD to …', for a text that is no keyword",
    ),
    "broadcast_reply": ("Thanks for a reply to a broadcast", "e.g. after YES to an RSVP"),
    "confirm_signup": (
        "Consent for someone a volunteer signed up",
        "they sign by replying YES; stored with the signature",
    ),
}

# Words every campaign may share; [title] and [target] are this campaign's own.
STARTING: dict[str, dict[str, str]] = {
    "en": {
        "intro": "[title]: add your name to the letter. What's your full name?",
        "name_again": "Sorry, I need your name for the letter. What's your full name? "
        "(e.g. Jane Doe)",
        "ask_zip": "Thanks, {first_name}! What's your 5-digit ZIP code?",
        "zip_again": "Please send your 5-digit ZIP code, like 30303.",
        "zip_unknown": "I couldn't find ZIP code {zip_code}. Please check it and send your "
        "5-digit ZIP code.",
        "consent": "{organization} will add {name} ({city}, {state}) to the letter to [target] and "
        "text you updates on this campaign, up to {messages_per_month} msgs/month. Msg & data "
        "rates may apply. Reply STOP to stop, HELP for help. Reply YES to sign.",
        "consent_returning": "Sign as {name}, {zip_code}? {organization} will add you to the "
        "letter to [target] and text you updates on this campaign, up to {messages_per_month} "
        "msgs/month. Msg & data rates may apply. Reply STOP to stop, HELP for help. Reply YES "
        "to sign.",
        "consent_again": "Please reply YES to sign the letter, or NO if you'd rather not.",
        "declined": "No problem, nothing was signed. Text {keyword} any time if you change "
        "your mind.",
        "already_signed": "You've already signed this one, {first_name}. Thank you! Ask a friend "
        "to text {keyword} to this number.",
        "give_up": "Sorry, I couldn't follow that. Text {keyword} to start over.",
        "confirmation": "Thanks, {first_name}, you're signer #{number} of the letter to [target]! "
        "Ask a friend to text {keyword} to this number to sign too.",
        "menu_call": "sign: [title]",
        "broadcast_reply": "Thanks, we got your reply! Reply HELP for help, STOP to stop.",
        "confirm_signup": "{volunteer} signed you up at {event}: {organization} will add {name} "
        "to the letter to [target] and text you updates on this campaign, up to "
        "{messages_per_month} msgs/month. Msg & data rates may apply. Reply STOP to stop, HELP "
        "for help. Reply YES to confirm.",
    },
    "es": {
        "intro": "[title]: agrega tu nombre a la carta. ¿Cuál es tu nombre completo?",
        "name_again": "Disculpa, necesito tu nombre para la carta. ¿Cuál es tu nombre completo? "
        "(p. ej., Ana López)",
        "ask_zip": "¡Gracias, {first_name}! ¿Cuál es tu código postal (ZIP) de 5 dígitos?",
        "zip_again": "Por favor, envía tu código postal de 5 dígitos, como 30303.",
        "zip_unknown": "No encontré el código postal {zip_code}. Revísalo y envía tu código "
        "postal de 5 dígitos.",
        "consent": "{organization} agregará a {name} ({city}, {state}) a la carta a [target] y "
        "te enviará novedades de esta campaña, hasta {messages_per_month} msjs/mes. Pueden "
        "aplicarse tarifas de mensajes y datos. Responde STOP/PARAR para cancelar, HELP/AYUDA "
        "para ayuda. Responde SÍ para firmar.",
        "consent_returning": "¿Firmas como {name}, {zip_code}? {organization} te agregará a la "
        "carta a [target] y te enviará novedades de esta campaña, hasta {messages_per_month} "
        "msjs/mes. Pueden aplicarse tarifas de mensajes y datos. Responde STOP/PARAR para "
        "cancelar, HELP/AYUDA para ayuda. Responde SÍ para firmar.",
        "consent_again": "Por favor, responde SÍ para firmar la carta, o NO si prefieres no "
        "hacerlo.",
        "declined": "No hay problema, no se firmó nada. Envía {keyword} cuando quieras si "
        "cambias de opinión.",
        "already_signed": "Ya firmaste esta carta, {first_name}. ¡Gracias! Invita a tus "
        "amistades a enviar {keyword} a este número.",
        "give_up": "Disculpa, no logré entenderte. Envía {keyword} para empezar de nuevo.",
        "confirmation": "¡Gracias, {first_name}! Tu firma es la #{number} en la carta a "
        "[target]. Invita a tus amistades a enviar {keyword} a este número.",
        "menu_call": "firmar: [title]",
        "broadcast_reply": "¡Gracias, recibimos tu respuesta! Responde AYUDA para ayuda, PARAR "
        "para cancelar.",
        "confirm_signup": "{volunteer} te inscribió en {event}: {organization} agregará a {name} "
        "a la carta a [target] y te enviará novedades, hasta {messages_per_month} msjs/mes. "
        "Pueden aplicarse tarifas de mensajes y datos. Responde STOP/PARAR para cancelar, "
        "HELP/AYUDA para ayuda, SÍ para confirmar.",
    },
}
_FILLED = re.compile(r"\[(title|target)\]")
# Typical values for the placeholders, to measure a text as a supporter gets it.
SAMPLE: dict[str, str] = {
    "first_name": "Alexandra",
    "name": "Alexandra Rodriguez",
    "zip_code": "30303",
    "city": "Atlanta",
    "state": "GA",
    "messages_per_month": "4",
    "keyword": "KEYWORD",
    "number": "12,345",
    "volunteer": "Alexandra",
    "event": "the rally",
}


def filled(data: dict[str, Any]) -> dict[str, Any]:
    """The campaign's data with [title] and [target] in its texts replaced by its own."""
    title = str(data.get("title") or "").strip()
    target = next((line.strip() for line in str(data.get("target") or "").splitlines()), "")
    values = {"title": title, "target": target.strip().rstrip(",")}
    messages = {
        language: {
            key: _FILLED.sub(lambda found: values[found[1]] or found[0], text)
            for key, text in texts.items()
        }
        for language, texts in (data.get("messages") or {}).items()
    }
    return {**data, "messages": messages}


def borrowed(data: Mapping[str, Any], others: Iterable[CampaignScript]) -> list[str]:
    """The texts of a new campaign that still carry another campaign's words, and whose."""
    found = []
    for other in others:
        if other.slug == data.get("slug"):
            continue
        marks = [other.title, *(line.strip() for line in other.target.splitlines()[:1])]
        for language, texts in (data.get("messages") or {}).items():
            theirs = other.messages.get(language, {})
            for key, text in texts.items():
                mine = text.strip()
                shared = STARTING.get(language, {}).get(key)
                copied = mine == theirs.get(key) and mine != shared
                if copied or any(mark and mark.lower() in mine.lower() for mark in marks):
                    found.append(f"{label(key)} ({language}) has the words of “{other.title}”")
    return found


def label(key: str) -> str:
    return LABELS.get(key, (key.replace("_", " "), ""))[0]


def sized(template: str, organization: str) -> Segments:
    """How a text runs on a phone, with typical names in its placeholders."""
    values = SAMPLE | {"organization": organization}
    try:
        return measure(template.format_map(values))
    except (KeyError, ValueError, IndexError):
        return measure(template)  # a placeholder the check refuses anyway: measure as typed
