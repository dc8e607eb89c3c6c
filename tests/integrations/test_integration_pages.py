"""The admins' integrations page: add a webhook (its secret shown once), the log, send again."""

from __future__ import annotations

import re
from typing import Any

import pytest
from helpers import csrf_token, log_in
from signers import add_signers, atlanta
from standardwebhooks import Webhook

PAGE = "/admin/integrations/"
CAMPAIGN = "doj-face-recognition"


@pytest.fixture
def settings(settings: dict[str, Any], action_network: Any) -> dict[str, Any]:
    return settings | {
        "ACTION_NETWORK_API_KEY": action_network.api_key,
        "ACTION_NETWORK_API_URL": action_network.api_url,
    }


def test_an_admin_adds_a_webhook_follows_its_deliveries_and_sends_one_again(
    client, svc, phone, receiver, run_jobs, run_integrations
) -> None:
    log_in(client, svc, role="admin")
    added = client.post(
        PAGE + "webhooks",
        data={
            "url": receiver.url,
            "events": ["supporter.opted_out"],
            "csrf_token": csrf_token(client, PAGE),
        },
    )
    secret = re.search(r'<code class="secret">(whsec_[^<]+)</code>', added.get_data(as_text=True))
    assert secret is not None
    phone.text("STOP")
    run_integrations()
    page = client.get(PAGE).get_data(as_text=True)
    assert secret.group(1) not in page  # shown once
    assert "supporter.opted_out" in page and "delivered" in page
    delivery_id = re.search(r"/deliveries/(\d+)/resend", page)
    assert delivery_id is not None
    client.post(
        f"{PAGE}deliveries/{delivery_id.group(1)}/resend",
        data={"csrf_token": csrf_token(client, PAGE)},
    )
    run_jobs()
    assert len(receiver.received) == 2
    for request in receiver.received:
        Webhook(secret.group(1)).verify(request.body, request.headers)


def test_a_bad_address_is_refused_with_the_reason(client, svc) -> None:
    log_in(client, svc, role="admin")
    refused = client.post(
        PAGE + "webhooks", data={"url": "hooks.example.org", "csrf_token": csrf_token(client, PAGE)}
    )
    assert refused.status_code == 400
    assert "is not an http:// or https:// address" in refused.get_data(as_text=True)


def test_an_admin_connects_a_campaign_sends_earlier_signers_and_disconnects(
    client, svc, action_network, run_integrations
) -> None:
    log_in(client, svc, role="admin")
    add_signers(svc, atlanta(2))
    connected = client.post(
        PAGE + "action-network",
        data={
            "campaign": CAMPAIGN,
            "petition_id": action_network.petition_id,
            "csrf_token": csrf_token(client, PAGE),
        },
    )
    assert connected.status_code == 302
    page = client.get(PAGE).get_data(as_text=True)
    assert action_network.petition_id in page
    client.post(
        f"{PAGE}action-network/{CAMPAIGN}/backfill", data={"csrf_token": csrf_token(client, PAGE)}
    )
    run_integrations()
    assert len(action_network.signatures) == 2
    page = client.get(PAGE).get_data(as_text=True)
    assert page.count('<span class="badge">done</span>') == 2
    client.post(
        f"{PAGE}action-network/{CAMPAIGN}/disconnect",
        data={"csrf_token": csrf_token(client, PAGE)},
    )
    assert action_network.petition_id not in client.get(PAGE).get_data(as_text=True)


def test_a_campaign_connected_to_no_petition_id_is_refused(client, svc) -> None:
    log_in(client, svc, role="admin")
    refused = client.post(
        PAGE + "action-network",
        data={"campaign": CAMPAIGN, "petition_id": " ", "csrf_token": csrf_token(client, PAGE)},
    )
    assert refused.status_code == 400
    assert "is not a petition id" in refused.get_data(as_text=True)
