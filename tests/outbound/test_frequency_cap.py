"""A campaign's messages_per_month is kept: broadcasts past it are left out, and said so."""

from __future__ import annotations

from typing import Any

import pytest
from signers import CAMPAIGN, Signer, add_signers
from sqlalchemy import select, text

from bot.broadcasts import service as broadcasts
from bot.broadcasts.audience import Audience
from bot.broadcasts.jobs import plan_broadcast
from store.models import Message

ANA, BEN = "+14045550001", "+14045550002"  # the campaign promises them 4 msgs/month


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    return settings | {"TWILIO_MPS": "1000", "SEND_WINDOW": "00:00-24:00"}


def broadcast(svc: Any, body: str = "Call your rep today.", **filters: Any) -> int:
    broadcast_id = broadcasts.create(svc, CAMPAIGN, Audience.of(**filters), body)
    broadcasts.start(svc, broadcast_id)
    return broadcast_id


def skipped(svc: Any, broadcast_id: int) -> dict[str, str | None]:
    with svc.db() as session:
        query = select(Message.phone, Message.skip_reason).where(
            Message.broadcast_id == broadcast_id, Message.status == "skipped"
        )
        return dict(session.execute(query).all())


def test_a_fifth_broadcast_in_a_month_is_left_out_and_the_preview_says_so(
    svc, twilio, run_jobs
) -> None:
    add_signers(svc, [Signer(ANA), Signer(BEN)])
    for n in range(4):
        broadcast(svc, f"Update {n}")
        run_jobs()
    with svc.db.begin() as session:  # Ben got the first three only
        session.execute(text(f"DELETE FROM messages WHERE phone = '{BEN}' AND body = 'Update 0'"))
    preview = broadcasts.preview(svc, CAMPAIGN, Audience(), "Update 4")
    assert (preview.receiving, preview.excluded) == (1, {"frequency_cap": 1})
    fifth = broadcast(svc, "Update 4")
    run_jobs()
    assert skipped(svc, fifth) == {ANA: "frequency_cap"}
    assert [m.to for m in twilio.messages].count(ANA) == 4
    assert [m.body for m in twilio.messages if m.to == BEN][-1] == "Update 4"


def test_broadcasts_planned_together_are_capped_as_they_go(svc, twilio, run_jobs) -> None:
    add_signers(svc, [Signer(ANA)])
    for n in range(3):
        broadcast(svc, f"Update {n}")
        run_jobs()
    # Two more planned while Ana still had room for one: the first to go takes it.
    later = [broadcasts.create(svc, CAMPAIGN, Audience(), f"Late {n}") for n in range(2)]
    for broadcast_id in later:
        with svc.db.begin() as session:
            session.execute(
                text(f"UPDATE broadcasts SET status = 'planning' WHERE id = {broadcast_id}")
            )
        plan_broadcast(broadcast_id)
    run_jobs()
    assert len(twilio.messages) == 4
    assert sorted(skipped(svc, i).get(ANA) or "sent" for i in later) == ["frequency_cap", "sent"]


def test_a_broadcast_older_than_30_days_no_longer_counts(svc, twilio, run_jobs) -> None:
    add_signers(svc, [Signer(ANA)])
    for n in range(4):
        broadcast(svc, f"Update {n}")
        run_jobs()
    with svc.db.begin() as session:
        session.execute(text("UPDATE messages SET created_at = created_at - interval '31 days'"))
    broadcast(svc, "A month on")
    run_jobs()
    assert twilio.messages[-1].body == "A month on"
