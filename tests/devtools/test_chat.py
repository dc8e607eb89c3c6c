"""``flask chat``: the bot in a terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner

from bot import create_app
from bot.outbound.senders import Outgoing, Sent
from bot.services import services


def test_it_asks_for_the_name_then_the_zip(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["chat", "--phone", "+14045550123"], input="FACES\nJane Doe\n30303\n"
    )
    assert result.exit_code == 0, result.output
    assert "Text FACES to start" in result.output
    assert "bot> Tell the DOJ to halt police face recognition" in result.output
    assert "bot> Thanks, Jane! What's your 5-digit ZIP code?" in result.output
    # Each reply is printed once, although it is both returned and stored.
    assert result.output.count("What's your 5-digit ZIP code?") == 1


def test_it_skips_empty_lines_and_leaves_on_quit(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["chat", "--phone", "+14045550123"], input="\n/quit\nFACES\n")
    assert result.exit_code == 0, result.output
    assert "bot>" not in result.output


def test_it_refuses_a_bad_phone(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["chat", "--phone", "nope"], input="")
    assert result.exit_code == 2
    assert "--phone" in result.output


def test_it_shows_the_confirmation_in_the_embedded_default(
    tmp_path: Path, monkeypatch: Any
) -> None:
    # Nothing from this machine's environment: SQLite, in-process Redis, the console sender.
    for name in ("BOT_ENV", "DATABASE_URL", "REDIS_URL", "TWILIO_ACCOUNT_SID"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3"})
    try:
        runner = app.test_cli_runner()
        upgraded = runner.invoke(args=["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        result = runner.invoke(
            args=["chat", "--phone", "+14045550123"], input="FACES\nJane Doe\n30303\nYES\n"
        )
        assert result.exit_code == 0, result.output
        assert "Reply YES to sign." in result.output
        assert "bot> Thanks, Jane, you're signer #1 of the letter" in result.output
    finally:
        with app.app_context():
            services().db.kw["bind"].dispose()
            services().redis.close()


class BrokenSender:
    """A sender with a bug of ours in it (not the carrier's refusal)."""

    def send(self, outgoing: Outgoing) -> Sent:
        raise RuntimeError("the sender broke")


def test_a_text_that_did_not_go_is_shown_with_its_status_and_reason(embedded: Flask) -> None:
    services().sender = BrokenSender()
    result = embedded.test_cli_runner().invoke(
        args=["chat", "--phone", "+14045550123"], input="FACES\nJane Doe\n30303\nYES\n"
    )
    assert result.exit_code == 0, result.output
    confirmation = next(line for line in result.output.splitlines() if "signer #1" in line)
    assert confirmation.endswith("  [failed: RuntimeError: the sender broke]")
    # The replies went with the webhook's answer: they carry no note.
    assert "bot> Thanks, Jane! What's your 5-digit ZIP code?\n" in result.output
