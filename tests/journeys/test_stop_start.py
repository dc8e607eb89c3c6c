"""A signer texts STOP: told, opted out, left out of the next broadcast; START undoes it."""

from __future__ import annotations

from sqlalchemy import select

from store.models import Supporter

SLUG = "doj-face-recognition"
JANE = "+14045550123"
LUIS = "+14045550124"


def test_stop_opts_a_signer_out_of_broadcasts_and_start_subscribes_her_again(stack) -> None:
    for phone, name in ((JANE, "Jane Doe"), (LUIS, "Luis Ortiz")):
        for body in ("FACES", name, "30303", "YES"):
            stack.text(phone, body)
    stack.settle()

    assert stack.text(JANE, "STOP") == [
        "You're unsubscribed from Civil Rights Text Team and will get no more texts. "
        "Reply START to resubscribe."
    ]
    assert opted_out(stack, JANE) and not opted_out(stack, LUIS)
    sent = stack.cli(["broadcast", "send", SLUG, "--message", "Rally Saturday!", "--yes"])
    assert sent.exit_code == 0, sent.output
    assert "left out:        1 (opted_out 1)" in sent.output
    stack.settle()
    assert stack.went_out(LUIS)[-1] == "Rally Saturday!"
    assert "Rally Saturday!" not in stack.went_out(JANE)

    (subscribed,) = stack.text(JANE, "START")
    assert subscribed.startswith("You're subscribed again to Civil Rights Text Team")
    assert not opted_out(stack, JANE)


def opted_out(stack, phone: str) -> bool:
    with stack.svc.db() as session:
        supporter = session.scalars(select(Supporter).where(Supporter.phone == phone)).one()
    return supporter.opted_out_at is not None
