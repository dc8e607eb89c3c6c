"""``flask --app bot chat``: text the bot from the terminal, no server or phone needed."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from bot.devtools.simulator import BadPhone, delivered, e164, hint, made_up_phone, thread
from bot.inbound.pipeline import receive
from bot.inbound.texts import InboundText
from bot.outbound.senders import ConsoleSender
from bot.services import Services, services
from store.models import Message
from store.statuses import Channel, Direction, MessageStatus

QUIT = "/quit"


@click.command("chat")
@with_appcontext
@click.option("--phone", help="The number to text from (default: a made-up 555-01xx number).")
def chat(phone: str | None) -> None:
    """Talk to the bot as a supporter's phone would; Ctrl-D or /quit leaves."""
    try:
        number = e164(phone) if phone else made_up_phone()
    except BadPhone as error:
        raise click.BadParameter(str(error), param_hint="--phone") from None
    svc = services()
    with svc.db() as session:
        # Start after this phone's past texts; `flask conversation` prints those.
        shown = session.scalar(select(func.max(Message.id)).where(Message.phone == number)) or 0
    click.echo(f"Texting the bot from {number}. {hint()}; {QUIT} or Ctrl-D leaves.")
    with _console_sender_quiet(svc):
        _talk(svc, number, shown)


def _talk(svc: Services, number: str, shown: int) -> None:
    while True:
        try:
            line = click.prompt("you", prompt_suffix="> ", default="", show_default=False)
        except click.Abort:  # Ctrl-D or Ctrl-C
            click.echo()
            return
        if line.strip() == QUIT:
            return
        if not line.strip():
            continue
        text = InboundText(
            phone=number, body=line, sid="CHAT" + uuid.uuid4().hex, channel=Channel.SMS
        )
        delivered(receive(svc, text))
        # Replies and anything a worker sent since (a confirmation) are all stored rows.
        with svc.db() as session:
            for message in thread(session, number, after=shown):
                shown = message["id"]
                if message["direction"] == Direction.OUT:
                    click.echo(f"bot> {message['body']}{_unless_sent(message)}")


def _unless_sent(message: dict[str, Any]) -> str:
    """A note after a text that did not go (yet): its status, and why it failed."""
    if message["status"] in (MessageStatus.SENT, MessageStatus.DELIVERED):
        return ""
    why = f": {message['failure']}" if message["failure"] else ""
    return f"  [{message['status']}{why}]"


@contextmanager
def _console_sender_quiet(svc: Services) -> Iterator[None]:
    # The console sender logs each text it "sends"; here the chat prints it already.
    logger = logging.getLogger("bot.outbound.senders")
    level = logger.level
    if isinstance(svc.sender, ConsoleSender):
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
