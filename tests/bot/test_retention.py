"""Old conversation texts are deleted; what people agreed to, and their signatures, stay."""

from __future__ import annotations

from helpers import Phone
from sqlalchemy import func, select, text

from store.models import ConsentEvent, Message, Signature, Signup

JANE, LUIS, MARIA = "+14045550123", "+14045550124", "+14045550150"
AGE_EVERY_MESSAGE = text("UPDATE messages SET created_at = created_at - interval '400 days'")


def count(svc, column) -> int:
    with svc.db() as session:
        return int(session.scalar(select(func.count(column))) or 0)


def test_old_texts_go_and_consent_events_and_signatures_stay(
    client, twilio, svc, runner, run_jobs
) -> None:
    for args in (
        ["events", "create", "atlanta-rally", "--campaign", "doj-face-recognition",
         "--keyword", "FACESATL", "--name", "the Atlanta rally"],
        ["volunteers", "add", MARIA, "--name", "Maria Lopez", "--event", "atlanta-rally"],
    ):  # fmt: skip
        assert runner.invoke(args=args).exit_code == 0
    jane = Phone(client, twilio, JANE)
    for body in ("FACES", "Jane Doe", "30303", "YES"):
        jane.text(body)
    Phone(client, twilio, MARIA).text("ADD 404-555-0124 Luis Ortiz 30303")
    run_jobs()
    jane.text("STOP")
    events, signatures = count(svc, ConsentEvent.id), count(svc, Signature.id)
    with svc.db.begin() as session:  # all that was a year and more ago
        session.execute(AGE_EVERY_MESSAGE)
    Phone(client, twilio, LUIS).text("YES")  # today: kept
    run_jobs()

    result = runner.invoke(args=["retention"])  # MESSAGE_RETENTION_DAYS: 365
    assert result.exit_code == 0, result.output
    assert result.output.startswith("deleted 13 message(s) from before ")
    with svc.db() as session:
        kept = session.execute(select(Message.phone, Message.direction)).all()
        signature = session.scalars(select(Signature).where(Signature.number == 1)).one()
        signup = session.scalars(select(Signup)).one()
    assert set(kept) == {(LUIS, "in"), (LUIS, "out")}  # the YES, and its confirmation
    assert count(svc, ConsentEvent.id) == events + 1  # Luis's YES
    assert count(svc, Signature.id) == signatures + 1
    assert signature.confirmation_id is None and signature.consent_text
    assert signup.message_id is None and signup.disclosure


def test_work_still_owed_is_kept_however_old(phone, svc, runner, monkeypatch) -> None:
    from bot.inbound import phone_turns

    monkeypatch.setattr(phone_turns, "WAIT_SECONDS", 0.1)
    stuck = svc.turns.begin(phone.number)
    phone.text("FACES")  # stored unprocessed behind the stuck turn
    svc.turns.end(stuck)
    with svc.db.begin() as session:
        session.execute(AGE_EVERY_MESSAGE)
    assert runner.invoke(args=["retention", "--older-than", "31"]).exit_code == 0
    assert count(svc, Message.id) == 1


def test_fewer_days_than_a_month_is_refused(runner) -> None:
    result = runner.invoke(args=["retention", "--older-than", "7"])
    assert result.exit_code != 0
    assert "7 is not in the range x>=31" in result.output
