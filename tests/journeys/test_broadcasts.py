"""An organizer broadcasts from the terminal: now, and at a time given in Los Angeles."""

from __future__ import annotations

import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from store.models import Broadcast, Message, utcnow

SLUG = "doj-face-recognition"
JANE = "+14045550123"
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
AHEAD = timedelta(seconds=4)


def test_a_broadcast_goes_now_and_a_scheduled_one_at_its_time_by_itself(stack) -> None:
    for body in ("FACES", "Jane Doe", "30303", "YES"):
        stack.text(JANE, body)
    stack.settle()

    now = stack.cli(["broadcast", "send", SLUG, "--message", "Hi {first_name}!", "--yes"])
    assert now.exit_code == 0, now.output
    assert "will receive:    1" in now.output
    stack.settle()
    assert stack.went_out(JANE)[-1] == "Hi Jane!"

    # Late in its second: RQ's scheduler counts whole seconds, and must not start it early.
    at = (utcnow() + AHEAD).replace(microsecond=990_000).astimezone(LOS_ANGELES)
    args = ["broadcast", "send", SLUG, "--message", "Rally Saturday!", "--at", at.isoformat()]
    later = stack.cli([*args, "--yes"])
    assert later.exit_code == 0, later.output
    assert "is scheduled at" in later.output
    while utcnow() < at:
        assert "Rally Saturday!" not in stack.went_out(JANE)
        time.sleep(0.1)
    stack.wait_until(lambda: "Rally Saturday!" in stack.went_out(JANE), 15, "the scheduled text")
    stack.settle()
    with stack.svc.db() as session:
        broadcast = session.scalars(select(Broadcast).where(Broadcast.send_at.is_not(None))).one()
        text = session.scalars(select(Message).where(Message.body == "Rally Saturday!")).one()
    assert (broadcast.status, broadcast.send_at) == ("done", at)
    assert broadcast.started_at is not None and broadcast.started_at >= at
    assert text.created_at >= at
