"""The admins' integrations page: add a webhook (its secret shown once), the log, send again."""

from __future__ import annotations

import re

from conftest import csrf_token, log_in
from standardwebhooks import Webhook

PAGE = "/admin/integrations/"


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
