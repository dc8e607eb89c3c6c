"""Conversations as transcripts, run against the pure engine with the real campaign files.

A transcript is a text file in ``transcripts/``:

    # comment
    given supporter Jane Doe 30303        (the database knows this phone's name and ZIP)
    given signed doj-face-recognition     (this phone signed that campaign already)
    given opted out                       (this phone said STOP before)
    given opted out after this text       (this phone said STOP after the texts that follow)
    given language es                     (this supporter chose Spanish before)
    given event FACESATL atlanta-rally    (an event of doj-face-recognition has that keyword)
    given volunteer Maria Lopez at atlanta-rally   (this phone is that event's volunteer)
    given pending signup Jane Doe 30303 at atlanta-rally   (a volunteer signed this phone up)
    given broadcast doj-face-recognition  (a broadcast of that campaign reached this phone lately)
    given channel whatsapp                (the texts that follow come by WhatsApp)
    > FACES                               (the supporter texts)
    < What's your full name?              (the bot replies with text containing this)
    = signed Jane Doe 30303 Atlanta GA    (the turn records a signature with these facts)
    = no reply                            (the turn sends nothing back)
    = over                                (the conversation has ended)
    = opted out                           (the turn records an opt-out)
    = wrong number                        (the opt-out says the phone changed hands)
    = opted in                            (the turn records an opt-back-in)
    = not opted out                       (the turn records no opt-out)
    = not opted in                        (the turn records no opt-back-in)
    = source atlanta-rally                (the signature is attributed to that event, or "channel")
    = confirms the sign-up                (the signature is the pending sign-up's YES)
    = ends the sign-up declined           (the pending sign-up is over: declined or stopped)
    = signs up +14045550123 Jane Doe 30303 at atlanta-rally   (a volunteer's ADD)
    = nobody signed up                    (no ADD took effect)
    = conversation open                   (the conversation keeps its place)
    = broadcast reply doj-face-recognition   (the text is filed as an answer to that broadcast)
    = no broadcast reply                  (the text is not filed with a broadcast)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from bot.campaigns.files import load_catalog
from bot.lib.phones import PhoneNumbers
from bot.lib.places import ZipCodes
from conversations import (
    BroadcastReply,
    EndSignup,
    EventKeyword,
    Inbound,
    PendingSignup,
    RecordOptIn,
    RecordOptOut,
    RecordSignature,
    Reply,
    SignUp,
    State,
    SupporterFacts,
    Turn,
    VolunteerFacts,
    World,
    step,
)
from conversations.parsing import first_name, normalize_word

HERE = Path(__file__).parent
CATALOG = load_catalog(HERE.parents[1] / "campaigns")
PLACES = ZipCodes()
PHONES = PhoneNumbers()
CAMPAIGN = "doj-face-recognition"


@dataclass
class Run:
    supporter: SupporterFacts = field(default_factory=SupporterFacts)
    state: State | None = None
    turn: Turn | None = None
    events: dict[str, EventKeyword] = field(default_factory=dict)  # by normalized keyword
    volunteer: VolunteerFacts | None = None
    pending: PendingSignup | None = None
    broadcast: str | None = None  # the campaign whose broadcast reached this phone lately
    channel: str = "sms"


def _given(run: Run, words: list[str]) -> None:
    if words[0] == "supporter":
        place = PLACES.lookup(words[-1])
        run.supporter = replace(run.supporter, name=" ".join(words[1:-1]), place=place)
    elif words[0] == "signed":
        run.supporter = replace(run.supporter, signed=run.supporter.signed | {words[1]})
    elif words == ["opted", "out"]:
        run.supporter = replace(run.supporter, opted_out=True)
    elif words == ["opted", "out", "after", "this", "text"]:
        run.supporter = replace(run.supporter, opted_out=True, opted_out_later=True)
    elif words[0] == "language":
        run.supporter = replace(run.supporter, language=words[1])
    elif words[0] == "event":
        campaign = words[3] if len(words) > 3 else CAMPAIGN
        run.events[normalize_word(words[1])] = EventKeyword(words[2], campaign)
    elif words[0] == "volunteer" and words[-2] == "at":
        name, event = " ".join(words[1:-2]), words[-1]
        run.volunteer = VolunteerFacts(1, name, event, _campaign_of(run, event))
    elif words[:2] == ["pending", "signup"] and words[-2] == "at":
        run.pending = _pending(run, " ".join(words[2:-3]), words[-3], words[-1])
    elif words[0] == "broadcast":
        run.broadcast = words[1]
    elif words[0] == "channel":
        run.channel = words[1]
    else:
        raise ValueError(f"unknown given: {words}")


def _campaign_of(run: Run, event: str) -> str:
    return next((e.campaign for e in run.events.values() if e.slug == event), CAMPAIGN)


def _pending(run: Run, name: str, zip_code: str, event: str) -> PendingSignup:
    """A sign-up as a volunteer's ADD would have left it, with the request it sent."""
    place = PLACES.lookup(zip_code)
    assert place is not None
    language = run.supporter.language or "en"
    campaign = CATALOG.by_slug(_campaign_of(run, event))
    assert campaign is not None
    disclosure = campaign.say(
        language,
        "confirm_signup",
        first_name=first_name(name),
        volunteer="Maria",
        event="the Atlanta rally",
        organization=CATALOG.organization.name,
        name=name,
        zip_code=place.zip_code,
        city=place.city,
        state=place.state,
        messages_per_month=campaign.messages_per_month,
    )
    return PendingSignup(7, campaign.slug, name, place, event, disclosure, language)


def _replies(turn: Turn) -> list[str]:
    return [e.text for e in turn.effects if isinstance(e, Reply)]


def _check(run: Run, expectation: str, where: str) -> None:
    turn = run.turn
    assert turn is not None, f"{where}: an expectation before any text"
    if expectation.startswith("< "):
        wanted = expectation[2:]
        assert any(wanted in reply for reply in _replies(turn)), (
            f"{where}: expected a reply containing {wanted!r}, got {_replies(turn)!r}"
        )
    elif expectation == "= no reply":
        assert not _replies(turn), f"{where}: expected no reply, got {_replies(turn)!r}"
    elif expectation == "= over":
        assert turn.state is None, f"{where}: expected the conversation over, at {turn.state}"
    elif expectation.startswith("= signed "):
        signed = [e for e in turn.effects if isinstance(e, RecordSignature)]
        assert len(signed) == 1, f"{where}: expected one signature, got {turn.effects!r}"
        s = signed[0]
        got = f"{s.name} {s.place.zip_code} {s.place.city} {s.place.state}"
        assert got == expectation.removeprefix("= signed "), f"{where}: signed {got!r}"
        rates = {"en": "Msg & data rates may apply", "es": "tarifas de mensajes y datos"}
        assert any(r in s.disclosure for r in rates.values()), f"{where}: {s.disclosure!r}"
    elif expectation in ("= opted out", "= opted in"):
        wanted = RecordOptOut if expectation == "= opted out" else RecordOptIn
        assert any(isinstance(e, wanted) for e in turn.effects), f"{where}: {turn.effects!r}"
    elif expectation == "= wrong number":
        assert any(isinstance(e, RecordOptOut) and e.reassigned for e in turn.effects), where
    elif expectation == "= not opted out":
        assert not any(isinstance(e, RecordOptOut) for e in turn.effects), where
    elif expectation == "= not opted in":
        assert not any(isinstance(e, RecordOptIn) for e in turn.effects), where
    elif expectation == "= nothing signed":
        assert not any(isinstance(e, RecordSignature) for e in turn.effects), where
    elif expectation.startswith("= source "):
        sources = [e.source or "channel" for e in turn.effects if isinstance(e, RecordSignature)]
        assert sources == [expectation.removeprefix("= source ")], f"{where}: {sources!r}"
    elif expectation == "= confirms the sign-up":
        assert run.pending is not None, f"{where}: no sign-up is pending"
        signups = [e.signup for e in turn.effects if isinstance(e, RecordSignature)]
        assert signups == [run.pending.id], f"{where}: {turn.effects!r}"
        run.pending = None  # Follow the database: it is confirmed.
    elif expectation.startswith("= ends the sign-up "):
        assert run.pending is not None, f"{where}: no sign-up is pending"
        wanted_end = EndSignup(run.pending.id, expectation.removeprefix("= ends the sign-up "))
        assert wanted_end in turn.effects, f"{where}: {turn.effects!r}"
        run.pending = None
    elif expectation.startswith("= signs up "):
        added = [
            f"{e.phone} {e.name} {e.place.zip_code} at {e.event}"
            for e in turn.effects
            if isinstance(e, SignUp)
        ]
        assert added == [expectation.removeprefix("= signs up ")], f"{where}: {added!r}"
    elif expectation == "= nobody signed up":
        assert not any(isinstance(e, SignUp) for e in turn.effects), where
    elif expectation == "= conversation open":
        assert turn.state is not None, f"{where}: expected the conversation to go on"
    elif expectation.startswith("= broadcast reply "):
        filed = [e.campaign for e in turn.effects if isinstance(e, BroadcastReply)]
        assert filed == [expectation.removeprefix("= broadcast reply ")], f"{where}: {filed!r}"
    elif expectation == "= no broadcast reply":
        assert not any(isinstance(e, BroadcastReply) for e in turn.effects), where
    else:
        raise ValueError(f"{where}: cannot read {expectation!r}")


def _follow_the_database(run: Run) -> None:
    """Apply the turn's opt-outs and opt-ins: the next text comes from a phone in that state."""
    assert run.turn is not None
    for effect in run.turn.effects:
        if isinstance(effect, RecordOptOut):
            run.supporter = replace(run.supporter, opted_out=True)
            if effect.reassigned:  # as the database forgets a wrong number's profile
                run.supporter = replace(run.supporter, name=None, place=None, signed=frozenset())
        elif isinstance(effect, RecordOptIn):
            run.supporter = replace(run.supporter, opted_out=False)


def play(path: Path) -> None:
    run = Run()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.name}:{number}"
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("given "):
            _given(run, line.split()[1:])
        elif line.startswith("> ") or line == ">":
            world = World(
                CATALOG,
                run.supporter,
                PLACES,
                phones=PHONES,
                event=run.events.get(normalize_word(line[2:])),
                volunteer=run.volunteer,
                pending_signup=run.pending,
                recent_broadcast=run.broadcast,
            )
            run.turn = step(run.state, Inbound(line[2:], run.channel), world)
            run.state = run.turn.state
            _follow_the_database(run)
        else:
            _check(run, line, where)


@pytest.mark.parametrize("path", sorted(HERE.glob("transcripts/*.txt")), ids=lambda p: p.stem)
def test_transcript(path: Path) -> None:
    play(path)


def test_a_transcript_that_expects_the_wrong_reply_fails(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("> FACES\n< What's your favourite colour?\n", encoding="utf-8")
    with pytest.raises(AssertionError):
        play(wrong)
