"""WhatsApp templates: one approved template per kind of message, checked as WhatsApp would,
filled with only what changes, and broadcasts outside the window sent with theirs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from signers import CAMPAIGN, Signer, add_signers
from sqlalchemy import select

from bot.broadcasts import service as broadcasts
from bot.broadcasts.audience import Audience
from bot.outbound.whatsapp import TemplateError, read_template
from bot.services import services
from store.models import Message

SID = "HX" + "a" * 32
ANA = "+14045550001"


def entry(text: str, variables: list[str]) -> dict[str, Any]:
    return {"content_sid": SID, "text": text, "variables": variables}


def test_a_template_names_its_values_and_keeps_its_words() -> None:
    template = read_template(
        "confirmation", entry("Thanks, {{1}}! You are signer #{{2}}.", ["first_name", "number"])
    )
    assert (template.content_sid, template.variables) == (SID, ("first_name", "number"))


@pytest.mark.parametrize(
    ("kind", "data", "problem"),
    [
        ("confirmation", "HX" + "1" * 32, "give content_sid, text"),  # the old one-SID form
        ("confirmation", entry("{{1}}", ["first_name"]), "starts or ends with a value"),
        ("confirmation", entry("{{1}}, thanks!", ["first_name"]), "starts or ends with a value"),
        ("broadcast", entry("News here: {{1}}", ["link"]), "starts or ends with a value"),
        (
            "confirmation",
            entry("Hi {{1}} {{2}}, thanks.", ["first_name", "number"]),
            "side by side",
        ),
        ("confirmation", entry("Hi {{1}}, thanks.", ["first_name", "number"]), "{{1}} to {{2}}"),
        ("confirmation", entry("Hi {{2}}, thanks.", ["first_name"]), "{{1}} to {{1}}"),
        ("confirmation", entry("Hi {{1}}, thanks.", ["city"]), "cannot fill city"),
        ("reply", entry("Hi {{1}}, thanks.", ["first_name"]), "only these kinds"),
        ("broadcast", {**entry("Hi {{1}}, news.", ["first_name"]), "content_sid": "HX1"}, "SID"),
        ("broadcast", entry("Hi {{1}}, " + "news " * 250, ["first_name"]), "WhatsApp allows 1024"),
    ],
)
def test_a_template_whatsapp_would_refuse_is_refused_with_the_reason(
    kind: str, data: Any, problem: str
) -> None:
    with pytest.raises(TemplateError) as refused:
        read_template(kind, data)
    assert problem in str(refused.value)


@pytest.fixture
def settings(settings: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The shipped campaign with a broadcast template, and no quiet hours."""
    folder = tmp_path / "campaigns"
    shutil.copytree(settings["CAMPAIGNS_DIR"], folder)
    with (folder / f"{CAMPAIGN}.yaml").open("a", encoding="utf-8") as file:
        file.write(
            "\nwhatsapp_templates:\n"
            "  broadcast:\n"
            f"    content_sid: {SID}\n"
            '    text: "Hi {{1}}, news on the DOJ letter you signed: {{2}} Reply STOP to stop."\n'
            "    variables: [first_name, link]\n"
        )
    return settings | {"CAMPAIGNS_DIR": str(folder), "SEND_WINDOW": "00:00-24:00"}


def test_campaigns_check_names_the_templates_and_refuses_one_whatsapp_would_refuse(
    runner,
) -> None:
    listed = runner.invoke(args=["campaigns", "check"]).output
    assert f"{CAMPAIGN}: keyword FACES, active, WhatsApp templates for broadcast" in listed
    folder = Path(services().settings.campaigns_dir)
    path = folder / f"{CAMPAIGN}.yaml"
    path.write_text(path.read_text("utf-8").replace("Hi {{1}},", "{{1}},"), "utf-8")
    result = runner.invoke(args=["campaigns", "check"])
    assert result.exit_code != 0
    assert "whatsapp_templates.broadcast: WhatsApp refuses a template that starts" in result.output


def test_a_broadcast_outside_the_window_goes_as_its_template_with_the_link(
    svc, twilio, run_jobs
) -> None:
    add_signers(svc, [Signer(ANA, name="Ana López", source="whatsapp")])  # wrote long ago
    body = "Hi {first_name}! The DOJ answered: https://crtt.example/doj. Read it and share."
    broadcasts.start(svc, broadcasts.create(svc, CAMPAIGN, Audience(), body))
    run_jobs()
    (sent,) = twilio.messages
    assert (sent.to, sent.params["ContentSid"]) == (f"whatsapp:{ANA}", SID)
    assert json.loads(sent.params["ContentVariables"]) == {
        "1": "Ana",
        "2": "https://crtt.example/doj",
    }


def test_a_broadcast_whose_template_cannot_be_filled_is_skipped_and_says_why(
    svc, twilio, run_jobs
) -> None:
    add_signers(svc, [Signer(ANA, source="whatsapp")])
    broadcasts.start(svc, broadcasts.create(svc, CAMPAIGN, Audience(), "No link this time."))
    run_jobs()
    assert twilio.messages == []
    with svc.db() as session:
        reason = session.scalar(select(Message.skip_reason).where(Message.kind == "broadcast"))
    assert reason == "whatsapp_template"


def test_an_edited_campaign_keeps_its_templates(svc) -> None:
    from bot.campaigns.files import campaign_data, campaign_from_data

    campaign = svc.catalog.by_slug(CAMPAIGN)
    again = campaign_from_data(campaign_data(campaign), where="saved")
    assert again.whatsapp_templates == campaign.whatsapp_templates
