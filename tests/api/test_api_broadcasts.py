"""Broadcasts through the REST API: preview first, then send exactly what was previewed, once."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import ApiClient
from signers import Signer, add_signers

CAMPAIGN = "doj-face-recognition"
DRAFT = {"campaign": CAMPAIGN, "body": "Hi {first_name}! Call your rep today."}


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    return settings | {"TWILIO_MPS": "1000", "SEND_WINDOW": "00:00-24:00"}


def make_token(runner: Any, name: str, *flags: str) -> str:
    result = runner.invoke(args=["api-tokens", "create", name, *flags])
    assert result.exit_code == 0, result.output
    return str(result.output.strip().splitlines()[-1])


@pytest.fixture
def api(client: Any, runner: Any) -> ApiClient:
    return ApiClient(client, make_token(runner, "crm"))


@pytest.fixture
def signers(svc: Any) -> None:
    add_signers(
        svc,
        [
            Signer("+14045550001", name="Ana López"),
            Signer("+14045550002", name="Ben Okafor", state="FL"),
            Signer("+14045550003", opted_out=True),
        ],
    )


def test_a_preview_counts_and_prices_and_its_token_sends_it(
    svc, api, twilio, signers, run_jobs
) -> None:
    preview = api.post("/api/v1/broadcasts/preview", DRAFT)
    assert preview.status_code == 200
    found = preview.get_json()
    assert found["receiving"] == 2
    assert found["excluded"] == {"opted_out": 1}
    assert found["segments"]["count"] == 1 and found["segments"]["encoding"] == "GSM-7"
    assert found["estimated_cost"] == pytest.approx(2 * 0.0079)
    assert twilio.messages == []  # a preview sends nothing
    sent = api.post("/api/v1/broadcasts", {"preview_token": found["preview_token"]})
    assert sent.status_code == 201
    broadcast = sent.get_json()
    assert broadcast["status"] == "planning" and broadcast["body"] == DRAFT["body"]
    run_jobs()
    assert sorted(m.body for m in twilio.messages) == [
        "Hi Ana! Call your rep today.",
        "Hi Ben! Call your rep today.",
    ]
    status = api.get(f"/api/v1/broadcasts/{broadcast['id']}").get_json()
    assert (status["status"], status["sent"], status["skipped"]) == ("done", 2, {"opted_out": 1})
    [listed] = api.get("/api/v1/broadcasts").get_json()["data"]
    assert listed["id"] == broadcast["id"] and listed["status"] == "done"


def test_a_preview_token_sends_once(api, signers) -> None:
    token = api.post("/api/v1/broadcasts/preview", DRAFT).get_json()["preview_token"]
    assert api.post("/api/v1/broadcasts", {"preview_token": token}).status_code == 201
    again = api.post("/api/v1/broadcasts", {"preview_token": token})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "preview_used"


def test_the_audience_and_time_previewed_are_the_ones_sent(api, twilio, signers, run_jobs) -> None:
    draft = DRAFT | {"audience": {"state": "fl"}, "send_at": "2099-05-01T18:00:00-04:00"}
    preview = api.post("/api/v1/broadcasts/preview", draft).get_json()
    assert preview["receiving"] == 1 and preview["audience"] == {"state": "FL"}
    assert preview["send_at"] == "2099-05-01T22:00:00Z"
    sent = api.post("/api/v1/broadcasts", {"preview_token": preview["preview_token"]})
    assert sent.get_json()["status"] == "scheduled"
    assert sent.get_json()["send_at"] == "2099-05-01T22:00:00Z"
    run_jobs()
    assert twilio.messages == []


def test_sending_needs_a_token_this_api_gave_and_not_too_old(api, signers, monkeypatch) -> None:
    for body in ({}, {"preview_token": "forged"}):
        refused = api.post("/api/v1/broadcasts", body)
        assert refused.status_code == 422
        assert refused.get_json()["error"]["code"] == "invalid"
    token = api.post("/api/v1/broadcasts/preview", DRAFT).get_json()["preview_token"]
    monkeypatch.setattr("bot.api.views.PREVIEW_MAX_AGE", -1)
    expired = api.post("/api/v1/broadcasts", {"preview_token": token})
    assert expired.get_json()["error"]["code"] == "preview_expired"


def test_a_draft_that_cannot_be_sent_is_refused_with_the_reason(api) -> None:
    cases = [
        ({"campaign": "nope", "body": "Hi"}, "there is no campaign 'nope'"),
        (DRAFT | {"body": "Hi {last_name}"}, "last_name"),
        (DRAFT | {"audience": {"state": "Georgia"}}, "two capital letters"),
        (DRAFT | {"audience": {"color": "red"}}, "audience may have only"),
        (DRAFT | {"send_at": "2099-05-01T18:00"}, "time zone"),
        ({"body": "Hi"}, "campaign and body are required"),
    ]
    for draft, reason in cases:
        refused = api.post("/api/v1/broadcasts/preview", draft)
        assert refused.status_code == 422, draft
        assert refused.get_json()["error"]["code"] == "invalid"
        assert reason in refused.get_json()["error"]["message"], draft
    malformed = api.client.post(
        "/api/v1/broadcasts/preview", data="{", headers=api._auth() | {"Content-Type": "text/plain"}
    )
    assert malformed.status_code == 400
    assert malformed.get_json()["error"]["code"] == "bad_request"


def test_a_read_only_token_may_read_but_not_send(client, runner, signers) -> None:
    reader = ApiClient(client, make_token(runner, "dashboard", "--read-only"))
    assert reader.get("/api/v1/campaigns").status_code == 200
    refused = reader.post("/api/v1/broadcasts/preview", DRAFT)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "read_only"


def test_an_unknown_broadcast_is_not_found(api) -> None:
    missing = api.get("/api/v1/broadcasts/999")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
