"""The GSM-7 alphabet, and "smart encoding": texts kept in it, so they cost fewer segments.

One character outside GSM 03.38's alphabet makes a whole text UCS-2, where a segment holds 67
characters instead of 153: a curly apostrophe in a name turns a two-segment consent text into
four. So typographic punctuation becomes its plain GSM twin everywhere, and the letters of the
names put into a template ("Zoë" -> "Zoe", "Łukasz" -> "Lukasz") do too when the template
itself is GSM-7: there the one letter would cost the whole text double. A template written in
UCS-2 on purpose (Spanish with its accents) keeps every name as typed, and the organization's
own words are never respelled.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM = GSM_BASIC | GSM_EXTENSION

# Punctuation with a GSM twin, as Twilio's Smart Encoding replaces it.
PUNCTUATION = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′´ʼ`", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−•", "-"),
        **dict.fromkeys(
            "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
            "\u200a\u202f\u205f\u3000",
            " ",
        ),  # fmt: skip
        **dict.fromkeys("\u200b\u00ad\ufeff", ""),
        "…": "...",
        "‹": "<",
        "›": ">",
    }
)
# The values people type: names. The rest are the organization's words, or digits.
NAMES = frozenset({"name", "first_name", "volunteer"})
# Latin letters that do not decompose into a GSM letter and a mark.
LETTERS = {"œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ç": "c", "ı": "i",
           "ĸ": "k", "ŉ": "'n", "ſ": "s", "ŋ": "n", "Ŋ": "N"}  # fmt: skip
# The rest are named after their base letter: "LATIN SMALL LETTER L WITH STROKE" is an l.
_LATIN_NAME = re.compile(r"LATIN (CAPITAL|SMALL) (?:LETTER|LIGATURE) ([A-Z]{1,2})(?: WITH .*)?")


def is_gsm(text: str) -> bool:
    """Tell whether a text travels in GSM-7, the cheaper encoding."""
    return all(char in GSM for char in text)


def smart_punctuation(text: str) -> str:
    """Replace curly quotes, dashes, ellipses and odd spaces with their GSM twins."""
    return text.translate(PUNCTUATION)


def gsm_letters(text: str) -> str:
    """Spell Latin letters outside GSM-7 without their marks ("Zoë" -> "Zoe"); keep the rest."""
    return "".join(_gsm_letter(char) for char in smart_punctuation(text))


def _gsm_letter(char: str) -> str:
    if char in GSM:
        return char
    if char in LETTERS:
        return LETTERS[char]
    base = unicodedata.normalize("NFD", char)[0]
    named = _LATIN_NAME.fullmatch(unicodedata.name(char, ""))
    if named is None:
        return char  # not Latin: no spelling in GSM-7 to fall back on
    if base in GSM:
        return base
    letters = named[2]
    return letters.lower() if named[1] == "SMALL" else letters


def render(template: str, values: Mapping[str, object]) -> str:
    """Fill a template, keeping the text GSM-7 wherever the template itself is."""
    template = smart_punctuation(template)
    if is_gsm(template):
        values = {k: gsm_letters(str(v)) if k in NAMES else v for k, v in values.items()}
    return smart_punctuation(template.format_map(values))
