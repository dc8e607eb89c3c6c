"""The REST API's limits: each token has its own count; past it, 429 and when to retry."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import ApiClient


def make_token(runner: Any, name: str) -> str:
    result = runner.invoke(args=["api-tokens", "create", name])
    assert result.exit_code == 0, result.output
    return str(result.output.strip().splitlines()[-1])


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    return settings | {"API_RATE_LIMIT": "3/minute"}


def test_a_token_past_its_limit_is_told_when_to_come_back(client, runner) -> None:
    api = ApiClient(client, make_token(runner, "busy"))
    for _ in range(3):
        assert api.get("/api/v1/campaigns").status_code == 200
    limited = api.get("/api/v1/campaigns")
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    # Another token has its own count.
    assert ApiClient(client, make_token(runner, "other")).get("/api/v1/events").status_code == 200
