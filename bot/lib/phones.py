"""Phone numbers: read what people type, tell whether it can get texts, mask what pages show."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType

from conversations import PhoneCheck

HIDDEN = "•"


def e164(raw: str, region: str | None = "US") -> str | None:
    """Return ``raw`` as E.164, or None; without a country code it is read as ``region``'s
    (None: a number must carry its country code)."""
    try:
        number = phonenumbers.parse(raw.removeprefix("whatsapp:"), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def masked(phone: str) -> str:
    """Show enough of ``phone`` to tell people apart, e.g. ``+1 404 •••-••23``."""
    try:
        number = phonenumbers.parse(phone.removeprefix("whatsapp:"), None)
    except phonenumbers.NumberParseException:
        return HIDDEN * 6 + phone[-2:]
    national = str(number.national_number)
    if number.country_code == 1 and len(national) == 10:
        # The area code says roughly where someone is; the last two tell neighbours apart.
        return f"+1 {national[:3]} {HIDDEN * 3}-{HIDDEN * 2}{national[-2:]}"
    return f"+{number.country_code} {HIDDEN * max(len(national) - 2, 1)}{national[-2:]}"


# Numbers that cannot get a text. U.S. numbers are mostly FIXED_LINE_OR_MOBILE (the plan does
# not tell them apart), which passes: the carrier's error 30006 catches the landlines among them.
NOT_TEXTABLE = frozenset(
    {
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.TOLL_FREE,
        PhoneNumberType.PREMIUM_RATE,
        PhoneNumberType.SHARED_COST,
        PhoneNumberType.PAGER,
        PhoneNumberType.UAN,
        PhoneNumberType.VOICEMAIL,
    }
)


# The United States and its territories that share its numbering plan.
US_REGIONS = frozenset({"US", "PR", "VI", "GU", "AS", "MP"})


class PhoneNumbers:
    """The engine's ``Phones``: libphonenumber's validity and number-type data."""

    def check(self, text: str) -> PhoneCheck:
        try:
            number = phonenumbers.parse(text, "US")
        except phonenumbers.NumberParseException:
            return PhoneCheck(None, "invalid")
        if not phonenumbers.is_valid_number(number):
            return PhoneCheck(None, "invalid")
        if phonenumbers.number_type(number) in NOT_TEXTABLE:
            return PhoneCheck(None, "not_mobile")
        # One rule for the form, paper sheets and ADD: the bot texts U.S. numbers only.
        if phonenumbers.region_code_for_number(number) not in US_REGIONS:
            return PhoneCheck(None, "invalid")
        return PhoneCheck(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def dashed(phone: str) -> str:
    """An E.164 U.S. number as 404-555-0123, to sit inside a sentence's own parentheses."""
    digits = phone.removeprefix("+1")
    if not (phone.startswith("+1") and len(digits) == 10 and digits.isdigit()):
        return national(phone)
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def national(phone: str) -> str:
    """Write an E.164 number the way its owner would, e.g. ``(404) 555-0123``."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    if number.country_code != 1:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
