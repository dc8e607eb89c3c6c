"""`flask export SLUG`: a campaign's signatures as CSV, for the organizers to deliver."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from helpers import Phone
from sqlalchemy import update

from store.models import Supporter

SLUG = "doj-face-recognition"
HEADER = "phone,name,zip,city,state,signed_at,source,opted_out"
JANE = "+14045550123"  # Atlanta
LUIS = "+12125550188"  # New York


def sign(phone: Phone, name: str, zip_code: str) -> None:
    phone.text("FACES")
    phone.text(name)
    phone.text(zip_code)
    assert phone.text("YES") == []


def export(runner) -> list[dict[str, str]]:
    result = runner.invoke(args=["export", SLUG])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_it_writes_one_row_per_signer_under_the_documented_header(
    client, twilio, run_jobs, runner
) -> None:
    sign(Phone(client, twilio, JANE), "Jane Doe", "30303")
    sign(Phone(client, twilio, LUIS), "Luis Ortiz", "10001")
    run_jobs()
    result = runner.invoke(args=["export", SLUG])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == HEADER
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["phone"], r["name"], r["zip"], r["city"], r["state"]) for r in rows] == [
        (JANE, "Jane Doe", "30303", "Atlanta", "GA"),
        (LUIS, "Luis Ortiz", "10001", "New York", "NY"),
    ]
    assert {(r["source"], r["opted_out"]) for r in rows} == {("sms", "no")}


def test_signing_times_are_iso_8601_in_utc(phone, run_jobs, runner) -> None:
    sign(phone, "Jane Doe", "30303")
    run_jobs()
    (row,) = export(runner)
    assert row["signed_at"].endswith("Z")
    signed_at = datetime.fromisoformat(row["signed_at"])
    assert signed_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - signed_at) < timedelta(minutes=1)


def test_a_signer_who_opted_out_is_marked_yes(client, twilio, run_jobs, runner, svc) -> None:
    sign(Phone(client, twilio, JANE), "Jane Doe", "30303")
    sign(Phone(client, twilio, LUIS), "Luis Ortiz", "10001")
    run_jobs()
    with svc.db.begin() as session:
        session.execute(
            update(Supporter).where(Supporter.phone == LUIS).values(opted_out_at=datetime.now(UTC))
        )
    assert {r["phone"]: r["opted_out"] for r in export(runner)} == {JANE: "no", LUIS: "yes"}


def test_names_with_commas_quotes_and_accents_survive_a_csv_round_trip(
    client, twilio, run_jobs, runner, svc
) -> None:
    sign(Phone(client, twilio, JANE), "Siobhán O'Brien-Núñez, Jr.", "30303")
    sign(Phone(client, twilio, LUIS), "Luis Ortiz", "10001")
    run_jobs()
    # The bot refuses double quotes in a name; an organizer's correction may still add them.
    with svc.db.begin() as session:
        session.execute(
            update(Supporter)
            .where(Supporter.phone == LUIS)
            .values(name='Luis "Lucho" Ortiz, 王小明')
        )
    assert [r["name"] for r in export(runner)] == [
        "Siobhán O'Brien-Núñez, Jr.",
        'Luis "Lucho" Ortiz, 王小明',
    ]


def test_an_unknown_campaign_is_an_error_naming_it(runner) -> None:
    result = runner.invoke(args=["export", "no-such-campaign"])
    assert result.exit_code != 0
    assert "no-such-campaign" in result.stderr
    assert result.stdout == ""  # no header that would pass for an empty export


def test_a_campaign_without_signatures_exports_only_the_header(runner) -> None:
    registered = runner.invoke(args=["db", "upgrade"])
    assert registered.exit_code == 0, registered.output
    result = runner.invoke(args=["export", SLUG])
    assert result.exit_code == 0, result.output
    assert result.stdout == HEADER + "\n"
