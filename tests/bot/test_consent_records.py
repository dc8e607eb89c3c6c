"""The consent log: what each person agreed to or withdrew, who entered them, and the exact
words; kept append-only by the database itself."""

from __future__ import annotations

import csv
import io

import pytest
from helpers import Phone, csrf_token, log_in
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from bot.field.paper import import_signups
from store.models import ConsentEvent, Message, Signup

SLUG = "doj-face-recognition"
MARIA = "+14045550150"  # the volunteer with the clipboard
JANE = "+14045550123"  # the person she signs up
SHEET = "Name,Phone,ZIP,OK to text\nJane Doe,(404) 555-0123,30303,yes\n"


def requests(svc) -> list[ConsentEvent]:
    with svc.db() as session:
        query = select(ConsentEvent).where(ConsentEvent.kind == "signup_request")
        return list(session.scalars(query.order_by(ConsentEvent.id)))


def sent_request(svc) -> Message:
    with svc.db() as session:
        return session.scalars(select(Message).where(Message.kind == "signup_request")).one()


def test_a_volunteers_add_leaves_a_record_of_who_asked_and_the_exact_text(
    client, twilio, svc, rally, run_jobs
) -> None:
    Phone(client, twilio, MARIA).text("ADD 404-555-0123 Jane Doe 30303")
    run_jobs()
    (record,) = requests(svc)
    (texted,) = Phone(client, twilio, JANE).texts_received()
    assert record.disclosure == texted == sent_request(svc).body
    assert (record.phone, record.source, record.channel) == (JANE, "atlanta-rally", "sms")
    assert record.entered_by == "text (ADD), volunteer Maria Lopez (+14045550150)"
    with svc.db() as session:
        entered_at = session.scalars(select(Signup.created_at)).one()
    assert record.created_at == entered_at


def test_a_paper_sheet_names_the_volunteer_and_the_account_that_uploaded_it(
    client, svc, rally
) -> None:
    email = log_in(client, svc, "organizer")
    upload = {
        "sheet": (io.BytesIO(SHEET.encode()), "sheet.csv"),
        "volunteer": MARIA,
        "csrf_token": csrf_token(client, "/events/atlanta-rally/paper"),
    }
    preview = client.post("/events/atlanta-rally/paper", data=upload)
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert requests(svc) == []  # the preview stores nothing, consent records included
    confirm = {
        "action": "import",
        "sheet_text": SHEET,
        "volunteer": MARIA,
        "csrf_token": csrf_token(client, "/events/atlanta-rally/paper"),
    }
    response = client.post("/events/atlanta-rally/paper", data=confirm)
    assert response.status_code == 200, response.get_data(as_text=True)
    (record,) = requests(svc)
    assert record.entered_by == f"paper sheet, volunteer Maria Lopez ({MARIA}), account {email}"
    assert record.disclosure == sent_request(svc).body


def test_a_form_entry_names_the_field_account(client, svc, rally) -> None:
    email = log_in(client, svc, "field")
    entry = {"event": "atlanta-rally", "name": "Jane Doe", "phone": "404-555-0123", "zip": "30303"}
    headers = {"X-CSRFToken": csrf_token(client, "/field")}
    assert client.post("/field/signups", json=entry, headers=headers).status_code == 201
    (record,) = requests(svc)
    assert record.entered_by == f"sign-up form, account {email}"


def test_the_consent_log_shows_the_request_the_yes_and_the_words_shown(
    client, twilio, svc, rally, run_jobs, runner
) -> None:
    import_signups(svc, SHEET, "atlanta-rally", MARIA)
    run_jobs()
    Phone(client, twilio, JANE).text("YES")
    request = sent_request(svc).body
    request_line, yes_line = runner.invoke(args=["consent-log", JANE]).output.splitlines()
    assert request_line.split()[1:3] == ["signup_request", SLUG]
    assert "entered by paper sheet, volunteer Maria Lopez" in request_line
    assert f"shown {request!r}" in request_line
    assert yes_line.split()[1:3] == ["opt_in", SLUG]
    assert "source atlanta-rally" in yes_line and f"shown {request!r}" in yes_line
    rows = list(csv.DictReader(io.StringIO(runner.invoke(args=["consent-log", "--csv"]).output)))
    assert [(row["kind"], row["source"]) for row in rows] == [
        ("signup_request", "atlanta-rally"),
        ("opt_in", "atlanta-rally"),
    ]
    assert rows[0]["entered_by"].startswith("paper sheet, volunteer Maria Lopez")
    assert rows[1]["disclosure"] == request


@pytest.mark.parametrize(
    "statement",
    ["UPDATE consent_events SET kind = 'opt_in'", "DELETE FROM consent_events"],
)
def test_the_database_refuses_to_change_or_delete_a_consent_event(
    phone, svc, statement: str
) -> None:
    phone.text("STOP")
    with pytest.raises(DBAPIError, match="append-only"), svc.db.begin() as session:
        session.execute(text(statement))
    with svc.db() as session:
        assert session.scalars(select(ConsentEvent.kind)).all() == ["opt_out"]
