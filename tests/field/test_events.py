"""Events: a rally's own keyword signs its campaign, and the signature says which rally."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from helpers import Phone
from sqlalchemy import select

from bot.field.events import EventError, create_event, event_keyword, list_events
from store.models import ConsentEvent, Event, Signature

SLUG = "doj-face-recognition"


def create(runner, slug: str = "atlanta-rally", keyword: str = "FACESATL", *extra: str):
    return runner.invoke(
        args=["events", "create", slug, "--campaign", SLUG, "--keyword", keyword, *extra]
        + ["--name", f"{slug.split('-')[0].title()} rally"]
    )


def sign(phone: Phone, keyword: str, name: str, zip_code: str) -> None:
    assert "What's your full name?" in phone.text(keyword)[0]
    phone.text(name)
    phone.text(zip_code)
    assert phone.text("YES") == []


def export(runner) -> list[dict[str, str]]:
    result = runner.invoke(args=["export", SLUG])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_an_organizer_creates_an_event_and_lists_it(runner, svc) -> None:
    result = create(runner, "atlanta-rally", "facesatl", "--place", "Woodruff Park")
    assert result.exit_code == 0, result.output
    assert "text FACESATL to sign doj-face-recognition" in result.output
    runner.invoke(args=["events", "create", "macon-rally", "--campaign", SLUG, "--keyword",
                        "FACESMACON", "--name", "Macon rally", "--date", "2026-12-05"])  # fmt: skip
    with svc.db() as session:
        events = list_events(session)
    assert [(e.slug, e.keyword, e.held_on) for e in events] == [
        ("macon-rally", "FACESMACON", date(2026, 12, 5)),
        ("atlanta-rally", "FACESATL", None),
    ]
    listed = runner.invoke(args=["events", "list"]).output.splitlines()
    assert listed[0].startswith("macon-rally  FACESMACON  doj-face-recognition  2026-12-05")
    assert listed[1].endswith("Atlanta rally, Woodruff Park")


def test_texting_an_event_keyword_signs_the_campaign_for_that_event(
    phone, run_jobs, runner, svc
) -> None:
    assert create(runner).exit_code == 0
    sign(phone, "FACESATL", "Jane Doe", "30303")
    run_jobs()
    assert "you're signer #1 of the letter to the DOJ" in phone.texts_received()[0]
    with svc.db() as session:
        signature = session.scalars(select(Signature)).one()
        consent = session.get_one(ConsentEvent, signature.consent_event_id)
    assert (signature.source, consent.source, consent.channel) == (
        "atlanta-rally",
        "atlanta-rally",
        "sms",
    )
    assert [row["source"] for row in export(runner)] == ["atlanta-rally"]


def test_several_events_share_one_campaign_and_keep_their_own_signers(
    client, twilio, run_jobs, runner
) -> None:
    assert create(runner, "atlanta-rally", "FACESATL").exit_code == 0
    assert create(runner, "macon-rally", "FACESMACON").exit_code == 0
    sign(Phone(client, twilio, "+14045550123"), "FACESATL", "Jane Doe", "30303")
    sign(Phone(client, twilio, "+14785550188"), "facesmacon", "Luis Ortiz", "31201")
    sign(Phone(client, twilio, "+12125550188"), "FACES", "Ana Ruiz", "10001")
    run_jobs()
    assert {row["name"]: row["source"] for row in export(runner)} == {
        "Jane Doe": "atlanta-rally",
        "Luis Ortiz": "macon-rally",
        "Ana Ruiz": "sms",
    }


def test_a_supporter_who_chose_spanish_hears_the_event_keyword_in_spanish(phone, runner) -> None:
    assert create(runner).exit_code == 0
    phone.text("ESPAÑOL")
    assert "¿Tu nombre completo?" in phone.text("FACESATL")[0]


def test_anyone_else_hears_it_in_english(phone, runner) -> None:
    assert create(runner).exit_code == 0
    assert "What's your full name?" in phone.text("FACESATL")[0]


@pytest.mark.parametrize(
    ("keyword", "problem"),
    [
        ("FACES", "keyword FACES is campaign doj-face-recognition's keyword"),
        ("caras", "keyword CARAS is campaign doj-face-recognition's keyword"),
        ("FACES ATL", "must be up to 32 letters and digits"),
        ("FACES-ATL", "must be up to 32 letters and digits"),
        ("30303", "would be taken for an answer (a yes, a no or a ZIP code)"),
        ("yes", "keyword YES would be taken for an answer"),
        ("NOPE", "keyword NOPE would be taken for an answer"),
    ],
)
def test_a_keyword_an_active_campaign_uses_or_that_cannot_be_texted_is_refused(
    runner, svc, keyword, problem
) -> None:
    result = create(runner, "atlanta-rally", keyword)
    assert result.exit_code != 0
    assert problem in result.output
    with svc.db() as session:
        assert session.scalars(select(Event)).all() == []


def test_one_keyword_belongs_to_one_event(runner, svc) -> None:
    assert create(runner, "atlanta-rally", "FACESATL").exit_code == 0
    result = create(runner, "atlanta-march", "facesatl")
    assert result.exit_code != 0
    assert "keyword FACESATL is already another event's" in result.output
    assert "there is already an event atlanta-rally" in create(runner, "atlanta-rally", "X1").output


def test_an_event_needs_a_known_open_campaign_and_a_plain_slug(svc) -> None:
    with svc.db.begin() as session:
        with pytest.raises(EventError, match="there is no campaign 'nope'"):
            create_event(session, svc.catalog, "a", campaign="nope", keyword="A1", name="A")
        with pytest.raises(EventError, match="lower-case words joined by -"):
            create_event(
                session, svc.catalog, "Atlanta Rally", campaign=SLUG, keyword="A1", name="A"
            )
        with pytest.raises(EventError, match="needs a name"):
            create_event(session, svc.catalog, "a", campaign=SLUG, keyword="A1", name="  ")


def test_a_bad_date_is_refused_by_the_command(runner) -> None:
    result = create(runner, "atlanta-rally", "FACESATL", "--date", "5/12/2026")
    assert result.exit_code != 0
    assert "--date" in result.output


def test_the_engine_is_told_of_an_event_only_for_its_keyword(runner, svc) -> None:
    assert create(runner).exit_code == 0
    with svc.db() as session:
        assert event_keyword(session, "facesatl") is not None
        assert event_keyword(session, "faces") is None
        assert event_keyword(session, "jane doe") is None
        found = event_keyword(session, "facesatl")
    assert found is not None and (found.slug, found.campaign) == ("atlanta-rally", SLUG)
