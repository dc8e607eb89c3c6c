"""Hostile and broken input to the webhooks and the simulator: never a 500, always a clear answer.

A clear answer is 200 (with TwiML that parses, for ``/sms``) or a 4xx. The database and Redis
persist across one test's examples, so later examples meet phones already partway through a
conversation: asking for a name, a ZIP code or consent.
"""

from __future__ import annotations

import itertools
import json
import xml.etree.ElementTree as ElementTree
from typing import Any
from urllib.parse import parse_qs, quote, quote_from_bytes, urlsplit

from fake_twilio import FakeTwilio
from flask import Flask
from flask.testing import FlaskClient
from helpers import BOT_NUMBER, PUBLIC_BASE_URL, post_signed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio_signing import SIGNATURE_HEADER, signature, signed_headers
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder, encode_multipart

FORM = "application/x-www-form-urlencoded"
SMS_URL = PUBLIC_BASE_URL + "/sms"
# The database and Redis are the fixtures' and outlive each example: that is the point.
FUZZ = settings(
    max_examples=75,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# A few phones, so examples land on conversations that earlier examples left half done (and
# on the per-phone throttle), and fresh ones, whose texts the throttle never holds back.
PHONES = ("+14045550161", "+14045550162", "+12125550163", "whatsapp:+14045550164")
_sids = itertools.count()
_numbers = itertools.count()


def fresh_phone() -> str:
    """A number no earlier example texted from."""
    return f"+1312555{next(_numbers) % 10_000:04d}"


SENDING_PHONES = st.one_of(
    st.sampled_from(PHONES),
    st.builds(fresh_phone),
    st.builds(fresh_phone).map(lambda number: "whatsapp:" + number),
)

# Every character but surrogates, which no request can carry.
ANY_CHAR = st.characters(codec="utf-8")
NASTY = (
    "\x00",
    "\x07",
    "\x1b[2J",
    "\r\n",
    "\x7f",
    "\x85",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u202e",
    "\u2066",
    "\u2028",
    "\ufeff",
    "\ufffd",
    "\uffff",
    "\U0010ffff",
    "e\u0301",
    "Z\u0335\u0321\u0358a\u0336l\u0338g\u0335o\u0337",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",
    "\U0001f3f3\ufe0f\u200d\U0001f308",
    "\U0001f1fa\U0001f1f8",
    "مرحبا",
    "شادي العربي",
    "שלום",
    "\u0663\u0660\u0663\u0660\u0663",  # 30303 in Arabic-Indic digits
    "３０３０３",
    "Jane Doe",
    "Jane\x00Doe",
    "30303",
    "YES",
    "yes\u200b",
    "NO",
    "STOP",
    "START",
    "HELP",
    "FACES",
    "CARAS",
    "<Response><Message>hi</Message></Response>",
    "]]>",
    "&amp;&#0;",
    "'; DROP TABLE messages; --",
    "%s%n{0}{name}",
)
SHORT = st.lists(st.one_of(st.text(ANY_CHAR, max_size=30), st.sampled_from(NASTY)), max_size=6).map(
    "".join
)


def _repeated(piece: str, length: int) -> str:
    return (piece * length)[:length]


# Around Twilio's 1600-character limit, and well past it.
LONG = st.builds(
    _repeated,
    st.one_of(st.text(ANY_CHAR, min_size=1, max_size=8), st.sampled_from(NASTY)),
    st.integers(1590, 5000),
)
BODIES = st.one_of(SHORT, LONG, st.text(ANY_CHAR, max_size=5000))
GOOD_ANSWERS = ("FACES", "Jane Doe", "30303")
# Good answers among the hostile ones move a conversation on to its next question.
ANSWERS = st.sampled_from(["Jane Doe", "30303", "YES", "NO", "STOP", "START", "HELP", "CARAS"])
FIELD_VALUES = st.one_of(st.text(ANY_CHAR, max_size=50), st.sampled_from(NASTY), LONG)


def inbound(sender: str, body: str, sid: str | None = None) -> dict[str, str]:
    """The form Twilio posts for a text from ``sender``."""
    return {
        "MessageSid": sid or f"SM{next(_sids):032x}",
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": BOT_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }


def assert_twiml(response: Any) -> None:
    """A 200 whose body is a TwiML ``<Response>``."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/xml"
    root = ElementTree.fromstring(response.get_data())
    assert root.tag == "Response"
    assert all(m.tag == "Message" for m in root)


def assert_clear_for_sms(response: Any) -> None:
    """TwiML, or a refusal the sender can act on."""
    if response.status_code == 200:
        assert_twiml(response)
    else:
        assert 400 <= response.status_code < 500, response.status_code


def form_as_flask_reads_it(data: bytes, content_type: str) -> MultiDict[str, str]:
    """The form fields Flask decodes from ``data``: what Twilio would have signed."""
    builder = EnvironBuilder(method="POST", data=data, content_type=content_type)
    try:
        return builder.get_request().form
    finally:
        builder.close()


def post_multipart(client: FlaskClient, auth_token: str, params: dict[str, str]) -> Any:
    """POST ``params`` to ``/sms`` as multipart/form-data, signed as Twilio signs a form."""
    boundary, data = encode_multipart(params)
    headers = {SIGNATURE_HEADER: signature(auth_token, SMS_URL, params)}
    content_type = f"multipart/form-data; boundary={boundary}"
    return client.post("/sms", data=data, headers=headers, content_type=content_type)


@FUZZ
@given(
    sender=SENDING_PHONES,
    answered=st.integers(1, len(GOOD_ANSWERS)),
    bodies=st.lists(st.one_of(BODIES, ANSWERS), min_size=1, max_size=5),
)
def test_it_answers_any_text_with_twiml_at_any_point_in_a_conversation(
    client: FlaskClient, twilio: FakeTwilio, sender: str, answered: int, bodies: list[str]
) -> None:
    # Answer well up to a question (the name, the ZIP code, consent), then send the bodies.
    for body in [*GOOD_ANSWERS[:answered], *bodies]:
        assert_twiml(post_signed(client, twilio.auth_token, "/sms", inbound(sender, body)))


@FUZZ
@given(
    sender=SENDING_PHONES,
    body=st.one_of(FIELD_VALUES, ANSWERS),
    opt_out=st.one_of(
        st.sampled_from(["STOP", "stop", " STOP", "START", "HELP", "", "ﬆop", "STOP\x00"]),
        FIELD_VALUES,
    ),
)
def test_it_answers_any_opt_out_type_with_twiml(
    client: FlaskClient, twilio: FakeTwilio, sender: str, body: str, opt_out: str
) -> None:
    params = {**inbound(sender, body), "OptOutType": opt_out}
    assert_twiml(post_signed(client, twilio.auth_token, "/sms", params))


FIELD_NAMES = st.one_of(
    st.text(ANY_CHAR, max_size=30),
    st.sampled_from(
        ["SmsMessageSid", "SmsSid", "MediaUrl0", "ProfileName", "WaId", "ButtonText", "Latitude"]
    ),
)


@FUZZ
@given(sender=SENDING_PHONES, extra=st.dictionaries(FIELD_NAMES, FIELD_VALUES, max_size=8))
def test_it_answers_twiml_whatever_extra_fields_come_along(
    client: FlaskClient, twilio: FakeTwilio, sender: str, extra: dict[str, str]
) -> None:
    params = {**extra, **inbound(sender, "FACES")}
    assert_twiml(post_signed(client, twilio.auth_token, "/sms", params))


@settings(FUZZ, max_examples=15)
@given(
    missing=st.sets(st.sampled_from(["From", "MessageSid", "Body"]), min_size=1),
    blank=st.booleans(),
)
def test_it_says_400_when_the_sender_or_sid_is_missing_or_blank(
    client: FlaskClient, twilio: FakeTwilio, missing: set[str], blank: bool
) -> None:
    params = inbound(PHONES[0], "FACES")
    for name in missing:
        if blank:
            params[name] = ""
        else:
            del params[name]
    response = post_signed(client, twilio.auth_token, "/sms", params)
    if missing & {"From", "MessageSid"}:
        assert response.status_code == 400
    else:
        # No Body reads as an empty text, as an MMS with only a picture would be.
        assert_clear_for_sms(response)


SENDERS = st.one_of(
    st.text(ANY_CHAR, max_size=40),
    st.text(ANY_CHAR, max_size=40).map(lambda s: "whatsapp:" + s),
    st.text("0123456789+() -.", max_size=300),
    st.text(st.characters(categories=["Nd"]), min_size=1, max_size=20).map(lambda s: "+" + s),
    st.sampled_from(
        [
            "+\u0661\u0664\u0660\u0664\u0665\u0665\u0665\u0660\u0661\u0666\u0665",  # Arabic-Indic
            "＋１４０４５５５０１６５",  # fullwidth
            "+1 404 555 ०१६५",  # Devanagari
            "whatsapp:",
            "whatsapp:whatsapp:+14045550165",
            "WhatsApp:+14045550165",
            "tel:+14045550165",
            "+14045550165\x00",
            "+1404555016\u200f5",
            "+" + "1" * 5000,
            "Jane",
            "+",
        ]
    ),
)
SIDS = st.one_of(
    st.builds(lambda: f"SM{next(_sids):032x}"),
    st.text(ANY_CHAR, min_size=1, max_size=100),
    st.sampled_from(["SM\x00", "SM" + "f" * 200, "\u200f", " "]),
)


@FUZZ
@given(sender=SENDERS, sid=SIDS)
def test_it_answers_any_sender_and_sid_with_twiml_or_400(
    client: FlaskClient, twilio: FakeTwilio, sender: str, sid: str
) -> None:
    response = post_signed(client, twilio.auth_token, "/sms", inbound(sender, "FACES", sid))
    assert response.status_code in (200, 400)
    assert_clear_for_sms(response)


RAW_BYTES = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"Jane \xe9", b"\x00"]
    ),
)


@FUZZ
@given(raw=RAW_BYTES, percent_encoded=st.booleans())
def test_it_answers_bytes_that_are_not_utf8_with_twiml_or_400(
    client: FlaskClient, twilio: FakeTwilio, raw: bytes, percent_encoded: bool
) -> None:
    fields = inbound(PHONES[0], "")
    del fields["Body"]
    prefix = "&".join(f"{name}={quote(value)}" for name, value in fields.items())
    data = (
        prefix.encode() + b"&Body=" + (quote_from_bytes(raw).encode() if percent_encoded else raw)
    )
    headers = signed_headers(twilio.auth_token, SMS_URL, form_as_flask_reads_it(data, FORM))
    response = client.post("/sms", data=data, headers=headers)
    assert response.status_code in (200, 400)
    assert_clear_for_sms(response)


@FUZZ
@given(raw=RAW_BYTES)
def test_it_refuses_unsigned_bytes_that_are_not_utf8(
    client: FlaskClient, twilio: FakeTwilio, raw: bytes
) -> None:
    response = client.post("/sms", data=b"From=%2B14045550161&Body=" + raw, content_type=FORM)
    assert response.status_code == 403


CONTENT_TYPES = st.sampled_from(
    [
        FORM,
        FORM + "; charset=latin-1",
        "application/json",
        "text/plain",
        "text/xml",
        "multipart/form-data",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
        "",
    ]
)


@FUZZ
@given(content_type=CONTENT_TYPES, data=st.one_of(RAW_BYTES, BODIES.map(str.encode)))
def test_it_answers_any_content_type_clearly(
    client: FlaskClient, twilio: FakeTwilio, content_type: str, data: bytes
) -> None:
    form = form_as_flask_reads_it(data, content_type)
    headers = {SIGNATURE_HEADER: signature(twilio.auth_token, SMS_URL, form)}
    response = client.post("/sms", data=data, headers=headers, content_type=content_type)
    assert_clear_for_sms(response)
    unsigned = client.post("/sms", data=data, content_type=content_type)
    assert unsigned.status_code == 403


def test_it_says_400_to_a_signed_json_text(client: FlaskClient, twilio: FakeTwilio) -> None:
    headers = {SIGNATURE_HEADER: signature(twilio.auth_token, SMS_URL, {})}
    response = client.post("/sms", json=inbound(PHONES[0], "FACES"), headers=headers)
    assert response.status_code == 400


def test_it_says_400_to_a_signed_empty_body(client: FlaskClient, twilio: FakeTwilio) -> None:
    assert post_signed(client, twilio.auth_token, "/sms", {}).status_code == 400


def test_it_answers_a_multipart_text_with_twiml(client: FlaskClient, twilio: FakeTwilio) -> None:
    assert_twiml(post_multipart(client, twilio.auth_token, inbound(PHONES[0], "FACES")))


def test_it_allows_only_post_on_the_webhooks(client: FlaskClient) -> None:
    for path in ("/sms", "/sms/status"):
        assert client.get(path).status_code == 405
        assert client.put(path).status_code == 405
        assert client.delete(path).status_code == 405


def test_it_answers_a_long_signed_text_with_twiml(client: FlaskClient, twilio: FakeTwilio) -> None:
    params = inbound(PHONES[1], "x" * 100_000)
    assert_twiml(post_signed(client, twilio.auth_token, "/sms", params))


def test_it_says_413_to_a_signed_megabyte_body(client: FlaskClient, twilio: FakeTwilio) -> None:
    params = inbound(PHONES[1], "x" * 1_000_000)
    assert post_signed(client, twilio.auth_token, "/sms", params).status_code == 413


def test_it_refuses_an_unsigned_megabyte_body_without_reading_it(client: FlaskClient) -> None:
    assert client.post("/sms", data=inbound(PHONES[1], "x" * 1_000_000)).status_code == 403


def test_it_says_413_to_a_multipart_field_past_the_form_limit(
    client: FlaskClient, twilio: FakeTwilio
) -> None:
    params = inbound(PHONES[1], "x" * 600_000)
    assert post_multipart(client, twilio.auth_token, params).status_code == 413


STATUSES = st.one_of(
    st.sampled_from(["queued", "sent", "delivered", "undelivered", "failed", "read", ""]),
    st.text(ANY_CHAR, max_size=40),
    LONG,
)
ERROR_CODES = st.one_of(
    st.sampled_from(["21610", "30003", "30006", "63016", "0", "-1", "", " 30003 ", "3_0003"]),
    st.integers().map(str),
    st.integers(2**31 - 2, 2**70).map(str),
    st.text(st.characters(categories=["Nd"]), min_size=1, max_size=12),
    st.text(ANY_CHAR, max_size=20),
    st.just("9" * 5000),
)
MESSAGE_IDS = st.one_of(
    st.none(),
    st.sampled_from(["1", "-1", "0", "", " 2 ", "\u0661", "1.5", "0x1", "9" * 5000]),
    st.integers(2**31 - 2, 2**70).map(str),
    st.text(ANY_CHAR, max_size=20),
)
# Fixed SIDs come back in later examples, naming rows that earlier examples gave them.
STATUS_SIDS = st.one_of(
    st.builds(lambda: f"SM{next(_sids):032x}"),
    st.sampled_from(["SM" + "a" * 32, "SM" + "b" * 32, "SM" + "c" * 63, "SM\x00", "SM" + "d" * 63]),
    SIDS,
    LONG,
)


def texted_reply(client: FlaskClient, auth_token: str) -> str:
    """Text FACES from a fresh phone and return the id of the reply's row, which has no SID."""
    response = post_signed(client, auth_token, "/sms", inbound(fresh_phone(), "FACES"))
    reply = ElementTree.fromstring(response.get_data()).find("Message")
    assert reply is not None
    return parse_qs(urlsplit(reply.get("action", "")).query)["message_id"][0]


@settings(FUZZ, max_examples=100)
@given(
    sid=STATUS_SIDS,
    status=STATUSES,
    error_code=st.one_of(st.none(), ERROR_CODES),
    message_id=MESSAGE_IDS,
    names_the_reply=st.booleans(),
    old_names=st.booleans(),
)
def test_it_answers_any_delivery_report_with_200_or_400(
    client: FlaskClient,
    twilio: FakeTwilio,
    sid: str,
    status: str,
    error_code: str | None,
    message_id: str | None,
    names_the_reply: bool,
    old_names: bool,
) -> None:
    reply_id = texted_reply(client, twilio.auth_token)
    if names_the_reply:
        message_id = reply_id
    fields = (
        {"SmsSid": sid, "SmsStatus": status}
        if old_names
        else {"MessageSid": sid, "MessageStatus": status}
    )
    if error_code is not None:
        fields["ErrorCode"] = error_code
    path = "/sms/status"
    if message_id is not None:
        path += "?message_id=" + quote(message_id, safe="")
    response = post_signed(client, twilio.auth_token, path, fields)
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:500]


@settings(FUZZ, max_examples=15)
@given(
    missing=st.sets(st.sampled_from(["MessageSid", "MessageStatus"]), min_size=1),
    blank=st.booleans(),
)
def test_it_says_400_to_a_delivery_report_without_its_sid_or_status(
    client: FlaskClient, twilio: FakeTwilio, missing: set[str], blank: bool
) -> None:
    fields = {"MessageSid": "SM" + "e" * 32, "MessageStatus": "delivered", "ErrorCode": "30003"}
    for name in missing:
        if blank:
            fields[name] = ""
        else:
            del fields[name]
    assert post_signed(client, twilio.auth_token, "/sms/status", fields).status_code == 400


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(ANY_CHAR, max_size=30)),
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(st.text(ANY_CHAR, max_size=10), children)
    ),
    max_leaves=15,
)
SIMULATOR_PHONES = st.one_of(
    st.sampled_from(["+14045550171", "404-555-0172", "(404) 555 0173", "+44 20 7946 0958"]),
    SENDERS,
)
SIMULATOR_PAYLOADS = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries(
        {"phone": st.one_of(SIMULATOR_PHONES, JSON_VALUES)},
        optional={"body": st.one_of(BODIES, JSON_VALUES)},
    ),
    st.fixed_dictionaries({"phone": SIMULATOR_PHONES, "body": BODIES}),
)


@FUZZ
@given(payload=SIMULATOR_PAYLOADS)
def test_the_simulator_answers_any_json_with_200_or_400(embedded: Flask, payload: Any) -> None:
    client = embedded.test_client()
    data = json.dumps(payload)  # not json=, which sends nothing for None
    response = client.post("/simulator/messages", data=data, content_type="application/json")
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:500]


@FUZZ
@given(
    data=st.one_of(
        RAW_BYTES,
        BODIES.map(str.encode),
        st.sampled_from(
            [
                b"[" * 100_000,
                b'{"phone": "+14045550174", "body": "FACES"}{}',
                b"NaN",
                b"1e999999",
                b'{"phone": "+14045550174", "body": "\\ud800"}',
                '{"phone": "+14045550174", "body": "FACES"}'.encode("utf-16"),
            ]
        ),
    ),
    content_type=st.sampled_from(
        ["application/json", "application/json; charset=latin-1", "application/x+json", FORM, ""]
    ),
)
def test_the_simulator_answers_any_bytes_with_200_or_4xx(
    embedded: Flask, data: bytes, content_type: str
) -> None:
    client = embedded.test_client()
    response = client.post("/simulator/messages", data=data, content_type=content_type)
    assert response.status_code in (200, 400, 415), response.get_data(as_text=True)[:500]
