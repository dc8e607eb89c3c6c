"""Answers to the consent question as people write them: no "no" or question is ever a yes."""

from __future__ import annotations

from bench.revocations import CONSENT_ANSWERS, confusion, consent_label, evaluate


def test_no_no_and_no_question_of_the_labeled_set_reads_as_a_yes() -> None:
    rows = evaluate(CONSENT_ANSWERS, consent_label)
    print("\n" + confusion("Consent answers", rows))
    assert len(rows) >= 120
    false_yes = [row.text for row in rows if row.label != "yes" and row.predicted == "yes"]
    assert false_yes == []


def test_most_yeses_and_every_no_of_the_labeled_set_are_understood() -> None:
    rows = evaluate(CONSENT_ANSWERS, consent_label)
    yeses = [row for row in rows if row.label == "yes"]
    missed = [row.text for row in yeses if row.predicted != "yes"]
    # A missed yes costs a re-ask; each one is listed in the data as such.
    assert missed == [row.text for row in yeses if row.note.startswith("a missed yes")]
    assert [row.text for row in rows if row.label == "no" and row.predicted != "no"] == []


def test_the_labeled_set_has_spanish_and_english() -> None:
    notes = " ".join(row.note for row in evaluate(CONSENT_ANSWERS, consent_label))
    assert notes.count("Spanish") >= 30
