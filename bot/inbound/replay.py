"""The job that answers texts stored unprocessed: Redis was away, or the phone's turn stuck."""

from __future__ import annotations

from bot.inbound.pipeline import answer_stored
from bot.services import services


def answer_stored_text(message_id: int) -> None:
    """Answer this stored text, and any earlier one from the same phone, in order."""
    answer_stored(services(), message_id)
