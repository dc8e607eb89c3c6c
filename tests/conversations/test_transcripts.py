"""Conversations as transcripts, run against the pure engine with the real campaign files.

A transcript is a text file in ``transcripts/``:

    # comment
    given supporter Jane Doe 30303        (the database knows this phone's name and ZIP)
    given signed doj-face-recognition     (this phone signed that campaign already)
    given opted out                       (this phone said STOP before)
    given language es                     (this supporter chose Spanish before)
    > FACES                               (the supporter texts)
    < What's your full name?              (the bot replies with text containing this)
    = signed Jane Doe 30303 Atlanta GA    (the turn records a signature with these facts)
    = no reply                            (the turn sends nothing back)
    = over                                (the conversation has ended)
    = opted out                           (the turn records an opt-out)
    = opted in                            (the turn records an opt-back-in)
    = not opted out                       (the turn records no opt-out)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from bot.campaigns import load_catalog
from bot.places import ZipCodes
from conversations import (
    Inbound,
    RecordOptIn,
    RecordOptOut,
    RecordSignature,
    Reply,
    State,
    Supporter,
    Turn,
    World,
    step,
)

HERE = Path(__file__).parent
CATALOG = load_catalog(HERE.parents[1] / "campaigns")
PLACES = ZipCodes()


@dataclass
class Run:
    supporter: Supporter = field(default_factory=Supporter)
    state: State | None = None
    turn: Turn | None = None


def _given(run: Run, words: list[str]) -> None:
    if words[0] == "supporter":
        place = PLACES.lookup(words[-1])
        run.supporter = replace(run.supporter, name=" ".join(words[1:-1]), place=place)
    elif words[0] == "signed":
        run.supporter = replace(run.supporter, signed=run.supporter.signed | {words[1]})
    elif words == ["opted", "out"]:
        run.supporter = replace(run.supporter, opted_out=True)
    elif words[0] == "language":
        run.supporter = replace(run.supporter, language=words[1])
    else:
        raise ValueError(f"unknown given: {words}")


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
        # Follow the database: the next text comes from a phone in that state.
        run.supporter = replace(run.supporter, opted_out=wanted is RecordOptOut)
    elif expectation == "= not opted out":
        assert not any(isinstance(e, RecordOptOut) for e in turn.effects), where
    elif expectation == "= nothing signed":
        assert not any(isinstance(e, RecordSignature) for e in turn.effects), where
    else:
        raise ValueError(f"{where}: cannot read {expectation!r}")


def play(path: Path) -> None:
    run = Run()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.name}:{number}"
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("given "):
            _given(run, line.split()[1:])
        elif line.startswith("> ") or line == ">":
            run.turn = step(run.state, Inbound(line[2:]), World(CATALOG, run.supporter, PLACES))
            run.state = run.turn.state
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
