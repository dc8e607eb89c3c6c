"""Load campaign files (YAML) into the engine's frozen Catalog, and check them."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.outbound.whatsapp import TemplateError, read_template, template_data
from conversations import CampaignScript, Catalog, Organization, WhatsAppTemplate

ORGANIZATION_FILE = "organization.yaml"
PLACEHOLDER_CONTACT = "help@example.org"  # as shipped in organization.yaml

# The placeholders each message may use: the bot fills exactly these.
CAMPAIGN_MESSAGES: dict[str, set[str]] = {
    "intro": set(),
    "name_again": set(),
    "ask_zip": {"first_name"},
    "zip_again": set(),
    "zip_unknown": {"zip_code"},
    "consent": {"organization", "name", "zip_code", "city", "state", "messages_per_month"},
    "consent_returning": {
        "organization",
        "name",
        "zip_code",
        "city",
        "state",
        "messages_per_month",
    },
    "consent_again": set(),
    "declined": {"keyword"},
    "already_signed": {"first_name", "keyword"},
    "give_up": {"keyword"},
    "confirmation": {"first_name", "number", "keyword"},
    "menu_call": set(),
    # The thanks for an answer to a broadcast ("YES" to an RSVP), which is filed with it.
    "broadcast_reply": set(),
    # A volunteer signed someone up: it counts once they reply YES. The consent disclosure.
    "confirm_signup": {
        "first_name",
        "volunteer",
        "event",
        "organization",
        "name",
        "zip_code",
        "city",
        "state",
        "messages_per_month",
    },
}
# A campaign's own words on WhatsApp, where its SMS words would mislead ("msgs", "Msg & data
# rates"); optional: without them WhatsApp gets the SMS words.
WHATSAPP_MESSAGES: dict[str, set[str]] = {
    "consent_whatsapp": CAMPAIGN_MESSAGES["consent"],
    "consent_returning_whatsapp": CAMPAIGN_MESSAGES["consent_returning"],
}
ORGANIZATION_MESSAGES: dict[str, set[str]] = {
    "menu": {"organization", "lines"},
    "menu_line": {"keyword", "call"},
    "menu_empty": {"organization"},
    "help": {"organization", "support_contact", "messages_per_month", "privacy_url"},
    "opted_out": {"organization"},
    "opted_in": {"organization", "messages_per_month"},
    "wrong_number": {"organization"},
    "who_we_are": {"organization", "support_contact", "keyword"},
    "who_we_are_signup": {"organization", "support_contact"},
    # A name past what the letter holds: say the limit rather than ask for a name again.
    "name_too_long": {"limit"},
    "opted_out_keyword": {"organization", "keyword"},
    # Answers to a volunteer's ADD, and who signed someone up when no volunteer is named.
    "signup_sent": {"first_name", "phone"},
    "signup_already_signed": {"first_name", "phone"},
    "signup_already_waiting": {"first_name", "phone"},
    "signup_opted_out": {"first_name", "phone"},
    "signup_closed": set(),
    "signup_volunteers_only": set(),
    "signup_usage": set(),
    "signup_invalid_phone": {"phone"},
    "signup_not_mobile": {"phone"},
    "signup_unknown_zip": {"zip_code"},
    "signup_someone": set(),
}


class CampaignFileError(ValueError):
    """A campaign file is malformed; the message names the file and the problem."""


class _StringsLoader(yaml.SafeLoader):
    """YAML 1.1 reads yes/no/on/off as booleans; here they are SMS keywords, so keep strings."""


_StringsLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_catalog(
    directory: str | Path, edited: Iterable[Mapping[str, Any]] = (), public_base_url: str = ""
) -> Catalog:
    """Read the organization file and every campaign file in ``directory``.

    ``edited`` holds campaigns as organizers saved them in the dashboard: each replaces the
    file of the same slug, or adds a campaign that has no file. The bot's own privacy and
    terms pages are at ``public_base_url``.
    """
    folder = Path(directory)
    organization = _organization(folder / ORGANIZATION_FILE, public_base_url)
    by_slug = {
        path.stem: _campaign(path)
        for path in sorted(folder.glob("*.yaml"))
        if path.name != ORGANIZATION_FILE
    }
    for data in edited:
        data = _with_new_messages(data, by_slug.get(str(data.get("slug"))))
        campaign = campaign_from_data(data, where=f"saved campaign {data.get('slug')!r}")
        by_slug[campaign.slug] = campaign
    campaigns = tuple(by_slug.values())
    _check_unique(campaigns)
    return Catalog(organization, campaigns)


def _with_new_messages(data: Mapping[str, Any], file: CampaignScript | None) -> Mapping[str, Any]:
    """Saved data, with the file's words for any message a later release added."""
    # A campaign saved in the dashboard before a release added a message (confirm_signup)
    # lacks it; the file's words stand in until an organizer saves it again.
    saved = data.get("messages")
    if file is None or not isinstance(saved, dict):
        return data
    messages = {
        language: {**file.messages.get(language, {}), **templates}
        if isinstance(templates, dict)
        else templates
        for language, templates in saved.items()
    }
    return {**data, "messages": messages}


def campaign_data(campaign: CampaignScript) -> dict[str, Any]:
    """The campaign as a campaign file holds it: what ``campaign_from_data`` reads back."""
    data: dict[str, Any] = {
        "slug": campaign.slug,
        "title": campaign.title,
        "keywords": dict(campaign.keywords),
        "active": campaign.active,
        "messages_per_month": campaign.messages_per_month,
        "target": campaign.target,
        "demands": list(campaign.demands),
        "letter": campaign.letter,
        "messages": {language: dict(m) for language, m in campaign.messages.items()},
    }
    if campaign.whatsapp_templates:
        data["whatsapp_templates"] = {
            kind: template_data(template) for kind, template in campaign.whatsapp_templates.items()
        }
    if campaign.more_cause_words:
        data["cause_words"] = list(campaign.more_cause_words)
    return data


class _CampaignDumper(yaml.SafeDumper):
    """Writes a letter or an address as a block, the way a person writes the file."""


def _text_block(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_CampaignDumper.add_representer(str, _text_block)


def dump_yaml(data: Mapping[str, Any]) -> str:
    """Write campaign data as YAML for a campaign file, keeping the order of its keys."""
    return yaml.dump(
        dict(data), Dumper=_CampaignDumper, allow_unicode=True, sort_keys=False, width=100
    )


def read_yaml(path: Path) -> Mapping[str, Any]:
    """Read a campaign or organization file, keeping SMS words like YES and NO as text."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StringsLoader)
    except (OSError, yaml.YAMLError) as error:
        raise CampaignFileError(f"{path}: {error}") from error
    if not isinstance(data, dict):
        raise CampaignFileError(f"{path}: expected a mapping at the top level")
    return data


def load_organization(directory: str | Path, public_base_url: str = "") -> Organization:
    """Read the organization file alone."""
    return _organization(Path(directory) / ORGANIZATION_FILE, public_base_url)


def _organization(path: Path, public_base_url: str) -> Organization:
    data = read_yaml(path)
    messages = _messages(path, data, ORGANIZATION_MESSAGES)
    return Organization(
        name=_text(path, data, "name"),
        support_contact=_text(path, data, "support_contact"),
        messages=messages,
        privacy_url=_url(path, data, "privacy_url") or f"{public_base_url}/privacy",
        terms_url=_url(path, data, "terms_url") or f"{public_base_url}/terms",
    )


def _url(path: Path, data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.fullmatch(r"https?://\S+", value.strip()):
        raise CampaignFileError(f"{path}: {key} must be a web address (https://…), or left out")
    return value.strip()


def organization_warnings(organization: Organization) -> list[str]:
    """What in the organization file is still as shipped, and must be edited before going live."""
    if organization.support_contact.strip().casefold() == PLACEHOLDER_CONTACT:
        return [
            f"support_contact is still the example {PLACEHOLDER_CONTACT}: HELP, the privacy "
            "policy and the terms would send people there"
        ]
    return []


def _campaign(path: Path) -> CampaignScript:
    campaign = campaign_from_data(read_yaml(path), where=str(path))
    if campaign.slug != path.stem:
        raise CampaignFileError(f"{path}: slug {campaign.slug!r} must match the file name")
    return campaign


def campaign_from_data(data: Mapping[str, Any], where: str) -> CampaignScript:
    """Check campaign data (a file's, or the dashboard's) and build the campaign; ``where``
    names its source in errors."""
    path = where
    slug = _text(path, data, "slug")
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug):
        raise CampaignFileError(f"{path}: slug {slug!r} must be lower-case words joined by -")
    keywords = _keywords(path, data)
    demands = data.get("demands")
    if not isinstance(demands, list) or not all(isinstance(d, str) for d in demands):
        raise CampaignFileError(f"{path}: demands must be a list of texts")
    active = data.get("active", True)
    if active not in ("true", "false", True, False):
        raise CampaignFileError(f"{path}: active must be true or false")
    per_month = data.get("messages_per_month")
    if not isinstance(per_month, int) or per_month < 1:
        raise CampaignFileError(f"{path}: messages_per_month must be a positive whole number")
    return CampaignScript(
        slug=slug,
        title=_text(path, data, "title"),
        target=_text(path, data, "target").strip(),
        letter=_text(path, data, "letter").strip(),
        demands=tuple(" ".join(d.split()) for d in demands),
        keywords=keywords,
        active=active in ("true", True),
        messages_per_month=per_month,
        messages=_messages(path, data, CAMPAIGN_MESSAGES, WHATSAPP_MESSAGES),
        whatsapp_templates=_whatsapp_templates(path, data),
        more_cause_words=_cause_words(path, data),
    )


def _cause_words(path: str | Path, data: Mapping[str, Any]) -> tuple[str, ...]:
    words = data.get("cause_words") or []
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise CampaignFileError(f"{path}: cause_words must be a list of words")
    return tuple(words)


def _whatsapp_templates(path: str | Path, data: Mapping[str, Any]) -> dict[str, WhatsAppTemplate]:
    templates = data.get("whatsapp_templates") or {}
    if not isinstance(templates, dict):
        raise CampaignFileError(f"{path}: whatsapp_templates maps a kind of message to a template")
    try:
        return {str(kind): read_template(str(kind), entry) for kind, entry in templates.items()}
    except TemplateError as error:
        raise CampaignFileError(f"{path}: whatsapp_templates.{error}") from None


def _keywords(path: str | Path, data: Mapping[str, Any]) -> dict[str, str]:
    keywords = data.get("keywords")
    if not isinstance(keywords, dict) or "en" not in keywords:
        raise CampaignFileError(f"{path}: keywords must map languages to keywords, with 'en'")
    for language, keyword in keywords.items():
        if not isinstance(keyword, str) or not keyword.isalnum():
            raise CampaignFileError(
                f"{path}: keyword {keyword!r} ({language}) must be letters and digits only"
            )
    return {str(language): keyword.upper() for language, keyword in keywords.items()}


def _text(path: str | Path, data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CampaignFileError(f"{path}: {key} must be a non-empty text")
    return value


def _messages(
    path: str | Path,
    data: Mapping[str, Any],
    expected: Mapping[str, set[str]],
    optional: Mapping[str, set[str]] | None = None,
) -> dict[str, dict[str, str]]:
    known = {**expected, **(optional or {})}
    catalog = data.get("messages")
    if not isinstance(catalog, dict) or "en" not in catalog:
        raise CampaignFileError(f"{path}: messages must have an 'en' section")
    result: dict[str, dict[str, str]] = {}
    for language, templates in catalog.items():
        if not isinstance(templates, dict):
            raise CampaignFileError(f"{path}: messages.{language} must be a mapping")
        missing = sorted(set(expected) - set(templates))
        if missing:
            raise CampaignFileError(f"{path}: messages.{language} lacks {', '.join(missing)}")
        for key, template in templates.items():
            if key not in known:
                raise CampaignFileError(f"{path}: messages.{language}.{key} is not a known message")
            used = _placeholders(path, f"{language}.{key}", template)
            unknown = used - known[key]
            if unknown:
                raise CampaignFileError(
                    f"{path}: messages.{language}.{key} uses unknown "
                    f"{{{', '.join(sorted(unknown))}}}; it may use {sorted(known[key])}"
                )
        result[str(language)] = {k: " ".join(str(v).split()) for k, v in templates.items()}
    return result


def _placeholders(path: str | Path, where: str, template: object) -> set[str]:
    if not isinstance(template, str) or not template.strip():
        raise CampaignFileError(f"{path}: messages.{where} must be a non-empty text")
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as error:
        raise CampaignFileError(f"{path}: messages.{where}: {error}") from error


def _check_unique(campaigns: tuple[CampaignScript, ...]) -> None:
    seen: dict[str, str] = {}
    for campaign in campaigns:
        if not campaign.active:
            continue
        for keyword in campaign.keywords.values():
            if keyword in seen and seen[keyword] != campaign.slug:
                raise CampaignFileError(
                    f"keyword {keyword} is used by both {seen[keyword]} and {campaign.slug}"
                )
            seen[keyword] = campaign.slug
