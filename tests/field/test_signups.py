"""Volunteers sign people up at rallies; a person counts only once they reply YES themselves.

The phones are in the 555-01xx range set aside for fiction. libphonenumber accepts them as
valid U.S. numbers (FIXED_LINE_OR_MOBILE), so they exercise the same checks a real one does.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from helpers import Phone, csrf_token, log_in
from sqlalchemy import func, select, update

from bot.campaigns.files import campaign_data, load_catalog
from bot.config import PROJECT_ROOT
from bot.field.leaderboard import by_event, by_volunteer
from bot.field.signups import Outcome, sign_up_in_person
from bot.field.volunteers import list_volunteers, remove_volunteer
from store.models import ConsentEvent, Message, Signature, Signup, Volunteer

SLUG = "doj-face-recognition"
MARIA = "+14045550150"  # the volunteer with the clipboard
JANE = "+14045550123"  # the person signing up
LUIS = "+14045550124"


@pytest.fixture
def maria(client, twilio, rally) -> Phone:
    return Phone(client, twilio, MARIA)


@pytest.fixture
def jane(client, twilio) -> Phone:
    return Phone(client, twilio, JANE)


def signups(svc) -> list[Signup]:
    with svc.db() as session:
        return list(session.scalars(select(Signup).order_by(Signup.id)))


def signatures(svc) -> int:
    with svc.db() as session:
        return session.scalar(select(func.count(Signature.id))) or 0


def test_a_volunteer_adds_someone_by_text_and_they_are_asked_to_confirm(
    maria, jane, run_jobs, svc
) -> None:
    assert maria.text("ADD 404-555-0123 Jane Doe 30303") == [
        "Sent Jane a text to confirm. They're on the letter once they reply YES."
    ]
    run_jobs()
    (request,) = jane.texts_received()
    assert request.startswith("Maria signed you up at the Atlanta rally:")
    for words in (
        "Civil Rights Text Team will add Jane Doe to the letter to the DOJ",
        "up to 4 msgs/month",
        "Msg & data rates may apply",
        "Reply STOP to stop, HELP for help",
        "Reply YES to confirm",
    ):
        assert words in request
    (signup,) = signups(svc)
    assert (signup.phone, signup.name, signup.zip_code, signup.city) == (
        JANE,
        "Jane Doe",
        "30303",
        "Atlanta",
    )
    assert (signup.status, signup.entered_via, signup.disclosure) == (
        "awaiting_yes",
        "sms",
        request,
    )
    with svc.db() as session:
        volunteer = session.get_one(Volunteer, signup.volunteer_id)
        sent = session.get_one(Message, signup.message_id)
    assert volunteer.phone == MARIA
    assert (sent.kind, sent.status, sent.body) == ("signup_request", "queued", request)


def test_no_yes_no_signature(maria, jane, run_jobs, svc) -> None:
    maria.text("ADD 404-555-0123 Jane Doe 30303")
    run_jobs()
    assert jane.text("maybe later") == [
        "Please reply YES to sign the letter, or NO if you'd rather not."
    ]
    # "Who is this?" is told who texts and why, then asked again: never signed either.
    who, request = jane.text("who is this?")
    assert who.startswith("This is Civil Rights Text Team's petition line: a volunteer entered")
    assert request.startswith("Maria signed you up at") and request.endswith(
        "Reply YES to confirm."
    )
    run_jobs()
    assert signatures(svc) == 0
    assert [s.status for s in signups(svc)] == ["awaiting_yes"]
    with svc.db() as session:
        # The request is on record; no consent is.
        assert session.scalars(select(ConsentEvent.kind)).all() == ["signup_request"]


def test_their_yes_signs_for_the_event_and_the_volunteer(
    maria, jane, run_jobs, runner, svc
) -> None:
    maria.text("ADD 404-555-0123 Jane Doe 30303")
    run_jobs()
    assert jane.text("yes!") == []
    run_jobs()
    assert jane.texts_received()[-1] == (
        "Thanks, Jane, you're signer #1 of the letter to the DOJ! "
        "Ask a friend to text FACES to this number to sign too."
    )
    (signup,) = signups(svc)
    with svc.db() as session:
        signature = session.scalars(select(Signature)).one()
        consent = session.get_one(ConsentEvent, signature.consent_event_id)
    assert (signup.status, signup.consent_event_id) == ("confirmed", consent.id)
    assert signature.source == consent.source == "atlanta-rally"
    assert consent.disclosure == signature.consent_text == signup.disclosure
    assert consent.supporter_text == "yes!"
    result = runner.invoke(args=["export", SLUG])
    (row,) = csv.DictReader(io.StringIO(result.stdout))
    assert (row["phone"], row["name"], row["source"]) == (JANE, "Jane Doe", "atlanta-rally")


def test_a_no_ends_it_politely_and_a_later_yes_signs_nothing(maria, jane, run_jobs, svc) -> None:
    maria.text("ADD 404-555-0123 Jane Doe 30303")
    run_jobs()
    assert jane.text("no") == [
        "No problem, nothing was signed. Text FACES any time if you change your mind."
    ]
    assert "Text FACES to" in jane.text("yes")[0]
    run_jobs()
    assert signatures(svc) == 0
    assert [s.status for s in signups(svc)] == ["declined"]


def test_a_stop_ends_it_and_nothing_more_is_sent(maria, jane, run_jobs, svc) -> None:
    maria.text("ADD 404-555-0123 Jane Doe 30303")
    run_jobs()
    assert "unsubscribed" in jane.text("STOP")[0]
    assert [s.status for s in signups(svc)] == ["stopped"]
    assert maria.text("ADD 404-555-0123 Jane Doe 30303") == [
        "404-555-0123 has opted out of our texts, so we can't text Jane. "
        "They can text START to this number to opt back in."
    ]
    run_jobs()
    assert len(jane.texts_received()) == 1


def test_a_stop_in_the_middle_of_a_conversation_still_ends_it(maria, jane, run_jobs, svc) -> None:
    maria.text("ADD 404-555-0123 Jane Doe 30303")
    run_jobs()
    assert "What's your full name?" in jane.text("FACES")[0]  # a conversation of her own
    assert "unsubscribed" in jane.text("STOP")[0]
    assert [s.status for s in signups(svc)] == ["stopped"]


def test_a_yes_in_the_middle_of_a_conversation_answers_the_conversation(
    maria, jane, run_jobs, svc
) -> None:
    maria.text("ADD 404-555-0123 Jane Doe 30303")
    run_jobs()
    jane.text("FACES")
    jane.text("yes")  # her name, as the conversation asked, not the sign-up's answer
    assert [s.status for s in signups(svc)] == ["awaiting_yes"]


def test_a_request_older_than_the_time_allowed_is_no_longer_confirmed(
    maria, jane, run_jobs, svc
) -> None:
    maria.text("ADD 404-555-0123 Jane Doe 30303")
    run_jobs()
    with svc.db.begin() as session:
        session.execute(update(Signup).values(created_at=Signup.created_at - timedelta(days=31)))
    assert "Text FACES to" in jane.text("YES")[0]
    run_jobs()
    assert signatures(svc) == 0


def test_a_phone_that_is_not_a_volunteer_cannot_add_anyone(client, twilio, jane, rally, svc):
    stranger = Phone(client, twilio, "+14045550177")
    assert stranger.text("ADD 404-555-0123 Jane Doe 30303") == [
        "Only registered volunteers can add people by text. "
        "Ask your organizer to register this phone."
    ]
    with svc.db.begin() as session:
        assert remove_volunteer(session, "404-555-0150")
    assert (
        "Only registered volunteers"
        in Phone(client, twilio, MARIA).text("ADD 404-555-0123 Jane Doe 30303")[0]
    )
    assert signups(svc) == []
    assert twilio.messages == []


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("ADD 404-555-012 Jane Doe 30303", "404-555-012 isn't a valid phone number."),
        ("ADD 123-456-7890 Jane Doe 30303", "123-456-7890 isn't a valid phone number."),
        ("ADD +44 20 7946 0018 Jane Doe 30303", "+44 20 7946 0018 is a landline"),
        ("ADD +44 7911 123456 Jane Doe 30303", "+44 7911 123456 isn't a valid phone number."),
        ("ADD 404-555-0123 Jane Doe 00000", "I couldn't find ZIP code 00000."),
        ("ADD 404-555-0123 30303", "To add someone, text ADD, their phone, name and ZIP"),
    ],
)
def test_an_add_that_cannot_be_used_is_refused_with_the_reason(
    maria, run_jobs, svc, twilio, text, answer
) -> None:
    (reply,) = maria.text(text)
    assert reply.startswith(answer)
    run_jobs()
    assert signups(svc) == []
    assert twilio.messages == []


def test_someone_who_already_signed_is_not_asked_again(maria, jane, run_jobs, svc) -> None:
    jane.text("FACES")
    jane.text("Jane Doe")
    jane.text("30303")
    jane.text("YES")
    run_jobs()
    assert maria.text("ADD (404) 555-0123 Jane Doe 30303") == [
        "Jane (404-555-0123) has already signed. Thank you!"
    ]
    run_jobs()
    assert len(jane.texts_received()) == 1  # the confirmation of her own signature
    assert signups(svc) == []


def test_a_second_add_of_the_same_person_sends_one_request(maria, jane, run_jobs, svc) -> None:
    maria.text("ADD 404-555-0123 Jane Doe 30303")
    assert maria.text("ADD +1 404 555 0123 Jane Doe 30303") == [
        "Jane (404-555-0123) already has a text waiting for their YES."
    ]
    run_jobs()
    assert len(jane.texts_received()) == 1
    assert len(signups(svc)) == 1


def test_a_spanish_speaker_is_asked_in_spanish(maria, jane, run_jobs, svc) -> None:
    jane.text("ESPAÑOL")
    maria.text("ADD 404-555-0123 Ana López 30303")
    run_jobs()
    request = jane.texts_received()[-1]
    assert request.startswith("Maria te dio de alta en the Atlanta rally:")
    assert "SI para confirmar." in request
    assert jane.text("sí") == []
    run_jobs()
    assert signatures(svc) == 1
    assert "Tu firma es la #1" in jane.texts_received()[-1]


def test_the_field_form_signs_someone_up_the_same_way(rally, jane, run_jobs, svc) -> None:
    with svc.db() as session:
        maria_id = session.scalars(select(Volunteer.id)).one()
    added = sign_up_in_person(
        svc,
        event="atlanta-rally",
        volunteer_id=maria_id,
        phone="404.555.0123",
        name="jane doe",
        zip_code="30303",
    )
    assert added.outcome is Outcome.ADDED
    run_jobs()
    assert "Maria signed you up at the Atlanta rally" in jane.texts_received()[0]
    assert [(s.entered_via, s.name) for s in signups(svc)] == [("form", "Jane Doe")]
    again_outcomes = [
        ("555-0123", Outcome.INVALID_PHONE),
        ("404.555.0123", Outcome.ALREADY_WAITING),
    ]
    for phone, outcome in again_outcomes:
        again = sign_up_in_person(
            svc,
            event="atlanta-rally",
            volunteer_id=maria_id,
            phone=phone,
            name="Jane Doe",
            zip_code="30303",
        )
        assert again.outcome is outcome


def test_volunteers_are_registered_listed_and_removed_from_the_terminal(rally, runner, svc) -> None:
    result = runner.invoke(args=["volunteers", "list"])
    assert result.output == f"{MARIA}  Maria Lopez  atlanta-rally\n"
    bad = runner.invoke(
        args=["volunteers", "add", "555-0199", "--name", "Tom", "--event", "atlanta-rally"]
    )
    assert bad.exit_code != 0 and "is not a phone number that can get texts" in bad.output
    unknown = runner.invoke(
        args=["volunteers", "add", "404-555-0199", "--name", "Tom Li", "--event", "nope"]
    )
    assert unknown.exit_code != 0 and "there is no event 'nope'" in unknown.output
    assert runner.invoke(args=["volunteers", "remove", "404-555-0150"]).exit_code == 0
    assert "(removed)" in runner.invoke(args=["volunteers", "list"]).output
    assert runner.invoke(args=["volunteers", "remove", "404-555-0150"]).exit_code != 0


def test_the_leaderboard_counts_entered_and_confirmed(client, twilio, maria, run_jobs, runner, svc):
    runner.invoke(args=["volunteers", "add", "404-555-0160", "--name", "Dee Park", "--event",
                        "atlanta-rally"])  # fmt: skip
    dee = Phone(client, twilio, "+14045550160")
    maria.text("ADD 404-555-0123 Jane Doe 30303")
    maria.text("ADD 404-555-0124 Luis Ortiz 30303")
    dee.text("ADD 404-555-0125 Ana Ruiz 30303")
    run_jobs()
    Phone(client, twilio, JANE).text("YES")
    Phone(client, twilio, LUIS).text("no")
    run_jobs()
    with svc.db() as session:
        events = by_event(session)
        volunteers = by_volunteer(session, "atlanta-rally")
    assert [(s.event, s.entered, s.confirmed, s.rate) for s in events] == [
        ("atlanta-rally", 3, 1, pytest.approx(1 / 3))
    ]
    assert [(s.volunteer, s.entered, s.confirmed, s.rate) for s in volunteers] == [
        ("Maria Lopez", 2, 1, 0.5),
        ("Dee Park", 1, 0, 0.0),
    ]
    table = runner.invoke(args=["events", "leaderboard"]).output
    assert "Maria Lopez (atlanta-rally)" in table and "50%" in table


def test_a_volunteer_moves_to_another_event_only_when_asked_and_keeps_past_credit(
    client, twilio, maria, run_jobs, runner, svc
) -> None:
    maria.text("ADD 404-555-0123 Jane Doe 30303")
    runner.invoke(args=["events", "create", "decatur-vigil", "--campaign", SLUG, "--keyword",
                        "FACESDEC", "--name", "the Decatur vigil"])  # fmt: skip
    moving = ["volunteers", "add", "404-555-0150", "--name", "Mary L", "--event", "decatur-vigil"]
    refused = runner.invoke(args=moving, input="n\n")
    assert refused.exit_code != 0
    assert "Maria Lopez (+14045550150) already volunteers at the Atlanta rally" in refused.output
    maria.text("ADD 404-555-0124 Luis Ortiz 30303")
    assert [s.event_id for s in signups(svc)] == [1, 1]  # nothing moved

    assert runner.invoke(args=moving, input="y\n").exit_code == 0
    maria.text("ADD 404-555-0125 Ana Ruiz 30303")
    assert [s.event_id for s in signups(svc)] == [1, 1, 2]
    with svc.db() as session:
        standings = {(s.event, s.volunteer, s.entered) for s in by_volunteer(session)}
    # Past sign-ups keep the event and the name they were made under: nobody was renamed.
    assert standings == {("atlanta-rally", "Maria Lopez", 2), ("decatur-vigil", "Maria Lopez", 1)}
    for event in ("atlanta-rally", "decatur-vigil"):
        listed = runner.invoke(args=["volunteers", "list", "--event", event]).output
        assert listed == f"{MARIA}  Maria Lopez  decatur-vigil\n"


def test_the_volunteers_page_asks_before_moving_a_volunteer(client, svc, rally, runner) -> None:
    runner.invoke(args=["events", "create", "decatur-vigil", "--campaign", SLUG, "--keyword",
                        "FACESDEC", "--name", "the Decatur vigil"])  # fmt: skip
    log_in(client, svc, "organizer")
    form = {"phone": "404-555-0150", "name": "Maria Lopez", "event": "decatur-vigil"}
    form["csrf_token"] = csrf_token(client, "/volunteers")
    asked = client.post("/volunteers", data=form)
    assert asked.status_code == 409
    html = asked.get_data(as_text=True)
    assert "already volunteers at the Atlanta rally" in html
    assert 'name="move" value="yes"' in html
    assert client.post("/volunteers", data=form | {"move": "yes"}).status_code == 302
    with svc.db() as session:
        assert [v.event for v in list_volunteers(session)] == ["decatur-vigil"]


def test_a_campaign_saved_in_the_dashboard_before_sign_ups_existed_still_loads() -> None:
    files = load_catalog(PROJECT_ROOT / "campaigns")
    campaign = files.by_slug(SLUG)
    assert campaign is not None
    saved = campaign_data(campaign)
    saved["title"] = "Edited in the dashboard"
    for templates in saved["messages"].values():
        del templates["confirm_signup"]
    edited = load_catalog(PROJECT_ROOT / "campaigns", [saved]).by_slug(SLUG)
    assert edited is not None and edited.title == "Edited in the dashboard"
    assert edited.messages["es"]["confirm_signup"] == campaign.messages["es"]["confirm_signup"]
