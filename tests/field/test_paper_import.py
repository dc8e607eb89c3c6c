"""Paper sign-up sheets: each row checked and reported, the file imported whole or not at all."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers import Phone
from sqlalchemy import func, select

import bot.field.paper
from bot.field.paper import Paper, PaperError, import_signups
from bot.field.signups import Outcome
from store.models import Message, Signature, Signup

SLUG = "doj-face-recognition"

SHEET = """\
Name,Phone,ZIP,OK_to_text
Jane Doe,(404) 555-0123,30303,yes
Luis Ortiz,404.555.0124,10001,X
Jane Doe,+1 404 555 0123,30303,y
Ana Ruiz,555-0125,30303,yes
Kim Le,404-555-0126,00000,true
Tom Li,404-555-0127,30303,
Dee Park,404-555-0128,30303,no
Sam Roe,404-555-0129,30303,Yes
"""


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    # Sheets are typed in at any hour; these tests are about the import, not quiet hours.
    return {**settings, "SEND_WINDOW": "00:00-24:00"}


@pytest.fixture
def rally(runner) -> None:
    result = runner.invoke(
        args=["events", "create", "atlanta-rally", "--campaign", SLUG, "--keyword", "FACESATL",
              "--name", "the Atlanta rally"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def sheet(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "sheet.csv"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return str(path)


def stored(svc) -> tuple[int, int]:
    """How many sign-ups and messages the database holds."""
    with svc.db() as session:
        return (
            session.scalar(select(func.count(Signup.id))) or 0,
            session.scalar(select(func.count(Message.id))) or 0,
        )


def test_each_row_is_checked_and_reported(client, twilio, rally, run_jobs, svc) -> None:
    # Sam signed already, by texting the keyword himself.
    sam = Phone(client, twilio, "+14045550129")
    for text in ("FACES", "Sam Roe", "30303", "YES"):
        sam.text(text)
    run_jobs()
    report = import_signups(svc, SHEET, "atlanta-rally")
    assert [(row.line, row.name, row.phone, row.result) for row in report.rows] == [
        (2, "Jane Doe", "+14045550123", Outcome.ADDED),
        (3, "Luis Ortiz", "+14045550124", Outcome.ADDED),
        (4, "Jane Doe", "+14045550123", Paper.DUPLICATE_IN_FILE),
        (5, "Ana Ruiz", "555-0125", Outcome.INVALID_PHONE),
        (6, "Kim Le", "+14045550126", Outcome.INVALID_ZIP),
        (7, "Tom Li", "+14045550127", Paper.NO_CONSENT),
        (8, "Dee Park", "+14045550128", Paper.NO_CONSENT),
        (9, "Sam Roe", "+14045550129", Outcome.ALREADY_SIGNED),
    ]
    assert report.added == 2
    assert report.counts()["no_consent"] == 2
    run_jobs()
    texted = {m.to: m.body for m in twilio.messages if m.to != sam.number}
    assert set(texted) == {"+14045550123", "+14045550124"}
    assert texted["+14045550124"].startswith(
        "A volunteer signed you up at the Atlanta rally: Civil Rights Text Team will add "
        "Luis Ortiz to the letter"
    )
    with svc.db() as session:
        rows = session.scalars(select(Signup).order_by(Signup.id)).all()
    assert [(s.name, s.entered_via, s.status, s.volunteer_id) for s in rows] == [
        ("Jane Doe", "paper", "awaiting_yes", None),
        ("Luis Ortiz", "paper", "awaiting_yes", None),
    ]


def test_a_row_counts_only_once_the_person_replies_yes(client, twilio, rally, run_jobs, svc):
    import_signups(svc, SHEET, "atlanta-rally")
    run_jobs()
    with svc.db() as session:
        assert session.scalar(select(func.count(Signature.id))) == 0
    assert Phone(client, twilio, "+14045550123").text("YES") == []
    run_jobs()
    with svc.db() as session:
        signature = session.scalars(select(Signature)).one()
    assert signature.source == "atlanta-rally"


def test_the_command_prints_a_table_and_can_name_the_volunteer(
    rally, runner, tmp_path, svc
) -> None:
    runner.invoke(args=["volunteers", "add", "404-555-0150", "--name", "Maria Lopez",
                        "--event", "atlanta-rally"])  # fmt: skip
    result = runner.invoke(
        args=["import-signups", sheet(tmp_path, SHEET), "--event", "atlanta-rally",
              "--volunteer", "(404) 555-0150"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["line", "name", "phone", "result"]
    assert lines[1].split() == ["2", "Jane", "Doe", "+14045550123", "added"]
    assert lines[3].split()[-3:] == ["duplicate", "in", "file"]
    assert lines[5].split()[-2:] == ["invalid", "ZIP"]
    assert lines[-1] == (
        "8 row(s): 3 added, 1 duplicate in file, 1 invalid phone, 1 invalid ZIP, 2 no consent"
    )
    with svc.db() as session:
        assert {s.volunteer_id for s in session.scalars(select(Signup))} == {1}
    assert "Maria signed you up" in _request(svc, "+14045550123")


def _request(svc, phone: str) -> str:
    with svc.db() as session:
        return session.scalars(
            select(Message.body).where(Message.phone == phone, Message.kind == "signup_request")
        ).one()


def test_a_sheet_without_a_consent_column_texts_nobody(rally, runner, tmp_path, svc, twilio):
    text = "name,phone,zip\nJane Doe,404-555-0123,30303\nLuis Ortiz,404-555-0124,10001\n"
    result = runner.invoke(
        args=["import-signups", sheet(tmp_path, text), "--event", "atlanta-rally"]
    )
    # Nothing can be texted for lack of a consent column: the command fails, and says why.
    assert result.exit_code != 0, result.output
    assert "the file has no consent column, so nobody on it can be texted" in result.output
    assert stored(svc) == (0, 0)
    assert twilio.messages == []


def test_excels_doubled_quotes_are_read_as_excel_writes_them(rally, svc) -> None:
    data = (
        "Name,Phone,Zip,Consent\r\n"
        '"Robert ""Bob"" Smith",404-555-0123,30303,yes\r\n'
        '"O""Neil, Pat","(404) 555-0124",30303,yes\r\n'
    )
    report = import_signups(svc, data, "atlanta-rally", store=False)
    # Each cell whole: the name with its quotes and comma, the phone in its own column.
    assert [(row.name, row.phone) for row in report.rows] == [
        ('Robert "Bob" Smith', "+14045550123"),
        ('O"Neil, Pat', "+14045550124"),
    ]


def test_the_headers_people_really_use_are_understood(rally, svc) -> None:
    data = (
        "First Name,Last Name,Phone #,Zip Code,OK to text?\n"
        "Jane,Doe,404-555-0123,30303,✓\n"
        "Luis,,404-555-0124,30303,yes\n"
    )
    report = import_signups(svc, data, "atlanta-rally")
    assert [(row.name, row.result) for row in report.rows] == [
        ("Jane Doe", Outcome.ADDED),
        ("Luis", Outcome.ADDED),
    ]
    cell = "Full Name;Cell;ZIP;Can we text you?\nAna Ruiz;404 555 0125;30303;x\n"
    (row,) = import_signups(svc, cell, "atlanta-rally").rows
    assert (row.phone, row.result) == ("+14045550125", Outcome.ADDED)


def test_a_preview_stores_and_texts_nothing(rally, svc, run_jobs, twilio) -> None:
    report = import_signups(svc, SHEET, "atlanta-rally", store=False)
    assert (report.stored, report.added) == (False, 3)
    run_jobs()
    assert stored(svc) == (0, 0)
    assert twilio.messages == []
    assert import_signups(svc, SHEET, "atlanta-rally").added == 3
    assert stored(svc) == (3, 3)


def test_excel_sheets_with_a_bom_semicolons_and_lost_leading_zeros_are_read(rally, svc) -> None:
    data = "\ufeffFull name;Cell;Zip code;Consent\r\nAna Ruiz;404 555 0125;2108;✓\r\n".encode()
    (row,) = import_signups(svc, data, "atlanta-rally").rows
    assert (row.phone, row.result) == ("+14045550125", Outcome.ADDED)
    with svc.db() as session:
        signup = session.scalars(select(Signup)).one()
    assert (signup.zip_code, signup.city, signup.state) == ("02108", "Boston", "MA")


def test_a_sheet_with_a_spanish_speaker_asks_them_in_spanish(rally, svc) -> None:
    text = "name,phone,zip,consent,language\nAna López,404-555-0125,30303,sí,Español\n"
    import_signups(svc, text, "atlanta-rally")
    assert _request(svc, "+14045550125").startswith("Una persona voluntaria te dio de alta en")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("name,phone,zip,consent\nJosé Ñúñez,404-555-0123,30303,yes\n".encode("latin-1"),
         "not UTF-8"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "not a CSV"),
        ("naam,telefoon\nJane,404-555-0123\n", "lacks the column(s) name, phone, zip"),
        ("name,phone\nJane Doe,404-555-0123\n", "lacks the column(s) zip"),
        ("", "the file is empty"),
        ("\n\n", "the file is empty"),
        ("name,phone,zip,consent\n", "a header but no rows"),
    ],
)  # fmt: skip
def test_a_bad_file_imports_nothing_and_says_why(rally, runner, tmp_path, svc, data, problem):
    result = runner.invoke(
        args=["import-signups", sheet(tmp_path, data), "--event", "atlanta-rally"]
    )
    assert result.exit_code != 0
    assert "nothing imported" in result.output and problem in result.output
    assert stored(svc) == (0, 0)


def test_an_unknown_event_or_volunteer_imports_nothing(rally, svc) -> None:
    with pytest.raises(PaperError, match="there is no event 'nope'"):
        import_signups(svc, SHEET, "nope")
    with pytest.raises(PaperError, match="there is no volunteer with phone 404-555-0199"):
        import_signups(svc, SHEET, "atlanta-rally", volunteer="404-555-0199")
    assert stored(svc) == (0, 0)


def test_a_failure_halfway_through_leaves_no_row_behind(rally, svc, monkeypatch) -> None:
    real = bot.field.paper.add_signup
    calls = []

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(bot.field.paper, "add_signup", failing)
    with pytest.raises(RuntimeError):
        import_signups(svc, SHEET, "atlanta-rally")
    assert stored(svc) == (0, 0)


def test_a_sheet_typed_in_at_night_waits_for_the_morning(runner, svc, run_jobs, twilio) -> None:
    svc.settings = replace(svc.settings, send_window="09:00-20:00")
    runner.invoke(
        args=["events", "create", "atlanta-rally", "--campaign", SLUG, "--keyword", "FACESATL",
              "--name", "the Atlanta rally"]
    )  # fmt: skip
    late = datetime(2026, 12, 6, 3, 30, tzinfo=UTC)  # 22:30 in Atlanta
    svc.clock = lambda: late
    import_signups(
        svc, "name,phone,zip,consent\nJane Doe,404-555-0123,30303,yes\n", "atlanta-rally"
    )
    run_jobs()
    assert twilio.messages == []
    with svc.db() as session:
        request = session.scalars(select(Message)).one()
    assert request.status == "held"
