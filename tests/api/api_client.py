"""A REST API client for tests: sends the token, and checks every answer against the
OpenAPI document the API itself serves (its status, headers and body shape)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request


class ApiClient:
    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client, self.token = client, token
        document = client.get("/api/v1/openapi.json")
        assert document.status_code == 200
        self.openapi = OpenAPI.from_dict(document.get_json())

    def get(self, path: str, **query: Any) -> Any:
        return self._send(path, "GET", query_string=query)

    def post(self, path: str, body: Any = None) -> Any:
        return self._send(path, "POST", json=body)

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _send(self, path: str, method: str, **options: Any) -> Any:
        response = self.client.open(path, method=method, headers=self._auth(), **options)
        # The request as sent, read afresh: the app has consumed the one the client holds.
        sent = Request(EnvironBuilder(path, method=method, **options).get_environ())
        self.openapi.validate_response(
            WerkzeugOpenAPIRequest(sent), WerkzeugOpenAPIResponse(response)
        )
        return response
