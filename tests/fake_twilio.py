"""Fake Twilio's Messages REST API on a local port, for tests that drive the real twilio client.

Point a client at it with `client.api.base_url = fake.base_url`. The accepted parameters, the shape
of a message and the error texts come from Twilio's own reference files, so the fake stays as strict
as the API it stands in for. The fake reads them from tests/twilio_reference.json, an extract of
Twilio's OpenAPI description and error-code list in shared/twilio/ that is committed so the tests
need nothing beside the repository. When shared/twilio/ changes, refresh the extract with

    python tests/fake_twilio.py --refresh-reference

which reads ../shared (or SHARED_DIR). A test checks that the extract matches shared/ wherever
shared/ is present, as it is in CI.
"""

from __future__ import annotations

import argparse
import functools
import hmac
import json
import math
import os
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

try:  # pytest puts tests/ itself on sys.path, as tests/ is not a package
    from twilio_signing import signed_headers
except ModuleNotFoundError:  # imported as tests.fake_twilio from the repository root
    from tests.twilio_signing import signed_headers  # type: ignore[no-redef]

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

API_VERSION = "2010-04-01"
MESSAGES_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
BODY_LIMIT = 1600
E164 = re.compile(r"(whatsapp:)?\+[1-9]\d{6,14}")
FAILURE_CODES = {429: 20429, 500: 20500, 503: 20503}
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = "\f^{}\\[~]|€"  # each costs two septets: an escape, then the character


REFERENCE_FILE = Path(__file__).with_name("twilio_reference.json")
REFERENCE_ABOUT = [
    "What tests/fake_twilio.py needs from Twilio's reference files in shared/twilio/:",
    "twilio_api_v2010.json, Twilio's OpenAPI description of its 2010-04-01 REST API"
    " (twilio/twilio-oai, tag 2.6.7, Apache-2.0): the parameters of CreateMessageRequest,"
    " the properties of api.v2010.account.message in order, and the message_enum_status values;",
    "error-codes.json, Twilio's public error-code list: the message of every code.",
    "Do not edit by hand. Refresh with `python tests/fake_twilio.py --refresh-reference`,"
    " which reads ../shared (or SHARED_DIR); update this note if the sources change.",
]


def shared_dir() -> Path:
    """Return the shared/ folder that CI lays beside the repository checkout."""
    if "SHARED_DIR" in os.environ:
        return Path(os.environ["SHARED_DIR"])
    return Path(__file__).resolve().parents[2] / "shared"


@dataclass(frozen=True)
class TwilioReference:
    """What the fake needs from Twilio's OpenAPI description and error-code list."""

    create_params: frozenset[str]
    message_properties: tuple[str, ...]
    statuses: frozenset[str]
    errors: Mapping[int, str]


def extract_reference(directory: Path) -> dict[str, Any]:
    """Extract the send parameters, message schema and error texts from `directory`/twilio/."""
    api = json.loads((directory / "twilio" / "twilio_api_v2010.json").read_text("utf-8"))
    form = api["paths"][MESSAGES_PATH]["post"]["requestBody"]["content"]
    create = form["application/x-www-form-urlencoded"]["schema"]  # CreateMessageRequest
    schemas = api["components"]["schemas"]
    errors = json.loads((directory / "twilio" / "error-codes.json").read_text("utf-8"))
    return {
        "about": REFERENCE_ABOUT,
        "create_message_params": list(create["properties"]),
        "message_properties": list(schemas["api.v2010.account.message"]["properties"]),
        "message_statuses": list(schemas["message_enum_status"]["enum"]),
        "error_messages": {str(error["code"]): error["message"] for error in errors},
    }


def reference_json(extract: Mapping[str, Any]) -> str:
    """Serialize an extract as committed: sorted keys and one entry a line, so diffs read well."""
    return json.dumps(extract, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@functools.cache
def load_reference(path: Path = REFERENCE_FILE) -> TwilioReference:
    """Read the committed extract of Twilio's reference files."""
    extract = json.loads(path.read_text("utf-8"))
    return TwilioReference(
        create_params=frozenset(extract["create_message_params"]),
        message_properties=tuple(extract["message_properties"]),
        statuses=frozenset(extract["message_statuses"]),
        errors={int(code): message for code, message in extract["error_messages"].items()},
    )


def segments(body: str) -> int:
    """Count the SMS segments of `body`: GSM-7 when every character allows it, else UCS-2."""
    if all(char in GSM_BASIC or char in GSM_EXTENDED for char in body):
        units = sum(2 if char in GSM_EXTENDED else 1 for char in body)
        single, part = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2  # an emoji is two UTF-16 units
        single, part = 70, 67
    return 1 if units <= single else math.ceil(units / part)


@dataclass
class SentMessage:
    """A message the fake accepted; `resource` is its JSON as Twilio would return it now."""

    sid: str
    to: str
    from_: str | None
    body: str
    messaging_service_sid: str | None
    status_callback: str | None
    media_url: list[str]
    params: dict[str, str]
    resource: dict[str, Any]

    @property
    def status(self) -> str:
        """Return the latest status, as moved on by `FakeTwilio.send_status`."""
        return str(self.resource["status"])


class _QuietHandler(WSGIRequestHandler):
    # HTTP/1.0 closes every connection after its response, so stop() never waits on a client's
    # idle keep-alive connection and no socket outlives the test.
    protocol_version = "HTTP/1.0"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip the access log line; errors are still logged."""


class BackgroundServer:
    """Serve a WSGI app on a free port of 127.0.0.1 from a background thread."""

    def __init__(self, app: WSGIApplication) -> None:
        self._app = app
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Return the server's root URL, without a trailing slash."""
        if self._server is None:
            raise RuntimeError("the server is not running; call start() first")
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> Self:
        """Start serving and return self."""
        self._server = make_server(
            "127.0.0.1", 0, self._app, threaded=True, request_handler=_QuietHandler
        )
        # A short poll keeps stop() quick: shutdown() waits for the loop's next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wait for requests in flight and close the socket."""
        if self._server is None or self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class FakeTwilio(BackgroundServer):
    """Stand in for Twilio's Messages API, with knobs for latency, outages and rejections."""

    def __init__(
        self, account_sid: str | None = None, auth_token: str | None = None, latency: float = 0.0
    ) -> None:
        super().__init__(self)  # the fake is its own WSGI app
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        self.auth_token = auth_token or secrets.token_hex(16)
        self.latency = latency
        self.reference = load_reference()
        self._lock = threading.Lock()
        self._messages: dict[str, SentMessage] = {}
        self._requests = 0
        self._failures: deque[int] = deque()
        self._rejections: dict[str, int] = {}
        account = f"/{API_VERSION}/Accounts/<account_sid>"
        self._urls = Map(
            [
                Rule(f"{account}/Messages.json", endpoint="create"),
                Rule(f"{account}/Messages/<sid>.json", endpoint="fetch"),
            ]
        )

    @property
    def base_url(self) -> str:
        """Return the URL to set as `client.api.base_url`."""
        return self.url

    # What tests inspect and program

    @property
    def messages(self) -> list[SentMessage]:
        """Return the accepted messages, oldest first."""
        with self._lock:
            return list(self._messages.values())

    @property
    def requests(self) -> int:
        """Return how many POSTs arrived, rejected ones included."""
        with self._lock:
            return self._requests

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        """Make the next `count` sends fail with HTTP `status` (429, 500 or 503)."""
        if status not in FAILURE_CODES:
            raise ValueError(f"status must be one of {sorted(FAILURE_CODES)}, not {status}")
        with self._lock:
            self._failures.extend([status] * count)

    def reject_to(self, phone: str, code: int = 21610) -> None:
        """Make every send to `phone` fail with Twilio error `code` (21610: opted out)."""
        if code not in self.reference.errors:
            raise ValueError(f"{code} is not in Twilio's error-code list")
        with self._lock:
            self._rejections[phone] = code

    def reset(self) -> None:
        """Forget messages, counts, latency, planned failures and rejections."""
        with self._lock:
            self._messages.clear()
            self._requests = 0
            self._failures.clear()
            self._rejections.clear()
            self.latency = 0.0

    def send_status(
        self, sid: str, status: str, error_code: int | None = None, url: str | None = None
    ) -> int:
        """POST a signed status callback for message `sid` and return the HTTP status received."""
        if status not in self.reference.statuses:
            raise ValueError(f"{status!r} is not a Twilio message status")
        with self._lock:
            message = self._messages[sid]
            target = url or message.status_callback
            if target is None:
                raise ValueError(f"{sid} was sent without a StatusCallback; pass url=")
            self._set_status(message, status, error_code)
        fields = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "From": message.from_,
            "To": message.to,
            "MessagingServiceSid": message.messaging_service_sid,
            "ErrorCode": None if error_code is None else str(error_code),
        }
        params = {name: value for name, value in fields.items() if value is not None}
        request = urllib.request.Request(
            target,
            data=urlencode(params).encode(),
            headers=signed_headers(self.auth_token, target, params),
            method="POST",
        )
        # Callbacks go to local test servers: never route them through an environment proxy.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            with error:
                return error.code

    def _set_status(self, message: SentMessage, status: str, error_code: int | None) -> None:
        now = format_datetime(datetime.now(UTC))
        message.resource.update(
            status=status,
            date_updated=now,
            error_code=error_code,
            error_message=None if error_code is None else self.reference.errors.get(error_code),
        )
        if status in ("sent", "delivered") and message.resource["date_sent"] is None:
            message.resource["date_sent"] = now

    # The WSGI app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        request = Request(environ)
        return self._dispatch(request)(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        if request.method == "POST":
            with self._lock:
                self._requests += 1
        time.sleep(self.latency)
        try:
            endpoint, args = self._urls.bind_to_environ(request.environ).match()
        except NotFound:
            return self._error(20404, 404)
        except HTTPException as error:
            return error.get_response()
        if not self._authorized(request, args["account_sid"]):
            return self._error(20003, 401, {"WWW-Authenticate": 'Basic realm="Twilio API"'})
        if endpoint == "create" and request.method == "POST":
            return self._create(request.form)
        if endpoint == "fetch" and request.method == "GET":
            return self._fetch(args["sid"])
        return self._error(20004, 405)

    def _authorized(self, request: Request, account_sid: str) -> bool:
        auth = request.authorization
        if auth is None or auth.type != "basic":
            return False
        given = f"{auth.username}:{auth.password}".encode()
        expected = f"{self.account_sid}:{self.auth_token}".encode()
        return hmac.compare_digest(given, expected) and account_sid == self.account_sid

    def _create(self, form: MultiDict[str, str]) -> Response:
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        if failure is not None:
            retry = {"Retry-After": "1"} if failure == 429 else None
            return self._error(FAILURE_CODES[failure], failure, retry)
        if set(form) - self.reference.create_params:
            return self._error(20001, 400)
        code = self._invalid(form)
        if code is not None:
            return self._error(code, 400)
        message = self._accept(form)
        return Response(json.dumps(message.resource), 201, mimetype="application/json")

    def _invalid(self, form: MultiDict[str, str]) -> int | None:
        """Return the Twilio error code that the send in `form` deserves, if any."""
        to = form.get("To", "")
        if not to:
            return 21604
        if not E164.fullmatch(to):
            return 21211
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return 21603
        if not (form.get("Body") or form.get("MediaUrl") or form.get("ContentSid")):
            return 21602
        if len(form.get("Body", "")) > BODY_LIMIT:
            return 21617
        with self._lock:
            return self._rejections.get(to)

    def _accept(self, form: MultiDict[str, str]) -> SentMessage:
        sid = "SM" + secrets.token_hex(16)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        now = format_datetime(datetime.now(UTC))
        sender = form.get("From") or None
        body = form.get("Body", "")
        media = form.getlist("MediaUrl")
        # Start from every schema property as null, so a property we don't model still shows up.
        resource = dict.fromkeys(self.reference.message_properties) | {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": form["To"],
            "from": sender,
            "body": body,
            "messaging_service_sid": form.get("MessagingServiceSid") or None,
            # Without a From, Twilio has yet to pick a sender from the service's pool.
            "status": "queued" if sender else "accepted",
            "direction": "outbound-api",
            "api_version": API_VERSION,
            "num_segments": str(segments(body)),
            "num_media": str(len(media)),
            "date_created": now,
            "date_updated": now,
            "uri": uri + ".json",
            "subresource_uris": {"media": uri + "/Media.json"},
        }
        message = SentMessage(
            sid=sid,
            to=form["To"],
            from_=sender,
            body=body,
            messaging_service_sid=resource["messaging_service_sid"],
            status_callback=form.get("StatusCallback") or None,
            media_url=media,
            params=form.to_dict(),
            resource=resource,
        )
        with self._lock:
            self._messages[sid] = message
        return message

    def _fetch(self, sid: str) -> Response:
        with self._lock:
            message = self._messages.get(sid)
            body = json.dumps(message.resource) if message else None
        if body is None:
            return self._error(20404, 404)
        return Response(body, 200, mimetype="application/json")

    def _error(self, code: int, status: int, headers: dict[str, str] | None = None) -> Response:
        """Answer like Twilio does: its JSON error body, with the text from its error list."""
        payload = {
            "code": code,
            "message": self.reference.errors[code],
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        return Response(json.dumps(payload), status, headers, mimetype="application/json")


def main(argv: list[str] | None = None) -> None:
    """Rewrite the committed extract from shared/twilio/ when asked to."""
    parser = argparse.ArgumentParser(
        prog="python tests/fake_twilio.py",
        description="Maintain the fake Twilio's extract of Twilio's reference files.",
    )
    parser.add_argument(
        "--refresh-reference",
        action="store_true",
        help=f"rewrite tests/{REFERENCE_FILE.name} from shared/twilio/ (../shared or SHARED_DIR)",
    )
    if not parser.parse_args(argv).refresh_reference:
        parser.error("nothing to do: pass --refresh-reference")
    directory = shared_dir()
    try:
        extract = extract_reference(directory)
    except FileNotFoundError as error:
        parser.exit(
            1, f"{error.filename} is missing: put shared/ beside the repository or set SHARED_DIR\n"
        )
    REFERENCE_FILE.write_text(reference_json(extract), "utf-8", newline="\n")
    print(f"wrote {REFERENCE_FILE} from {directory / 'twilio'}")


if __name__ == "__main__":
    main()
