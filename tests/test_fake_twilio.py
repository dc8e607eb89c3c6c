"""The fake Twilio answers the real twilio client as Twilio would, and signs like Twilio."""

import json
import re
import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from fake_twilio import (
    REFERENCE_FILE,
    BackgroundServer,
    FakeTwilio,
    extract_reference,
    segments,
    shared_dir,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio_signing import SIGNATURE_HEADER, signature, signed_headers
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

CAMPAIGN_NUMBER = "+15555550100"
SUPPORTER = "+15555550123"
LAPSED_SUPPORTER = "+15555550199"  # texted STOP last month
CAMPAIGN_SERVICE = "MG" + "0" * 32
THANKS = "Thanks for signing the petition!"


def committed_reference() -> Any:
    """Load the committed extract of Twilio's reference files, independently of the fake."""
    return json.loads(REFERENCE_FILE.read_text("utf-8"))


def error_text(code: int) -> str:
    """Return the message Twilio's error-code list gives for `code`."""
    return str(committed_reference()["error_messages"][str(code)])


class CallbackReceiver:
    """A webhook endpoint that records each request and answers with `status`."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[tuple[MultiDict[str, str], str | None]] = []

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        self.received.append((request.form.copy(), request.headers.get(SIGNATURE_HEADER)))
        return Response(status=self.status)(environ, start_response)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def connect(fake: FakeTwilio) -> Iterator[Callable[..., Client]]:
    """Build real twilio clients aimed at the fake, and close their connections afterwards."""
    clients: list[Client] = []

    def connect(
        username: str = fake.account_sid, password: str = fake.auth_token, **kwargs: Any
    ) -> Client:
        client = Client(username, password, **kwargs)
        client.api.base_url = fake.base_url
        clients.append(client)
        return client

    yield connect
    for client in clients:
        assert isinstance(client.http_client, TwilioHttpClient)
        if client.http_client.session is not None:
            client.http_client.session.close()


@pytest.fixture
def client(connect: Callable[..., Client]) -> Client:
    return connect()


@pytest.fixture
def receiver() -> Iterator[tuple[CallbackReceiver, str]]:
    app = CallbackReceiver()
    with BackgroundServer(app) as server:
        yield app, f"{server.url}/twilio/status?campaign=clean-air"


def thank(client: Client, to: str = SUPPORTER, **kwargs: Any) -> Any:
    """Send the thank-you text from the campaign's number."""
    return client.messages.create(to=to, from_=CAMPAIGN_NUMBER, body=THANKS, **kwargs)


def post_raw(client: Client, fake: FakeTwilio, data: dict[str, str]) -> TwilioResponse:
    """POST form fields the twilio client has no argument for, with its credentials."""
    url = f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    return client.request("POST", url, data=data)


# Twilio's reference files


def test_its_committed_reference_is_what_twilios_files_say() -> None:
    source = shared_dir() / "twilio"
    if not source.is_dir():
        pytest.skip(f"no Twilio reference files at {source} (../shared or SHARED_DIR); CI has them")

    extract = extract_reference(shared_dir())

    assert extract == committed_reference(), (
        f"{REFERENCE_FILE.name} is stale: run python tests/fake_twilio.py --refresh-reference"
    )


# Sending


def test_it_sends_a_message_through_the_real_client(client: Client, fake: FakeTwilio) -> None:
    message = thank(client)

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert (message.to, message.from_, message.body) == (SUPPORTER, CAMPAIGN_NUMBER, THANKS)
    assert message.status == "queued"
    assert message.direction == "outbound-api"
    assert message.num_segments == "1"
    assert message.date_created is not None
    [sent] = fake.messages
    assert sent.sid == message.sid
    assert (sent.to, sent.from_, sent.body) == (SUPPORTER, CAMPAIGN_NUMBER, THANKS)
    assert sent.params == {"To": SUPPORTER, "From": CAMPAIGN_NUMBER, "Body": THANKS}


def test_it_answers_with_every_property_of_twilios_message_schema(
    client: Client, fake: FakeTwilio
) -> None:
    properties = committed_reference()["message_properties"]

    response = post_raw(client, fake, {"To": SUPPORTER, "From": CAMPAIGN_NUMBER, "Body": THANKS})

    assert response.status_code == 201
    resource = json.loads(response.text)
    assert set(resource) == set(properties)
    assert resource["account_sid"] == fake.account_sid
    assert resource["api_version"] == "2010-04-01"
    path = f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{resource['sid']}"
    assert resource["uri"] == path + ".json"
    assert resource["subresource_uris"] == {"media": path + "/Media.json"}
    assert resource["price"] is None and resource["error_code"] is None
    assert parsedate_to_datetime(resource["date_created"]).utcoffset() is not None


def test_it_accepts_a_send_through_a_messaging_service_without_a_sender(client: Client) -> None:
    message = client.messages.create(
        to=SUPPORTER, messaging_service_sid=CAMPAIGN_SERVICE, body=THANKS
    )

    assert (message.status, message.from_) == ("accepted", None)
    assert message.messaging_service_sid == CAMPAIGN_SERVICE


@pytest.mark.parametrize(
    "kwargs",
    [
        {"to": "whatsapp:" + SUPPORTER},
        {"body": "x" * 1600},
        {"body": None, "media_url": ["https://example.org/petition.png"]},
        {"body": None, "content_sid": "HX" + "0" * 32},
    ],
    ids=["whatsapp", "longest body", "media only", "content template"],
)
def test_it_accepts_what_twilio_accepts(client: Client, kwargs: dict[str, Any]) -> None:
    params = {"to": SUPPORTER, "from_": CAMPAIGN_NUMBER, "body": THANKS} | kwargs
    params = {name: value for name, value in params.items() if value is not None}

    assert client.messages.create(**params).status == "queued"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"to": ""}, 21604),
        ({"to": "555-0123"}, 21211),
        ({"to": "whatsapp:0123"}, 21211),
        ({"from_": None}, 21603),
        ({"body": None}, 21602),
        ({"body": "x" * 1601}, 21617),
    ],
    ids=["no To", "To not E.164", "WhatsApp To not E.164", "no sender", "no content", "too long"],
)
def test_it_rejects_an_invalid_send_with_twilios_error(
    client: Client, fake: FakeTwilio, kwargs: dict[str, Any], code: int
) -> None:
    params = {"to": SUPPORTER, "from_": CAMPAIGN_NUMBER, "body": THANKS} | kwargs
    params = {name: value for name, value in params.items() if value is not None}

    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(**params)

    assert (raised.value.status, raised.value.code) == (400, code)
    assert error_text(code) in raised.value.msg
    assert fake.messages == []


def test_it_accepts_every_create_message_parameter_and_nothing_else(
    client: Client, fake: FakeTwilio
) -> None:
    everything = dict.fromkeys(committed_reference()["create_message_params"], "1")
    everything |= {"To": SUPPORTER, "From": CAMPAIGN_NUMBER, "Body": THANKS}

    accepted = post_raw(client, fake, everything)
    refused = post_raw(client, fake, everything | {"Bogus": "1"})

    assert accepted.status_code == 201
    assert json.loads(refused.text) == {
        "code": 20001,
        "message": error_text(20001),
        "more_info": "https://www.twilio.com/docs/errors/20001",
        "status": 400,
    }


@pytest.mark.parametrize(
    ("body", "count"),
    [("x" * 160, 1), ("x" * 161, 2), ("€" * 80, 1), ("€" * 81, 2), ("✊" * 70, 1), ("✊" * 71, 2)],
)
def test_it_counts_segments_like_twilio(body: str, count: int) -> None:
    assert segments(body) == count


# Credentials


def test_it_refuses_a_wrong_auth_token(connect: Callable[..., Client], fake: FakeTwilio) -> None:
    intruder = connect(password="not-the-token")

    with pytest.raises(TwilioRestException) as raised:
        thank(intruder)

    assert (raised.value.status, raised.value.code) == (401, 20003)
    assert fake.messages == []


def test_it_refuses_another_accounts_path(connect: Callable[..., Client]) -> None:
    wanderer = connect(account_sid="AC" + "f" * 32)

    with pytest.raises(TwilioRestException) as raised:
        thank(wanderer)

    assert (raised.value.status, raised.value.code) == (401, 20003)


# Fetching


def test_it_fetches_a_sent_message(client: Client) -> None:
    sent = thank(client)

    fetched = client.messages(sent.sid).fetch()

    assert (fetched.sid, fetched.body, fetched.status) == (sent.sid, THANKS, "queued")


def test_it_does_not_find_an_unknown_message(client: Client) -> None:
    with pytest.raises(TwilioRestException) as raised:
        client.messages("SM" + "0" * 32).fetch()

    assert (raised.value.status, raised.value.code) == (404, 20404)


# Programmed behaviour


def test_it_fails_the_next_sends_with_429_then_recovers(client: Client, fake: FakeTwilio) -> None:
    fake.fail_next(2, status=429)

    for _ in range(2):
        with pytest.raises(TwilioRestException) as raised:
            thank(client)
        assert (raised.value.status, raised.value.code) == (429, 20429)
        answer = client.http_client._test_only_last_response  # the client's hook for tests
        assert answer is not None and answer.headers["Retry-After"] == "1"
    thank(client)

    assert (fake.requests, len(fake.messages)) == (3, 1)


def test_it_fails_the_next_send_with_a_server_error(client: Client, fake: FakeTwilio) -> None:
    fake.fail_next()

    with pytest.raises(TwilioRestException) as raised:
        thank(client)

    assert (raised.value.status, raised.value.code) == (500, 20500)
    assert fake.messages == []


def test_it_rejects_sends_to_an_opted_out_number(client: Client, fake: FakeTwilio) -> None:
    fake.reject_to(LAPSED_SUPPORTER, 21610)

    with pytest.raises(TwilioRestException) as raised:
        thank(client, to=LAPSED_SUPPORTER)
    thank(client, to=SUPPORTER)

    assert (raised.value.status, raised.value.code) == (400, 21610)
    assert error_text(21610) in raised.value.msg
    assert [message.to for message in fake.messages] == [SUPPORTER]


def test_it_takes_as_long_as_its_latency(client: Client, fake: FakeTwilio) -> None:
    fake.latency = 0.2

    started = time.monotonic()
    thank(client)

    assert time.monotonic() - started >= 0.2


def test_it_forgets_everything_on_reset(client: Client, fake: FakeTwilio) -> None:
    thank(client)
    fake.reject_to(SUPPORTER)
    fake.fail_next(1)
    fake.latency = 5

    fake.reset()
    thank(client)

    assert (fake.requests, len(fake.messages), fake.latency) == (1, 1, 0)


# Status callbacks


def test_it_posts_a_status_callback_twilio_would_sign(
    client: Client, fake: FakeTwilio, receiver: tuple[CallbackReceiver, str]
) -> None:
    app, url = receiver
    message = thank(client, status_callback=url)

    answered = fake.send_status(message.sid, "delivered")

    [(form, signed)] = app.received
    assert answered == 200
    assert RequestValidator(fake.auth_token).validate(url, form, signed)
    assert not RequestValidator("someone-elses-token").validate(url, form, signed)
    assert form.to_dict() == {
        "AccountSid": fake.account_sid,
        "ApiVersion": "2010-04-01",
        "MessageSid": message.sid,
        "SmsSid": message.sid,
        "MessageStatus": "delivered",
        "SmsStatus": "delivered",
        "From": CAMPAIGN_NUMBER,
        "To": SUPPORTER,
    }
    assert client.messages(message.sid).fetch().status == "delivered"


def test_it_reports_a_delivery_error_to_an_overriding_url(
    client: Client, fake: FakeTwilio, receiver: tuple[CallbackReceiver, str]
) -> None:
    app, url = receiver
    app.status = 403  # the app refused it; send_status still reports what it answered
    message = thank(client)

    answered = fake.send_status(message.sid, "undelivered", error_code=30003, url=url)

    [(form, signed)] = app.received
    assert answered == 403
    assert form["ErrorCode"] == "30003"
    assert RequestValidator(fake.auth_token).validate(url, form, signed)
    fetched = client.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)


def test_it_refuses_a_status_twilio_does_not_have(client: Client, fake: FakeTwilio) -> None:
    message = thank(client, status_callback="http://127.0.0.1:9/unused")

    with pytest.raises(ValueError, match="not a Twilio message status"):
        fake.send_status(message.sid, "delivred")


# Signing

SIGNED_PARAMS = [
    {},
    {"Body": "", "From": SUPPORTER},
    {"Body": "Je signe ✊ – ça compte 🌍", "To": CAMPAIGN_NUMBER},
    {"b": "1", "B": "2", "a_": "3", "a": "4", "MediaUrl0": "https://example.org/a.png?x=1&y=2"},
]


@pytest.mark.parametrize("params", SIGNED_PARAMS)
def test_it_signs_as_twilios_own_validator_computes(params: dict[str, str]) -> None:
    url = "https://petition.example.org/twilio/sms?campaign=clean-air"

    expected = RequestValidator("a-token").compute_signature(url, params)

    assert signature("a-token", url, params) == expected


def test_it_signs_repeated_names_as_twilios_own_validator_computes() -> None:
    url = "https://petition.example.org/twilio/sms"
    params = MultiDict([("MediaUrl", "https://b.example"), ("MediaUrl", "https://a.example")])

    expected = RequestValidator("a-token").compute_signature(url, params)

    assert signature("a-token", url, params) == expected
    assert signature("a-token", url, {"MediaUrl": ["https://a.example", "https://b.example"]}) == (
        expected
    )


def test_it_matches_the_example_in_twilios_documentation() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675310",
        "Digits": "1234",
        "From": "+14158675310",
        "To": "+18005551212",
    }

    signed = signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params)

    assert signed == "GvWf1cFY/Q7PnoempGyD5oXAezc="


@settings(database=None, max_examples=200)
@given(
    token=st.text(min_size=1),
    path=st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    params=st.dictionaries(st.text(), st.text()),
)
def test_it_always_agrees_with_twilios_own_validator(
    token: str, path: str, params: dict[str, str]
) -> None:
    url = "https://petition.example.org/" + path

    expected = RequestValidator(token).compute_signature(url, params)

    assert signature(token, url, params) == expected


def test_it_builds_headers_twilios_validator_accepts() -> None:
    url = "https://petition.example.org/twilio/sms"
    params = {"Body": "SIGN", "From": SUPPORTER}

    headers = signed_headers("a-token", url, params)

    assert RequestValidator("a-token").validate(url, params, headers[SIGNATURE_HEADER])
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
