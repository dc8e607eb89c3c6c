"""Who carries an outbound text: Twilio, or the console in the embedded default."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot.config import Settings
from store.statuses import Channel, MessageStatus

log = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 10
WHATSAPP = "whatsapp:"


@dataclass(frozen=True)
class Sent:
    """What the carrier said when it took the message."""

    sid: str
    status: str


class SendFailed(Exception):
    """The carrier refused the message. ``retryable`` says whether trying later may work."""

    def __init__(self, code: int | None, status: int | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status

    @property
    def retryable(self) -> bool:
        # 429 and 5xx are the carrier's trouble, not the message's; so is a lost connection.
        return self.status is None or self.status == 429 or self.status >= 500


@dataclass(frozen=True)
class Outgoing:
    """One text to send: to whom, on which channel, and what."""

    to: str  # E.164
    body: str
    channel: str = Channel.SMS
    status_callback: str | None = None
    # An approved WhatsApp template (Content SID) to send instead of the free-form body, and
    # its values ({"1": "Jane"}).
    content_sid: str | None = None
    content_variables: Mapping[str, str] | None = None


class Sender(Protocol):
    def send(self, outgoing: Outgoing) -> Sent: ...


class TwilioSender:
    """Send through Twilio's Messages API (or any server that speaks it)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # A broadcast sends from many threads at once: each gets a client (and its connection).
        self._local = threading.local()
        self.messaging_service_sid = settings.twilio_messaging_service_sid
        self.numbers: dict[str, str] = {
            Channel.SMS: settings.twilio_phone_number,
            Channel.WHATSAPP: WHATSAPP
            + (settings.twilio_whatsapp_number or settings.twilio_phone_number),
        }
        # The client imports its modules on first use: do it once here, not in every thread
        # of a broadcast at the same moment (they would queue on the import lock).
        assert self.client.messages is not None

    @property
    def client(self) -> Client:
        """This thread's Twilio client, made on first use."""
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            # Without a timeout a hung connection would hold the job past its own timeout.
            http = TwilioHttpClient(timeout=SEND_TIMEOUT_SECONDS)
            settings = self.settings
            client = Client(
                settings.twilio_account_sid, settings.twilio_auth_token, http_client=http
            )
            client.api.base_url = settings.twilio_api_base_url
            self._local.client = client
        return client

    def send(self, outgoing: Outgoing) -> Sent:
        prefix = WHATSAPP if outgoing.channel == Channel.WHATSAPP else ""
        sender: dict[str, str] = (
            {"messaging_service_sid": self.messaging_service_sid}
            if self.messaging_service_sid
            else {"from_": self.numbers[outgoing.channel]}
        )
        content: dict[str, str] = (
            {
                "content_sid": outgoing.content_sid,
                "content_variables": json.dumps(dict(outgoing.content_variables or {})),
            }
            if outgoing.content_sid
            else {"body": outgoing.body}
        )
        try:
            message = self.client.messages.create(
                to=prefix + outgoing.to,
                status_callback=outgoing.status_callback,
                **sender,
                **content,
            )
        except TwilioRestException as error:
            raise SendFailed(error.code, error.status, str(error.msg)) from error
        except OSError as error:
            raise SendFailed(None, None, str(error)) from error
        return Sent(sid=str(message.sid), status=str(message.status))


class ConsoleSender:
    """Print each text instead of sending it: the embedded default needs no Twilio account."""

    def send(self, outgoing: Outgoing) -> Sent:
        log.warning("%s to %s: %s", outgoing.channel, outgoing.to, outgoing.body)
        return Sent(sid=f"SM{uuid.uuid4().hex}", status=MessageStatus.DELIVERED)


def make_sender(settings: Settings) -> Sender:
    """Pick the sender the settings ask for."""
    return TwilioSender(settings) if settings.uses_twilio else ConsoleSender()
