"""The revocation detector: keywords in any shape, sentences, wrong numbers, and what is not one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.revocations import CAUSE, REVOCATIONS, confusion, evaluate, revocation_label
from conversations.parsing import OPT_OUT_KEYWORDS
from conversations.revocation import Revocation, cause_words, revocation

ACCEPTED = "accepted false positive:"


def test_it_misses_no_revocation_of_the_labeled_set() -> None:
    rows = evaluate(REVOCATIONS, revocation_label)
    print("\n" + confusion("Revocations", rows))
    assert len(rows) >= 200
    assert {row.label for row in rows} == {"revocation", "wrong_number", "not"}
    missed = [row.text for row in rows if row.label != "not" and row.predicted == "not"]
    assert missed == []
    # A wrong number missed as such keeps greeting the new owner with the old one's name.
    unmarked = [r.text for r in rows if r.label == "wrong_number" and r.predicted != r.label]
    assert unmarked == []


def test_every_false_positive_of_the_labeled_set_is_a_documented_choice() -> None:
    rows = evaluate(REVOCATIONS, revocation_label)
    wrong = {row.text for row in rows if row.label == "not" and row.predicted != "not"}
    documented = {row.text for row in rows if row.note.startswith(ACCEPTED)}
    assert wrong == documented


def test_the_labeled_set_has_spanish_and_english() -> None:
    notes = " ".join(row.note for row in evaluate(REVOCATIONS, revocation_label))
    assert notes.count("Spanish") >= 30


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        "Stop.",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
        "OPT OUT",
        "OPT-OUT",
        "PARAR",
        "ALTO",
        "CANCELAR",
        "BASTA",
        "DETENER",
        "stop please",
        "Please stop!",
        "ya basta",
    ],
)
def test_it_recognizes_opt_out_keywords(text):
    assert revocation(text, CAUSE) is not None


@pytest.mark.parametrize(
    "text",
    [
        "stop texting me",
        "Stop messaging me!",
        "please remove me",
        "Remove me from this list",
        "unsubscribe me",
        "take me off your list",
        "don't text me anymore",
        "Don’t text me anymore",
        "do not contact me",
        "leave me alone",
        "no more texts",
        "No, stop texting me",
        "stop sending me these messages",
        "I want to opt out",
        "how do I unsubscribe?",
        "I don't want any more texts",
        "no me escriban más",
        "No me escriban mas",
        "quiero darme de baja",
        "ya no quiero mensajes",
        "dejen de escribirme",
        "Sáquenme de la lista",
    ],
)
def test_it_recognizes_a_sentence_asking_to_stop_messages(text):
    assert revocation(text, CAUSE) is not None


@pytest.mark.parametrize(
    "text",
    [
        "don't stop fighting!",
        "stop the surveillance",
        "Stop facial recognition now",
        "never stop",
        "I can't stop smiling",
        "don't stop texting me",
        "please don't remove me",
        "no dejen de escribirme",
        "Endia Smith",
        "Bend",
        "the end of face recognition",
        "cancel the contract",
        "The city should opt out of the contract",
        "backstop",
        "yes",
        "",
    ],
)
def test_it_does_not_mistake_other_messages_for_opt_outs(text):
    assert revocation(text, CAUSE) is None


def test_the_cause_comes_from_the_campaign_not_from_a_list() -> None:
    assert revocation("stop the pipeline", CAUSE) is not None
    assert revocation("stop the pipeline", cause_words(["Stop the Line 3 pipeline"])) is None


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("PARAR", Revocation(spanish=True)),
        ("no más", Revocation(spanish=True)),
        ("STOP", Revocation()),
        ("wrong number", Revocation(wrong_number=True)),
        ("STOP, wrong number", Revocation(wrong_number=True)),
        ("número equivocado", Revocation(spanish=True, wrong_number=True)),
    ],
)
def test_it_tells_spanish_and_wrong_numbers(text, found):
    assert revocation(text, CAUSE) == found


@pytest.mark.parametrize("text", ["step", "shop", "top", "stomp", "cancer", "evoke"])
def test_a_real_word_one_letter_from_a_keyword_is_no_typo(text):
    assert revocation(text, CAUSE) is None


padding = st.text(
    alphabet=st.one_of(
        st.characters(categories=["Zs", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"]),
        st.sampled_from("\n\t 🛑✋️"),
    ),
    max_size=6,
)


@given(st.sampled_from(sorted(OPT_OUT_KEYWORDS)), st.data(), padding, padding)
def test_it_recognizes_opt_out_keywords_in_any_case_and_wrapping(keyword, data, before, after):
    uppers = data.draw(st.lists(st.booleans(), min_size=len(keyword), max_size=len(keyword)))
    cased = "".join(c.upper() if up else c for c, up in zip(keyword, uppers, strict=True))
    assert revocation(f"{before}{cased}{after}") is not None


@given(st.text(max_size=40))
def test_it_answers_for_any_text(text):
    assert revocation(text, CAUSE) is None or isinstance(revocation(text, CAUSE), Revocation)


@pytest.mark.parametrize("text", ["sto", "stp", "Stopp", "unsubscibe", "cancle", "revok"])
def test_a_typo_of_a_long_keyword_revokes(text):
    assert revocation(text, CAUSE) is not None
