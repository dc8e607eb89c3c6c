"""The values the engine reads and returns: campaigns, state, inbound texts, effects.

All frozen, all plain data, so a conversation can be replayed as a transcript.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, Protocol

from conversations.gsm import render
from conversations.revocation import cause_words


@dataclass(frozen=True)
class Organization:
    """Who runs the bot: named in the consent disclosure and the menu."""

    name: str
    support_contact: str
    messages: Mapping[str, Mapping[str, str]]  # language -> message name -> template
    # The privacy policy and terms, named in HELP and on event signs: the organization's own
    # pages, or the bot's /privacy and /terms written from this file.
    privacy_url: str = "/privacy"
    terms_url: str = "/terms"

    def say(self, language: str, key: str, **values: object) -> str:
        return _render(self.messages, language, key, values)


@dataclass(frozen=True)
class WhatsAppTemplate:
    """An approved WhatsApp template: its Content SID, its words with ``{{1}}``… where values
    go, and the value each number takes (``variables[0]`` is ``{{1}}``)."""

    content_sid: str
    text: str
    variables: tuple[str, ...] = ()


@dataclass(frozen=True)
class CampaignScript:
    """One petition, as written in its campaign file under ``campaigns/``: what the bot says.

    The database's row for it is ``store.models.Campaign`` (its id and signature count).
    """

    slug: str
    title: str
    target: str
    letter: str
    demands: tuple[str, ...]
    keywords: Mapping[str, str]  # language -> keyword, e.g. {"en": "FACES", "es": "CARAS"}
    active: bool
    messages_per_month: int
    messages: Mapping[str, Mapping[str, str]]  # language -> message name -> template
    # Message kind (e.g. "confirmation") -> its approved WhatsApp template, used when the
    # person last wrote more than 24 hours ago and free-form text is not allowed.
    whatsapp_templates: Mapping[str, WhatsAppTemplate] = field(default_factory=dict)
    # Words of the cause its texts do not use, so "stop the surveillance" reads as support.
    more_cause_words: tuple[str, ...] = ()

    def say(self, language: str, key: str, **values: object) -> str:
        return _render(self.messages, language, key, values)

    def say_on(self, channel: str, language: str, key: str, **values: object) -> str:
        """``say``, in the channel's own words where the campaign has them (``<key>_whatsapp``)."""
        own = f"{key}_{channel}"
        templates = self.messages.get(language) or self.messages["en"]
        return self.say(language, own if own in templates else key, **values)

    @cached_property
    def cause(self) -> frozenset[str]:
        """The words that name this campaign's cause: "stop <them>" is no request to us."""
        calls = [m["menu_call"] for m in self.messages.values() if "menu_call" in m]
        return cause_words([self.title, *self.demands, *calls, *self.more_cause_words])

    @property
    def keyword(self) -> str:
        """The English keyword: the one on posters and in exports."""
        return self.keywords["en"]

    def keyword_in(self, language: str) -> str:
        return self.keywords.get(language, self.keyword)


def _render(
    catalog: Mapping[str, Mapping[str, str]], language: str, key: str, values: Mapping[str, object]
) -> str:
    templates = catalog.get(language) or catalog["en"]
    return render(templates[key], values)


@dataclass(frozen=True)
class Catalog:
    """Every campaign the bot knows, and the organization behind them."""

    organization: Organization
    campaigns: tuple[CampaignScript, ...]

    @property
    def active(self) -> tuple[CampaignScript, ...]:
        return tuple(c for c in self.campaigns if c.active)

    @cached_property
    def cause(self) -> frozenset[str]:
        """The cause words of every open campaign: a text to the number may speak of any."""
        return frozenset().union(*(c.cause for c in self.active))

    def by_slug(self, slug: str) -> CampaignScript | None:
        return next((c for c in self.campaigns if c.slug == slug), None)

    @property
    def messages_per_month(self) -> int:
        """The most texts a month any campaign promises: what HELP says outside a campaign."""
        return max((c.messages_per_month for c in self.active), default=0)

    def by_keyword(self, word: str) -> tuple[CampaignScript, str] | None:
        """Return the active campaign whose keyword is ``word`` (normalized), and its language."""
        for campaign in self.active:
            for language, keyword in campaign.keywords.items():
                if keyword.casefold() == word:
                    return campaign, language
        return None


@dataclass(frozen=True)
class Place:
    """A U.S. ZIP code and what it tells us: city, state and time zone."""

    zip_code: str
    city: str
    state: str
    time_zone: str


class Places(Protocol):
    """Looks up a five-digit ZIP code in real ZIP data."""

    def lookup(self, zip_code: str) -> Place | None: ...


@dataclass(frozen=True)
class PhoneCheck:
    """A phone number as typed, read: E.164 if it can get texts, else why not."""

    number: str | None  # E.164
    problem: str | None = None  # "invalid", or "not_mobile" (a landline, toll-free…)


class Phones(Protocol):
    """Reads a phone number as people write it, and tells whether it can get texts."""

    def check(self, text: str) -> PhoneCheck: ...


@dataclass(frozen=True)
class EventKeyword:
    """The event whose own keyword (e.g. FACESATL) was texted: it starts its campaign."""

    slug: str
    campaign: str


@dataclass(frozen=True)
class VolunteerFacts:
    """The registered volunteer texting, and the event they sign people up at."""

    id: int
    name: str
    event: str  # the event's slug
    campaign: str


@dataclass(frozen=True)
class PendingSignup:
    """A volunteer signed this phone up; it counts only once the person replies YES."""

    id: int
    campaign: str
    name: str
    place: Place
    source: str  # the event's slug
    disclosure: str  # the confirmation request exactly as it was sent
    language: str = "en"


@dataclass(frozen=True)
class SupporterFacts:
    """What the database already knows about the phone that is texting."""

    name: str | None = None
    place: Place | None = None
    signed: frozenset[str] = frozenset()  # campaign slugs
    language: str | None = None
    opted_out: bool = False
    # The phone opted out after this text was sent (it is handled late): the text cannot
    # undo that, whatever it says.
    opted_out_later: bool = False


@dataclass(frozen=True)
class Inbound:
    """One text from a supporter."""

    body: str
    channel: str = "sms"
    # Twilio's Advanced Opt-Out already handled this text as STOP, START or HELP (OptOutType).
    carrier_keyword: str | None = None


class Stage(StrEnum):
    ASKING_NAME = "asking_name"
    ASKING_ZIP = "asking_zip"
    ASKING_CONSENT = "asking_consent"


@dataclass(frozen=True)
class State:
    """Where one phone's conversation stands. ``None`` means no conversation."""

    stage: Stage
    campaign: str
    language: str = "en"
    name: str | None = None
    place: Place | None = None
    # The consent text exactly as it was shown, so the signature stores what was agreed to.
    disclosure: str | None = None
    misses: int = 0
    # Where the signature comes from when it is not the channel: an event's slug.
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage.value,
            "campaign": self.campaign,
            "language": self.language,
            "name": self.name,
            "place": None if self.place is None else vars(self.place),
            "disclosure": self.disclosure,
            "misses": self.misses,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> State:
        place = data.get("place")
        return cls(
            stage=Stage(data["stage"]),
            campaign=data["campaign"],
            language=data.get("language", "en"),
            name=data.get("name"),
            place=None if place is None else Place(**place),
            disclosure=data.get("disclosure"),
            misses=int(data.get("misses", 0)),
            source=data.get("source"),
        )


# The kind of the reply that confirms an opt-out: the one text that may still go to the phone.
OPT_OUT_CONFIRMATION = "opt_out_confirmation"


@dataclass(frozen=True)
class Reply:
    """Answer the supporter right away, in the webhook's TwiML."""

    text: str
    kind: str = "reply"  # or OPT_OUT_CONFIRMATION, which the send rules let through once


@dataclass(frozen=True)
class RecordSignature:
    """The supporter said YES: record their consent, then sign and confirm."""

    campaign: str
    name: str
    place: Place
    disclosure: str
    language: str = "en"
    source: str | None = None  # an event's slug; None: the channel it came by
    signup: int | None = None  # the volunteer's sign-up this YES confirms


@dataclass(frozen=True)
class SignUp:
    """A volunteer entered someone: text that person to confirm with YES, and tell the volunteer."""

    phone: str  # E.164
    name: str
    place: Place
    event: str  # the event's slug
    volunteer: int
    language: str = "en"  # the volunteer's, for the answer they get


@dataclass(frozen=True)
class EndSignup:
    """The person said NO or STOP to a volunteer's sign-up: it is over, nothing signed."""

    signup: int
    status: str  # declined, stopped


@dataclass(frozen=True)
class RecordOptOut:
    """The supporter asked to stop: record it, and send them nothing more."""

    language: str = "en"
    # "Wrong number": the phone changed hands, so what we know of it is someone else's.
    reassigned: bool = False


@dataclass(frozen=True)
class RecordOptIn:
    """A supporter who had stopped asked to hear from us again."""

    language: str = "en"


@dataclass(frozen=True)
class RememberLanguage:
    """The supporter chose a language: every later message to them uses it."""

    language: str


@dataclass(frozen=True)
class Progress:
    """The supporter reached a step of the campaign's funnel: keyword, name, zip, signed."""

    campaign: str
    step: str


@dataclass(frozen=True)
class BroadcastReply:
    """The text answers a broadcast of this campaign (e.g. YES to an RSVP): file it there."""

    campaign: str


Effect = (
    Reply
    | RecordSignature
    | RecordOptOut
    | RecordOptIn
    | RememberLanguage
    | Progress
    | SignUp
    | EndSignup
    | BroadcastReply
)


@dataclass(frozen=True)
class Turn:
    """What one inbound text did: the next state and the effects to apply."""

    state: State | None
    effects: tuple[Effect, ...] = field(default_factory=tuple)
