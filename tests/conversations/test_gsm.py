"""Smart encoding: typographic punctuation and Latin names kept in GSM-7."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations.gsm import gsm_letters, is_gsm, render, smart_punctuation


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("O’Brien", "O'Brien"),
        ("“Frank”", '"Frank"'),
        ("‘hi’", "'hi'"),
        ("Jean–Luc — yes", "Jean-Luc - yes"),
        ("wait…", "wait..."),
        ("a\u00a0b", "a b"),
    ],
)
def test_typographic_punctuation_becomes_its_gsm_twin(text, plain) -> None:
    assert smart_punctuation(text) == plain


@pytest.mark.parametrize(
    ("name", "plain"),
    [
        ("Zoë", "Zoe"),
        ("Łukasz Wójcik", "Lukasz Wojcik"),
        ("Siobhán", "Siobhan"),
        ("Nguyễn", "Nguyen"),
        ("José Muñoz", "José Muñoz"),  # é and ñ are GSM-7 already
        ("Björn Ångström", "Björn Ångström"),
        ("李小龍", "李小龍"),  # no Latin spelling to fall back on
    ],
)
def test_latin_letters_outside_gsm_lose_their_marks_and_others_stay(name, plain) -> None:
    assert gsm_letters(name) == plain


def test_a_gsm_template_respells_names_and_a_ucs_2_one_keeps_them() -> None:
    assert render("Thanks, {first_name}!", {"first_name": "Zoë"}) == "Thanks, Zoe!"
    assert render("¡Gracias, {first_name}! ¿Cuál?", {"first_name": "Zoë"}).startswith(
        "¡Gracias, Zoë!"
    )
    # The organization's own words are not respelled, names only.
    assert render("{lines}", {"lines": "Envía CARAS"}) == "Envía CARAS"


def test_every_letter_of_latin_1_and_latin_extended_a_has_a_gsm_spelling() -> None:
    letters = [chr(c) for c in range(0xC0, 0x180) if chr(c).isalpha()]
    assert [c for c in letters if not is_gsm(gsm_letters(c))] == []
    assert gsm_letters("Đorđe Łapiński Ĳssel Ħal") == "Dorde Lapinski IJssel Hal"


@given(st.text())
def test_smart_encoding_only_ever_shortens_the_set_of_ucs_2_characters(text) -> None:
    before = {c for c in text if not is_gsm(c)}
    after = {c for c in gsm_letters(text) if not is_gsm(c)}
    assert after <= before
