"""The REST API: tokens, campaigns, signatures page by page, supporters, events, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from api_client import ApiClient
from helpers import Phone
from signers import Signer, add_signers, atlanta
from sqlalchemy import select

from bot.api import tokens
from bot.field.events import create_event
from store.models import ApiToken

CAMPAIGN = "doj-face-recognition"


def make_token(runner: Any, name: str = "zapier", *flags: str) -> str:
    result = runner.invoke(args=["api-tokens", "create", name, *flags])
    assert result.exit_code == 0, result.output
    return str(result.output.strip().splitlines()[-1])


@pytest.fixture
def api(client: Any, runner: Any) -> ApiClient:
    """A partner tool's client, with a read-write token."""
    return ApiClient(client, make_token(runner))


def test_a_token_is_shown_once_and_stored_only_as_its_hash(svc, runner) -> None:
    token = make_token(runner, "zapier")
    assert token.startswith("pb_") and len(token) > 40
    with svc.db() as session:
        stored = session.scalars(select(ApiToken)).one()
    assert stored.token_hash == tokens.digest(token) and token not in stored.token_hash
    assert (
        "zapier  read-write  last used never used  in use"
        in runner.invoke(args=["api-tokens", "list"]).output
    )


def test_a_request_without_a_good_token_is_refused_in_json(client, runner) -> None:
    make_token(runner)
    for headers in ({}, {"Authorization": "Bearer pb_wrong"}, {"Authorization": "Basic x"}):
        response = ApiClient(client, None).client.get("/api/v1/campaigns", headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    anonymous = ApiClient(client, "pb_wrong")
    assert anonymous.get("/api/v1/campaigns").status_code == 401  # as the document says


def test_a_revoked_token_is_refused_and_use_is_noted(svc, client, runner) -> None:
    token = make_token(runner)
    api = ApiClient(client, token)
    assert api.get("/api/v1/campaigns").status_code == 200
    assert "last used never" not in runner.invoke(args=["api-tokens", "list"]).output
    assert runner.invoke(args=["api-tokens", "revoke", "zapier"]).exit_code == 0
    assert api.get("/api/v1/campaigns").status_code == 401
    assert "revoked" in runner.invoke(args=["api-tokens", "list"]).output
    assert runner.invoke(args=["api-tokens", "revoke", "zapier"]).exit_code != 0


def test_campaigns_are_listed_with_their_counts(svc, api) -> None:
    add_signers(svc, atlanta(2))
    response = api.get("/api/v1/campaigns")
    assert response.status_code == 200
    [campaign] = [c for c in response.get_json()["data"] if c["slug"] == CAMPAIGN]
    assert campaign["keyword"] == "FACES" and campaign["active"] is True
    one = api.get(f"/api/v1/campaigns/{CAMPAIGN}").get_json()
    assert one["slug"] == CAMPAIGN
    missing = api.get("/api/v1/campaigns/nope")
    assert missing.status_code == 404
    assert missing.get_json()["error"] == {
        "code": "not_found",
        "message": "there is no campaign 'nope'",
    }


def test_signatures_come_a_page_at_a_time_with_every_field(svc, api) -> None:
    add_signers(svc, [Signer("+14045550001", name="Dr. Ana María López", language="es")])
    add_signers(svc, atlanta(4))
    first = api.get(f"/api/v1/campaigns/{CAMPAIGN}/signatures", limit=2).get_json()
    assert first["data"][0] == {
        "id": 1,
        "phone": "+14045550001",
        "name": "Dr. Ana María López",
        "first_name": "Ana",
        "last_name": "María López",
        "zip": "30303",
        "city": "Atlanta",
        "state": "GA",
        "signed_at": "2026-02-01T15:00:00Z",
        "source": "sms",
        "opted_out": False,
        "language": "es",
    }
    phones = [row["phone"] for row in first["data"]]
    cursor = first["next_cursor"]
    while cursor:
        page = api.get(f"/api/v1/campaigns/{CAMPAIGN}/signatures", limit=2, cursor=cursor)
        phones += [row["phone"] for row in page.get_json()["data"]]
        cursor = page.get_json()["next_cursor"]
    assert len(phones) == 5 == len(set(phones))


def test_signatures_are_filtered_by_time_source_and_state(svc, api) -> None:
    add_signers(
        svc,
        [
            Signer("+14045550001", signed_at=datetime(2026, 1, 1, tzinfo=UTC)),
            Signer("+14045550002", source="atlanta-rally"),
            Signer("+13055550003", state="FL", city="Miami", zip_code="33101"),
        ],
    )
    path = f"/api/v1/campaigns/{CAMPAIGN}/signatures"

    def phones(**query: Any) -> list[str]:
        return [row["phone"] for row in api.get(path, **query).get_json()["data"]]

    assert phones(since="2026-01-15T00:00:00Z") == ["+14045550002", "+13055550003"]
    assert phones(source="atlanta-rally") == ["+14045550002"]
    assert phones(state="fl") == ["+13055550003"]
    for bad in ({"since": "yesterday"}, {"since": "2026-01-15T00:00"}, {"cursor": "bogus"}):
        refused = api.get(path, **bad)
        assert refused.status_code == 400, bad
        assert refused.get_json()["error"]["code"] == "bad_request"
    assert api.get(path, limit=0).status_code == 400


def test_a_supporter_is_found_by_phone_with_consent_history(svc, api, phone, run_jobs) -> None:
    for body in ("FACES", "Jane Doe", "30303", "YES"):
        phone.text(body)
    run_jobs()
    phone.text("STOP")
    found = api.get("/api/v1/supporters/+14045550123").get_json()
    assert found["first_name"] == "Jane" and found["opted_out"] is True
    assert found["opted_out_at"].endswith("Z")
    assert [s["campaign"] for s in found["signatures"]] == [CAMPAIGN]
    assert [c["kind"] for c in found["consent"]] == ["opt_in", "opt_out"]
    assert found["consent"][1]["supporter_text"] == "STOP"
    assert api.get("/api/v1/supporters/4045550123").get_json()["phone"] == "+14045550123"
    assert api.get("/api/v1/supporters/+14045550199").status_code == 404
    assert api.get("/api/v1/supporters/nonsense").status_code == 404


def test_a_supporter_a_volunteer_entered_shows_the_request_in_the_history(
    api, client, twilio, rally, run_jobs
) -> None:
    maria = Phone(client, twilio, "+14045550150")
    assert "Sent Jane a text" in maria.text("ADD 404-555-0123 Jane Doe 30303")[0]
    run_jobs()
    Phone(client, twilio, "+14045550123").text("YES")
    found = api.get("/api/v1/supporters/+14045550123").get_json()
    assert [c["kind"] for c in found["consent"]] == ["signup_request", "opt_in"]
    assert found["consent"][0]["disclosure"].startswith("Maria signed you up")


def test_events_are_listed(svc, api) -> None:
    with svc.db.begin() as session:
        create_event(
            session,
            svc.catalog,
            "atlanta-rally",
            campaign=CAMPAIGN,
            keyword="FACESATL",
            name="Atlanta rally",
        )
    [event] = api.get("/api/v1/events").get_json()["data"]
    assert event == {
        "slug": "atlanta-rally",
        "campaign": CAMPAIGN,
        "keyword": "FACESATL",
        "name": "Atlanta rally",
        "place": None,
        "held_on": None,
    }


def test_unknown_paths_and_methods_answer_json_errors(api) -> None:
    missing = api.client.get("/api/v1/nothing", headers=api._auth())
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    wrong = api.client.delete("/api/v1/campaigns", headers=api._auth())
    assert wrong.status_code == 405
    assert wrong.get_json()["error"]["code"] == "method_not_allowed"


def test_the_openapi_document_needs_no_token_and_describes_every_route(client, app) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    routes = {
        rule.rule.replace("<", "{").replace(">", "}").replace("int:", "")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi"
    }
    assert routes == set(document["paths"])
