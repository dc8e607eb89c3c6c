"""What the bot reads out of a supporter's replies. Pure: no services needed."""

import ast
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations import parsing
from conversations.parsing import (
    AddCommand,
    first_name,
    is_add,
    is_help,
    is_opt_in,
    is_who_question,
    looks_spanish,
    normalize_word,
    parse_add,
    parse_name,
    parse_yes_no,
    parse_zip,
)

# Odd text a phone can send: NUL, right-to-left and bidi marks, combining marks, emoji parts.
AWKWARD = ["\x00", "\u202e", "\u200f", "\u0301", "\u0308", "\ufe0f", "\u200d", "🏽", "מ", "ع", "李"]
awkward_text = st.lists(
    st.one_of(st.sampled_from(AWKWARD), st.text(max_size=20)), max_size=100
).map("".join)
any_text = st.one_of(st.text(max_size=2000), awkward_text)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        (" Faces! ", "faces"),
        ("FACES", "faces"),
        ("OPT OUT", "opt out"),
        ("opt   \n out", "opt out"),
        ("sí", "sí"),
        ("¡SÍ!", "sí"),
        ("Ｆａｃｅｓ", "faces"),
        ("faces ❤️", "faces"),
        ("👍", ""),
        ("", ""),
    ],
)
def test_it_normalizes_a_whole_message_for_keyword_comparison(text, word):
    assert normalize_word(text) == word


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("José Ñúñez", "José Ñúñez"),
        ("O'Brien-Smith", "O'Brien-Smith"),
        ("李小龍", "李小龍"),
        ("Mary Ann de la Cruz", "Mary Ann de la Cruz"),
        ("Nguyễn Văn A", "Nguyễn Văn A"),
        ("محمد علي", "محمد علي"),
        ("דוד כהן", "דוד כהן"),
        ("Zoe\u0308 Smith", "Zoë Smith"),
        ("देवनागरी नाम", "देवनागरी नाम"),
        ("Иван Петров", "Иван Петров"),
        ("Martin Luther King Jr.", "Martin Luther King Jr."),
        ("Jane Q.", "Jane Q."),
        ("  Jane   Doe!! ", "Jane Doe"),
        ("Jane Doe 🌹", "Jane Doe"),
        ("Ana ❤️", "Ana"),
    ],
)
def test_it_accepts_names_in_any_script(text, name):
    assert parse_name(text) == name


@pytest.mark.parametrize(
    "text",
    [
        "my name is Jane Doe",
        "My name's Jane Doe",
        "name is Jane Doe",
        "Name: Jane Doe",
        "it's Jane Doe",
        "its Jane Doe",
        "It is Jane Doe.",
        "I'm Jane Doe",
        "im Jane Doe",
        "I am Jane Doe",
        "this is Jane Doe",
        "call me Jane Doe",
        "Hi, I'm Jane Doe!",
        "MY NAME IS: Jane Doe",
        "Me llamo Jane Doe",
        "mi nombre es Jane Doe",
        "Soy Jane Doe",
    ],
)
def test_it_strips_lead_ins_from_names(text):
    assert parse_name(text) == "Jane Doe"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("jane doe", "Jane Doe"),
        ("JANE DOE", "Jane Doe"),
        ("josé ñúñez", "José Ñúñez"),
        ("maria de la cruz", "Maria de la Cruz"),
        ("ludwig van beethoven", "Ludwig van Beethoven"),
        ("de la cruz", "De la Cruz"),
        ("kim le", "Kim Le"),
        ("conor o'brien", "Conor O'Brien"),
        ("o'brien-smith", "O'Brien-Smith"),
        ("ronald mcdonald", "Ronald McDonald"),
        ("JOHN SMITH JR.", "John Smith Jr."),
        ("henry ford iii", "Henry Ford III"),
    ],
)
def test_it_capitalizes_names_typed_all_in_one_case(text, name):
    assert parse_name(text) == name


@pytest.mark.parametrize("text", ["McKenzie deVries", "bell hooks Jr", "ΑΝΝΑ ΠΑΠΑΔΟΠΟΥΛΟΥ"])
def test_it_keeps_the_capitals_a_supporter_chose(text):
    assert parse_name(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "?!.",
        "😀😀",
        "👍",
        "my name is",
        "Jane 2",
        "R2D2",
        "Jane ２",
        "jane@example.org",
        "@jane",
        "http://jane.example",
        "www.janedoe",
        "janedoe.com",
        "see x.com",
        "a" * 101,
        "my name is " + "a" * 101,
        "J",
        "李",
        "yes",
        "Y",
        "no",
        "ok",
        "sure",
        "yeah",
        "sí",
        "nope",
        "yes please",
        "stop",
        "STOP",
        "help",
        "start",
        "maybe",
        "who is this?",
        "Jane\x00Doe",
        "Jane\x07Doe",
        "Jane\u202eDoe",
        "Jane & Doe",
    ],
)
def test_it_refuses_replies_that_are_not_names(text):
    assert parse_name(text) is None


@pytest.mark.parametrize(
    ("name", "greeting"),
    [
        ("Jane Doe", "Jane"),
        ("Mary Ann de la Cruz", "Mary"),
        ("李小龍", "李小龍"),
        ("Dr. Jane Smith", "Jane"),
        ("Doe, Jane", "Doe"),
        ("", ""),
    ],
)
def test_it_greets_a_supporter_by_the_first_word_of_their_name(name, greeting):
    assert first_name(name) == greeting


@pytest.mark.parametrize(
    "text",
    [
        "30303",
        "30303-1234",
        "30303 1234",
        "30303–1234",
        "zip is 30303",
        "my zip code is 30303",
        "ZIP: 30303",
        " 30303.",
        "mi código postal es 30303",
        "código postal 30303",
        "cp 30303",
        "３０３０３",
        "30303 30303",
        "123 Main St, Atlanta 30303",
    ],
)
def test_it_extracts_a_five_digit_zip(text):
    assert parse_zip(text) == "30303"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Atlanta",
        "3030",
        "303030",
        "303031234",
        "30303 30305",
        "3O303",
        "30303a",
        "1230303",
        "404-555-0123",
        "30303-12",
        "30,303",
        "30303/30305",
        "٣٠٣٠٣",
    ],
)
def test_it_refuses_replies_without_exactly_one_zip(text):
    assert parse_zip(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "YES",
        "y",
        "ye",
        "yes please",
        "yeah",
        "yea",
        "yep",
        "yup",
        "sure",
        "ok",
        "okay",
        "k",
        "Yes!!",
        "  yes. ",
        "YES I agree",
        "i agree",
        "agree",
        "sign me up",
        "si",
        "sí",
        "Sí, claro",
        "claro",
        "de acuerdo",
        "vale",
        "👍",
        "👍🏽",
        "👍🏿👍🏿",
        "✅",
        "✔️",
        "👌",
        "yes 👍",
    ],
)
def test_it_reads_a_yes(text):
    assert parse_yes_no(text) is True


@pytest.mark.parametrize(
    "text",
    ["no", "NO", "n", "nope", "nah", "no thanks", "No thank you!", "not now", "👎", "👎🏾"],
)
def test_it_reads_a_no(text):
    assert parse_yes_no(text) is False


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yes no",
        "maybe",
        "why?",
        "nos",
        "yesterday",
        "not sure",
        "please",
        "yes 2",
        "👍👎",
        "no 👍",
        "🙂",
        "Jane Doe",
        "30303",
    ],
)
def test_it_reads_an_unclear_reply_as_neither_yes_nor_no(text):
    assert parse_yes_no(text) is None


@pytest.mark.parametrize("text", ["START", "start", "Start!", "UNSTOP", "reanudar"])
def test_it_recognizes_opt_in_keywords(text):
    assert is_opt_in(text)


@pytest.mark.parametrize("text", ["SUBSCRIBE", "yes", "start the petition", "restart", ""])
def test_it_recognizes_opt_in_only_as_a_whole_message(text):
    assert not is_opt_in(text)


@pytest.mark.parametrize("text", ["HELP", "help?", "Info", "AYUDA", "help please"])
def test_it_recognizes_help_keywords(text):
    assert is_help(text)


@pytest.mark.parametrize("text", ["I need help with my zip", "helpful", "information", ""])
def test_it_recognizes_help_only_as_a_whole_message(text):
    assert not is_help(text)


@pytest.mark.parametrize(
    "text",
    [
        "sí",
        "Si",
        "¿Qué es esto?",
        "Hola",
        "me llamo Ana",
        "Mi nombre es Ana",
        "mi código postal es 30303",
        "mi codigo postal es 30303",
        "español",
        "Gracias!",
    ],
)
def test_it_spots_a_reply_in_spanish(text):
    assert looks_spanish(text)


@pytest.mark.parametrize(
    "text", ["José Smith", "Ana Núñez", "Zoë", "Si Nguyen", "yes", "30303", "Hello", ""]
)
def test_it_does_not_guess_spanish_from_accents_alone(text):
    assert not looks_spanish(text)


@given(any_text)
def test_it_never_returns_a_name_with_digits_addresses_or_controls(text):
    name = parse_name(text)
    if name is not None:
        assert 2 <= len(name) <= 100
        assert not any(unicodedata.category(c).startswith("N") for c in name)
        assert "@" not in name
        assert not any(unicodedata.category(c) == "Cc" for c in name)


@given(st.one_of(any_text, st.text(alphabet="0123456789 -.", max_size=40)))
def test_it_returns_either_no_zip_or_five_ascii_digits(text):
    found = parse_zip(text)
    assert found is None or (len(found) == 5 and found.isascii() and found.isdigit())


@given(st.from_regex(r"[0-9]{5}", fullmatch=True))
def test_it_reads_any_five_digits_as_a_zip(digits):
    assert parse_zip(f"zip is {digits}.") == digits


@given(any_text)
def test_it_answers_yes_no_or_neither_for_any_text(text):
    assert parse_yes_no(text) in (True, False, None)


@given(any_text)
def test_it_normalizes_words_idempotently(text):
    once = normalize_word(text)
    assert normalize_word(once) == once


def test_it_imports_only_the_standard_library():
    tree = ast.parse(Path(parsing.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    roots = {name.split(".")[0] for name in imported}
    assert roots <= sys.stdlib_module_names
    assert not roots & {"os", "time", "datetime", "zipcodes", "flask", "sqlalchemy", "redis"}


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("ADD 404-555-0123 Jane Doe 30303", "404-555-0123"),
        ("ADD (404) 555-0123 Jane Doe 30303", "(404) 555-0123"),
        ("ADD 404.555.0123 Jane Doe 30303", "404.555.0123"),
        ("ADD +1 404 555 0123 Jane Doe 30303", "+1 404 555 0123"),
        ("ADD 4045550123 Jane Doe 30303", "4045550123"),
        ("ADD 1-404-555-0123 Jane Doe 30303", "1-404-555-0123"),
        ("add 404-555-0123 Jane Doe 30303", "404-555-0123"),
        ("Add: 404-555-0123, Jane Doe, 30303", "404-555-0123"),
        ("  ADD   404-555-0123\nJane   Doe  30303 ", "404-555-0123"),
        ("ADD Jane Doe 404-555-0123 30303", "404-555-0123"),
    ],
)
def test_it_splits_an_add_into_phone_name_and_zip_whatever_the_phone_looks_like(text, phone):
    assert parse_add(text) == AddCommand(phone, "Jane Doe", "30303")


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("ADD", AddCommand("", "", "")),
        ("ADD 404-555-0123", AddCommand("404-555-0123", "", "")),
        ("ADD 4045550123 30303", AddCommand("4045550123", "", "30303")),
        ("ADD 404 555 0123 30303", AddCommand("404 555 0123", "", "30303")),
        ("ADD 404-555-0123 Jane Doe", AddCommand("404-555-0123", "Jane Doe", "")),
        ("ADD 404-555-0123 Jane Doe 3030", AddCommand("404-555-0123", "Jane Doe", "3030")),
        ("ADD 404-555-0123 Mary Ann de la Cruz 30303-1234",
         AddCommand("404-555-0123", "Mary Ann de la Cruz", "30303-1234")),
        ("add me", AddCommand("", "me", "")),
    ],
)  # fmt: skip
def test_it_leaves_a_missing_part_of_an_add_empty(text, command):
    assert parse_add(text) == command


@pytest.mark.parametrize(
    "text", ["Jane Doe", "30303", "address 12 Main St", "added", "please add 404-555-0123", ""]
)
def test_it_reads_an_add_only_at_the_start_of_a_message(text):
    assert parse_add(text) is None
    assert not is_add(text)


@given(any_text)
def test_it_splits_any_add_into_parts_that_can_each_be_checked(text):
    command = parse_add("ADD " + text)
    assert command is not None
    # Each part is made of words the volunteer typed, and a phone has the digits of one.
    typed = unicodedata.normalize("NFKC", text)
    for part in command:
        assert all(word in typed for word in part.split())
    assert command.phone == "" or sum(c.isdigit() for c in command.phone) >= 7


@pytest.mark.parametrize(
    "text",
    [
        "who is this?",
        "Who's this",
        "who dis",
        "what is this?",
        "is this a scam?",
        "How did you get my number?",
        "¿Quién es?",
        "¿Qué es esto?",
    ],
)
def test_it_recognizes_a_question_about_who_is_texting(text):
    assert is_who_question(text)


@pytest.mark.parametrize("text", ["who else can sign?", "yes", "Jane Doe", "what's my zip", ""])
def test_it_does_not_take_other_questions_for_who_is_texting(text):
    assert not is_who_question(text)
