"""Organizers create and edit campaigns in the dashboard; the bot uses the edit at once."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from conftest import Phone, csrf_token, log_in

import bot.catalog
from bot.campaigns import CAMPAIGN_MESSAGES, _StringsLoader, campaign_data, campaign_from_data
from bot.catalog import CatalogSource

SLUG = "doj-face-recognition"


def form_of(svc, **changes: Any) -> dict[str, Any]:
    """The face-recognition campaign's edit form as the page fills it, with ``changes``."""
    data = campaign_data(svc.catalog.by_slug(SLUG))
    fields: dict[str, Any] = {
        "slug": data["slug"],
        "title": data["title"],
        "keyword_en": data["keywords"]["en"],
        "keyword_es": data["keywords"].get("es", ""),
        "active": "on",
        "messages_per_month": str(data["messages_per_month"]),
        "target": data["target"],
        "demands": data["demands"],
        "letter": data["letter"],
    }
    for language, messages in data["messages"].items():
        for key in CAMPAIGN_MESSAGES:
            fields[f"message_{language}_{key}"] = messages[key]
    return fields | changes


def save(client, path: str, fields: dict[str, Any]):  # type: ignore[no-untyped-def]
    return client.post(path, data=fields | {"csrf_token": csrf_token(client, path)})


def test_an_organizer_changes_the_keyword_and_the_bot_answers_the_new_one(
    client, svc, twilio
) -> None:
    log_in(client, svc)
    path = f"/campaigns/{SLUG}/edit"
    response = save(client, path, form_of(svc, keyword_en="PRIVACY"))
    assert response.status_code == 302
    supporter = Phone(client, twilio, "+14045550177")
    assert "What's your full name?" in supporter.text("privacy")[0]
    assert "Text PRIVACY to" in Phone(client, twilio, "+14045550178").text("hi")[0]


def test_an_organizer_creates_a_campaign_that_signs_at_once(client, svc, twilio, run_jobs) -> None:
    log_in(client, svc)
    fields = form_of(
        svc,
        slug="police-drones",
        title="No police drones over our protests",
        keyword_en="DRONES",
        keyword_es="DRONES2",
        letter="Dear Council: ground the drones.",
        demands=["Ground the drones."],
    )
    assert save(client, "/campaigns/new", fields).status_code == 302
    supporter = Phone(client, twilio, "+14045550179")
    for body in ("DRONES", "Jane Doe", "30303", "YES"):
        supporter.text(body)
    run_jobs()
    assert "you're signer #1" in supporter.texts_received()[0]


def test_a_keyword_another_active_campaign_uses_is_refused(client, svc) -> None:
    log_in(client, svc)
    fields = form_of(svc, slug="copycat", keyword_en="FACES", keyword_es="")
    response = save(client, "/campaigns/new", fields)
    assert response.status_code == 400
    assert "keyword FACES is used by both" in response.get_data(as_text=True)


def test_a_message_with_a_placeholder_the_bot_does_not_fill_is_refused(client, svc) -> None:
    log_in(client, svc)
    fields = form_of(svc, message_en_ask_zip="Thanks {nickname}! Your ZIP?")
    response = save(client, f"/campaigns/{SLUG}/edit", fields)
    assert response.status_code == 400
    assert "nickname" in response.get_data(as_text=True)
    assert svc.catalog.by_slug(SLUG).say("en", "ask_zip", first_name="Jo").startswith("Thanks, Jo")


@pytest.mark.parametrize("path", ["/campaigns/new", f"/campaigns/{SLUG}/edit"])
def test_a_field_volunteer_may_not_edit_campaigns(client, svc, path: str) -> None:
    log_in(client, svc, role="field")
    assert client.get(path).status_code == 403


def test_a_stranger_is_sent_to_log_in(client, svc) -> None:
    response = client.get(f"/campaigns/{SLUG}/edit")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_another_process_sees_an_edit_after_its_refresh(svc, monkeypatch) -> None:
    elsewhere = CatalogSource(svc.settings.campaigns_dir, svc.db)
    assert elsewhere.current().by_keyword("faces") is not None
    data = campaign_data(svc.catalog.by_slug(SLUG))
    svc.catalogs.save(data | {"keywords": {"en": "PRIVACY"}})
    assert elsewhere.current().by_keyword("faces") is not None  # still its cached copy
    monkeypatch.setattr(bot.catalog, "REFRESH_SECONDS", 0.0)
    assert elsewhere.current().by_keyword("faces") is None
    assert elsewhere.current().by_keyword("privacy") is not None


def test_a_campaign_exports_as_a_file_that_imports_back(runner, svc, tmp_path) -> None:
    exported = runner.invoke(args=["campaigns", "export", SLUG])
    assert exported.exit_code == 0, exported.output
    data = yaml.load(exported.output, Loader=_StringsLoader)
    assert campaign_from_data(data, "export") == svc.catalog.by_slug(SLUG)
    data["title"] = "A new title"
    edited = tmp_path / f"{SLUG}.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    imported = runner.invoke(args=["campaigns", "import", str(edited)])
    assert imported.exit_code == 0, imported.output
    assert svc.catalog.by_slug(SLUG).title == "A new title"


def test_a_campaign_file_broken_while_running_keeps_the_last_good_campaigns(
    svc, tmp_path, monkeypatch
) -> None:
    import shutil

    folder = tmp_path / "campaigns"
    shutil.copytree(svc.settings.campaigns_dir, folder)
    source = CatalogSource(str(folder), svc.db)
    assert source.current().by_keyword("faces") is not None
    (folder / f"{SLUG}.yaml").write_text("slug: [unclosed", encoding="utf-8")
    monkeypatch.setattr(bot.catalog, "REFRESH_SECONDS", 0.0)
    assert source.current().by_keyword("faces") is not None
