"""Action Network: each signature recorded once on the connected petition, opt-outs after it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from helpers import Phone
from signers import Signer, add_signers, atlanta
from sqlalchemy import select

from bot.integrations.action_network import sync_action_network
from bot.integrations.attempts import BACKOFF
from store.models import ActionNetworkSync

CAMPAIGN = "doj-face-recognition"


@pytest.fixture
def settings(settings: dict[str, Any], action_network: Any) -> dict[str, Any]:
    return settings | {
        "ACTION_NETWORK_API_KEY": action_network.api_key,
        "ACTION_NETWORK_API_URL": action_network.api_url,
    }


def connect(runner: Any, petition_id: str) -> None:
    result = runner.invoke(
        args=["action-network", "connect", CAMPAIGN, "--petition-id", petition_id]
    )
    assert result.exit_code == 0, result.output


def sign(phone: Phone, run_jobs: Any, name: str = "Jane Q. Doe") -> None:
    for body in ("FACES", name, "30303", "YES"):
        phone.text(body)
    run_jobs()


def syncs(svc: Any) -> list[ActionNetworkSync]:
    with svc.db() as session:
        return list(session.scalars(select(ActionNetworkSync).order_by(ActionNetworkSync.id)))


def test_a_new_signature_is_recorded_on_the_petition_with_the_person(
    svc, phone, runner, action_network, run_jobs, run_integrations
) -> None:
    connect(runner, action_network.petition_id)
    sign(phone, run_jobs)
    run_integrations()
    [call] = action_network.calls
    assert call.method == "POST"
    assert call.path == f"/api/v2/petitions/{action_network.petition_id}/signatures/"
    assert call.body == {
        "person": {
            "given_name": "Jane",
            "family_name": "Q. Doe",
            "postal_addresses": [
                {"postal_code": "30303", "locality": "Atlanta", "region": "GA", "country": "US"}
            ],
            "phone_numbers": [
                {"number": "14045550123", "number_type": "Mobile", "status": "subscribed"}
            ],
        }
    }
    person = action_network.person_by_phone("14045550123")
    assert person is not None and person.phone_status == "subscribed"
    [done] = syncs(svc)
    assert (done.action, done.status, done.response_code) == ("sign", "done", 200)
    assert done.person_id == person.id
    assert done.remote_id == action_network.signatures[(action_network.petition_id, person.id)]


def test_a_signature_is_never_posted_twice(
    svc, phone, runner, action_network, run_jobs, run_integrations
) -> None:
    connect(runner, action_network.petition_id)
    sign(phone, run_jobs)
    run_integrations()
    [done] = syncs(svc)
    # Sent again by a person, run twice by RQ, asked again by a backfill: no second POST.
    assert runner.invoke(args=["action-network", "retry", str(done.id)]).exit_code == 0
    run_jobs()
    sync_action_network(done.id)
    assert runner.invoke(args=["action-network", "backfill", CAMPAIGN]).output.startswith("0 ")
    run_integrations()
    assert len(action_network.calls) == 1
    assert syncs(svc)[0].status == "done"


def test_action_network_down_is_tried_again_with_backoff(
    svc, phone, runner, action_network, run_jobs, run_integrations, later
) -> None:
    connect(runner, action_network.petition_id)
    action_network.fail_next(1, status=503)
    sign(phone, run_jobs)
    run_integrations()
    [waiting] = syncs(svc)
    assert (waiting.status, waiting.attempts, waiting.response_code) == ("pending", 1, 503)
    later(BACKOFF[0] + 1)
    run_integrations()
    assert syncs(svc)[0].status == "done"
    log = runner.invoke(args=["action-network", "log", CAMPAIGN]).output
    assert "sign  done  tries 2  answer 200" in log


def test_a_wrong_key_is_refused_and_logged(
    svc, phone, runner, action_network, run_jobs, run_integrations
) -> None:
    connect(runner, action_network.petition_id)
    svc.settings = replace(svc.settings, action_network_api_key="wrong")
    sign(phone, run_jobs)
    run_integrations()
    [refused] = syncs(svc)
    assert (refused.status, refused.response_code) == ("pending", 401)
    assert "API Key invalid" in (refused.error or "")


def test_an_unknown_petition_is_not_taken_for_a_signature(
    svc, phone, runner, action_network, run_jobs, run_integrations
) -> None:
    connect(runner, "no-such-petition")
    sign(phone, run_jobs)
    run_integrations()
    [unsigned] = syncs(svc)
    assert unsigned.status == "pending" and unsigned.remote_id is None
    assert "is the petition id right?" in (unsigned.error or "")


def test_an_opt_out_unsubscribes_the_person_and_an_opt_in_subscribes_them(
    svc, phone, runner, action_network, run_jobs, run_integrations
) -> None:
    connect(runner, action_network.petition_id)
    sign(phone, run_jobs)
    run_integrations()
    phone.text("STOP")
    run_integrations()
    person = action_network.person_by_phone("14045550123")
    assert person is not None and person.phone_status == "unsubscribed"
    put = action_network.calls[-1]
    assert (put.method, put.path) == ("PUT", f"/api/v2/people/{person.id}")
    assert put.body == {
        "phone_numbers": [
            {"number": "14045550123", "number_type": "Mobile", "status": "unsubscribed"}
        ]
    }
    phone.text("START")
    run_integrations()
    assert person.phone_status == "subscribed"
    assert [s.action for s in syncs(svc)] == ["sign", "unsubscribe", "subscribe"]


def test_an_opt_out_before_the_signature_reached_action_network_still_ends_unsubscribed(
    svc, phone, runner, action_network, run_jobs, run_integrations, later
) -> None:
    connect(runner, action_network.petition_id)
    action_network.fail_next(1)
    sign(phone, run_jobs)
    run_integrations()  # the signature waits
    phone.text("STOP")
    run_integrations()  # the unsubscribe waits for the person
    assert [(s.action, s.status) for s in syncs(svc)] == [
        ("sign", "pending"),
        ("unsubscribe", "pending"),
    ]
    assert "waiting for the signature" in (syncs(svc)[1].error or "")
    later(3600)
    run_integrations()
    later(7200)
    run_integrations()
    assert [s.status for s in syncs(svc)] == ["done", "done"]
    # Sent as it is now: no "subscribed" for a phone that opted out.
    assert "status" not in action_network.calls[1].body["person"]["phone_numbers"][0]
    person = action_network.person_by_phone("14045550123")
    assert person is not None and person.phone_status == "unsubscribed"


def test_signatures_of_a_campaign_not_connected_stay_here(
    svc, phone, action_network, run_jobs, run_integrations
) -> None:
    sign(phone, run_jobs)
    run_integrations()
    assert action_network.calls == [] and syncs(svc) == []


def test_a_backfill_sends_the_signers_from_before_the_connection_once(
    svc, runner, action_network, run_jobs, run_integrations
) -> None:
    add_signers(svc, [*atlanta(3), Signer("+14045550999", opted_out=True)])
    connect(runner, action_network.petition_id)
    result = runner.invoke(args=["action-network", "backfill", CAMPAIGN])
    assert result.output.startswith("4 signature(s) queued"), result.output
    assert runner.invoke(args=["action-network", "backfill", CAMPAIGN]).output.startswith("0 ")
    run_integrations()
    assert len(action_network.people) == 4
    assert len(action_network.signatures) == 4
    statuses = {p.phone: p.phone_status for p in action_network.people.values()}
    assert statuses["14045550999"] == "unsubscribed"  # opted out before: never subscribed


def test_connecting_needs_the_api_key_and_a_campaign(svc, runner, settings) -> None:
    result = runner.invoke(args=["action-network", "connect", "nope", "--petition-id", "p1"])
    assert result.exit_code != 0 and "there is no campaign 'nope'" in result.output
    svc.settings = replace(svc.settings, action_network_api_key="")
    result = runner.invoke(args=["action-network", "connect", CAMPAIGN, "--petition-id", "p1"])
    assert result.exit_code != 0 and "ACTION_NETWORK_API_KEY" in result.output


def test_a_disconnected_campaign_sends_no_more(
    svc, phone, runner, action_network, run_jobs, run_integrations
) -> None:
    connect(runner, action_network.petition_id)
    assert runner.invoke(args=["action-network", "disconnect", CAMPAIGN]).exit_code == 0
    sign(phone, run_jobs)
    run_integrations()
    assert action_network.calls == []
