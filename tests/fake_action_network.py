"""A fake Action Network API (v2) on a local port: the record signature helper and people.

It checks what Action Network's documentation asks of a request: the ``OSDI-API-Token`` header
(401 without the right one), a JSON body, and for the record signature helper a ``person``
with ``phone_numbers`` (``number``, ``number_type`` Mobile, and at this endpoint only the
status ``subscribed``) or ``email_addresses``, optional ``given_name``/``family_name`` and
``postal_addresses`` (``postal_code``, ``locality``, ``region``, ``country``). A body that
breaks these rules is answered 400 with the reason, so a test fails on it. Like the real
API it deduplicates people by phone and signatures by person, answers a signature with its
``identifiers`` and a link to its person, and answers an unknown petition with an empty
200 (its "blind POST" manner). A person's phone status can be changed with ``PUT /people/{id}``.
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fake_twilio import BackgroundServer
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

PERSON_FIELDS = {
    "given_name",
    "family_name",
    "postal_addresses",
    "phone_numbers",
    "email_addresses",
}
ADDRESS_FIELDS = {"postal_code", "locality", "region", "country", "address_lines"}
PHONE_FIELDS = {"number", "number_type", "status"}


@dataclass
class Person:
    id: str
    given_name: str | None
    family_name: str | None
    phone: str
    phone_status: str  # subscribed, unsubscribed
    postal_addresses: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: Any


class FakeActionNetwork(BackgroundServer):
    """Stand in for Action Network's API; tests read ``people``, ``signatures``, ``calls``."""

    def __init__(self) -> None:
        super().__init__(self)
        self.api_key = secrets.token_hex(16)
        self.petitions: set[str] = {str(uuid.uuid4())}
        self._lock = threading.Lock()
        self.people: dict[str, Person] = {}
        self.signatures: dict[tuple[str, str], str] = {}  # (petition, person) -> signature id
        self.calls: list[Call] = []
        self._failures: deque[int] = deque()
        self._urls = Map(
            [
                Rule("/api/v2/petitions/<petition_id>/signatures/", endpoint="sign"),
                Rule("/api/v2/people/<person_id>", endpoint="person"),
            ],
            strict_slashes=False,
        )

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v2"

    @property
    def petition_id(self) -> str:
        return next(iter(self.petitions))

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def reset(self) -> None:
        with self._lock:
            self.people.clear()
            self.signatures.clear()
            self.calls.clear()
            self._failures.clear()

    def person_by_phone(self, number: str) -> Person | None:
        with self._lock:
            return next((p for p in self.people.values() if p.phone == number), None)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        request = Request(environ)
        try:
            response = self._dispatch(request)
        except HTTPException as error:
            response = _json({"error": error.description}, error.code or 500)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        endpoint, args = self._urls.bind_to_environ(request.environ).match()
        body = request.get_json(silent=True)
        with self._lock:
            self.calls.append(Call(request.method, request.path, body))
            if self._failures:
                return _json({"error": "planned failure"}, self._failures.popleft())
        if request.headers.get("OSDI-API-Token") != self.api_key:
            return _json({"error": "API Key invalid or not present"}, 401)
        if not isinstance(body, dict) or request.mimetype != "application/json":
            return _json({"error": "a JSON body is required"}, 400)
        if endpoint == "sign" and request.method == "POST":
            return self._sign(args["petition_id"], body)
        if endpoint == "person" and request.method == "PUT":
            return self._update(args["person_id"], body)
        raise NotFound()

    def _sign(self, petition_id: str, body: dict[str, Any]) -> Response:
        problem = _person_problem(body.get("person"))
        if problem:
            return _json({"error": problem}, 400)
        if petition_id not in self.petitions:
            return Response("", status=200, mimetype="application/json")
        given = body["person"]
        number = given["phone_numbers"][0]["number"]
        with self._lock:
            person = next((p for p in self.people.values() if p.phone == number), None)
            if person is None:
                # New to the mobile list: unsubscribed unless the helper said subscribed.
                status = given["phone_numbers"][0].get("status", "unsubscribed")
                person = Person(str(uuid.uuid4()), None, None, number, status)
                self.people[person.id] = person
            elif "status" in given["phone_numbers"][0]:
                person.phone_status = given["phone_numbers"][0]["status"]
            person.given_name = given.get("given_name", person.given_name)
            person.family_name = given.get("family_name", person.family_name)
            person.postal_addresses = given.get("postal_addresses", person.postal_addresses)
            key = (petition_id, person.id)
            signature_id = self.signatures.setdefault(key, str(uuid.uuid4()))
        return _json(
            {
                "identifiers": [f"action_network:{signature_id}"],
                "action_network:person_id": person.id,
                "action_network:petition_id": petition_id,
                "_links": {
                    "self": {
                        "href": f"{self.api_url}/petitions/{petition_id}/signatures/{signature_id}"
                    },
                    "osdi:person": {"href": f"{self.api_url}/people/{person.id}"},
                    "osdi:petition": {"href": f"{self.api_url}/petitions/{petition_id}"},
                },
            }
        )

    def _update(self, person_id: str, body: dict[str, Any]) -> Response:
        phones = body.get("phone_numbers")
        problem = _phones_problem(phones, statuses={"subscribed", "unsubscribed"})
        if problem:
            return _json({"error": problem}, 400)
        with self._lock:
            person = self.people.get(person_id)
            if person is None:
                raise NotFound("no such person")
            assert phones is not None
            person.phone = phones[0]["number"]
            person.phone_status = phones[0].get("status", person.phone_status)
        return _json({"identifiers": [f"action_network:{person_id}"]})


def _person_problem(person: Any) -> str | None:
    if not isinstance(person, dict):
        return "person is required"
    unknown = set(person) - PERSON_FIELDS
    if unknown:
        return f"unknown person fields: {sorted(unknown)}"
    for name in ("given_name", "family_name"):
        if name in person and not isinstance(person[name], str):
            return f"{name} must be a string"
    for address in person.get("postal_addresses", []):
        if not isinstance(address, dict) or set(address) - ADDRESS_FIELDS:
            return f"a postal address has unknown fields: {address}"
        if address.get("country", "US") != "US":
            return "country must be a two-letter code"
    if "phone_numbers" not in person and "email_addresses" not in person:
        return "a person needs a phone number or an email address"
    if "phone_numbers" in person:
        # The helper takes only the subscribed status.
        return _phones_problem(person["phone_numbers"], statuses={"subscribed"})
    return None


def _phones_problem(phones: Any, statuses: set[str]) -> str | None:
    if not isinstance(phones, list) or len(phones) != 1 or not isinstance(phones[0], dict):
        return "phone_numbers must be a list of one phone number"
    phone = phones[0]
    if set(phone) - PHONE_FIELDS:
        return f"unknown phone fields: {sorted(set(phone) - PHONE_FIELDS)}"
    if not isinstance(phone.get("number"), str) or not phone["number"].isdigit():
        return "number must be the digits of the phone number"
    if phone.get("number_type") != "Mobile":
        return "number_type must be Mobile"
    if "status" in phone and phone["status"] not in statuses:
        return f"status must be one of {sorted(statuses)}"
    return None


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/hal+json")
