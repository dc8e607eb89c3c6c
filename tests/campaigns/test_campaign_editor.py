"""Organizers create and edit campaigns in the dashboard; the bot uses the edit at once."""

from __future__ import annotations

import json
import re
import shutil
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import Phone, csrf_token, log_in
from sqlalchemy import update

import bot.campaigns.catalog
from bot.campaigns.catalog import CatalogSource
from bot.campaigns.files import CAMPAIGN_MESSAGES, _StringsLoader, campaign_data, campaign_from_data
from store.models import Campaign

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


def new_form(client, **changes: Any) -> dict[str, Any]:
    """The new-campaign form as the page fills it, with ``changes``."""
    html = client.get("/campaigns/new").get_data(as_text=True)
    fields: dict[str, Any] = {"active": "on", "messages_per_month": "4", "keyword_es": ""}
    texts = re.findall(r'<textarea name="(message_\w+)" rows="2">([^<]*)</textarea>', html)
    for name, text in texts:
        fields[name] = unescape(text)
    assert len(fields) == 3 + 2 * len(CAMPAIGN_MESSAGES)
    return fields | changes


RENT = {
    "slug": "rent-cap",
    "title": "Cap rents in Atlanta",
    "keyword_en": "RENT",
    "target": "Atlanta City Council\n55 Trinity Ave SW",
    "letter": "Dear Council: cap the rents.",
    "demands": ["Cap rent increases at 3% a year."],
}


def test_a_new_campaign_starts_from_neutral_words_with_human_labels(client, svc) -> None:
    log_in(client, svc)
    html = client.get("/campaigns/new").get_data(as_text=True)
    assert "DOJ" not in html and "face recognition" not in html
    assert "Reply to the keyword" in html and "menu call" not in html
    assert "GSM-7, 1 segment" in html


def test_a_new_campaign_texts_its_own_title_and_target(client, svc, twilio, run_jobs) -> None:
    log_in(client, svc)
    assert save(client, "/campaigns/new", new_form(client, **RENT)).status_code == 302
    supporter = Phone(client, twilio, "+14045550179")
    intro = supporter.text("RENT")[0]
    assert intro == "Cap rents in Atlanta: add your name to the letter. What's your full name?"
    supporter.text("Jane Doe")
    consent = supporter.text("30303")[0]
    assert "to the letter to Atlanta City Council and text you" in consent
    assert "DOJ" not in consent


def test_a_new_campaign_with_another_campaigns_words_is_refused(client, svc) -> None:
    log_in(client, svc)
    doj = svc.catalog.by_slug(SLUG)
    fields = new_form(client, **RENT) | {"message_en_intro": doj.messages["en"]["intro"]}
    response = save(client, "/campaigns/new", fields)
    html = " ".join(unescape(response.get_data(as_text=True)).split())
    assert response.status_code == 400
    assert f"Reply to the keyword (en) has the words of “{doj.title}”" in html
    assert svc.catalog.by_slug("rent-cap") is None


def test_an_organizer_creates_a_campaign_that_signs_at_once(client, svc, twilio, run_jobs) -> None:
    log_in(client, svc)
    fields = new_form(
        client,
        slug="police-drones",
        title="No police drones over our protests",
        keyword_en="DRONES",
        keyword_es="DRONES2",
        target="Atlanta City Council",
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
    monkeypatch.setattr(bot.campaigns.catalog, "REFRESH_SECONDS", 0.0)
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


def _copied_files(svc, tmp_path: Path) -> tuple[Path, CatalogSource]:  # type: ignore[no-untyped-def]
    """A copy of the campaign files, to break or add to, and a catalog over it."""
    folder = tmp_path / "campaigns"
    shutil.copytree(svc.settings.campaigns_dir, folder)
    return folder, CatalogSource(str(folder), svc.db)


def test_a_campaign_file_broken_while_running_keeps_the_last_good_campaigns(
    svc, tmp_path, monkeypatch
) -> None:
    folder, source = _copied_files(svc, tmp_path)
    assert source.current().by_keyword("faces") is not None
    (folder / f"{SLUG}.yaml").write_text("slug: [unclosed", encoding="utf-8")
    monkeypatch.setattr(bot.campaigns.catalog, "REFRESH_SECONDS", 0.0)
    assert source.current().by_keyword("faces") is not None


def _drones(svc) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A campaign made in the dashboard alone: no file stands behind it."""
    data = campaign_data(svc.catalog.by_slug(SLUG))
    return data | {
        "slug": "police-drones",
        "title": "No police drones",
        "keywords": {"en": "DRONES"},
    }


def _store_definition(svc, data: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    # As a campaign saved by an older release sits in the database.
    with svc.db.begin() as session:
        session.execute(
            update(Campaign)
            .where(Campaign.slug == data["slug"])
            .values(definition=json.dumps(data))
        )


def test_a_saved_campaign_that_no_longer_loads_is_left_out_alone(
    client, svc, twilio, monkeypatch
) -> None:
    monkeypatch.setattr(bot.campaigns.catalog, "REFRESH_SECONDS", 0.0)
    svc.catalogs.save(_drones(svc))
    svc.catalogs.save(campaign_data(svc.catalog.by_slug(SLUG)) | {"keywords": {"en": "PRIVACY"}})
    # A release added a message this campaign, saved before it, lacks.
    older = _drones(svc)
    del older["messages"]["en"]["confirm_signup"]
    _store_definition(svc, older)

    assert svc.catalog.by_slug("police-drones") is None
    assert svc.catalogs.left_out == {"police-drones": "messages.en lacks confirm_signup"}
    # The other edit still holds, and the bot still signs people up for it.
    assert "What's your full name?" in Phone(client, twilio, "+14045550180").text("privacy")[0]

    log_in(client, svc)
    home = " ".join(client.get("/").get_data(as_text=True).split())
    assert "left out what was saved for the campaign “police-drones”" in home
    assert "messages.en lacks confirm_signup" in home
    path = "/campaigns/police-drones/edit"
    page = client.get(path)
    assert page.status_code == 200
    assert "No police drones" in page.get_data(as_text=True)

    fixed = {**form_of(svc), "slug": "police-drones", "title": "No police drones"}
    fixed |= {"keyword_en": "DRONES", "keyword_es": ""}
    assert save(client, path, fixed).status_code == 302
    assert svc.catalog.by_slug("police-drones") is not None
    assert svc.catalogs.left_out == {}


def test_a_new_campaign_file_taking_a_saved_keyword_leaves_the_saved_one_out(
    svc, tmp_path, monkeypatch
) -> None:
    folder, source = _copied_files(svc, tmp_path)
    source.save(_drones(svc))
    assert source.current().by_keyword("drones") is not None
    shipped = yaml.load((folder / f"{SLUG}.yaml").read_text(), Loader=_StringsLoader)
    shipped |= {"slug": "drones-act", "keywords": {"en": "DRONES"}}
    (folder / "drones-act.yaml").write_text(yaml.safe_dump(shipped), encoding="utf-8")
    monkeypatch.setattr(bot.campaigns.catalog, "REFRESH_SECONDS", 0.0)

    catalog = source.current()
    assert catalog.by_keyword("drones")[0].slug == "drones-act"
    assert catalog.by_slug(SLUG) is not None
    assert "keyword DRONES is used by both" in source.left_out["police-drones"]


def test_a_left_out_campaign_exports_as_saved_to_mend(runner, svc, monkeypatch) -> None:
    monkeypatch.setattr(bot.campaigns.catalog, "REFRESH_SECONDS", 0.0)
    svc.catalogs.save(_drones(svc))
    older = _drones(svc)
    del older["messages"]["en"]["confirm_signup"]
    _store_definition(svc, older)

    exported = runner.invoke(args=["campaigns", "export", "police-drones"])
    assert exported.exit_code == 0, exported.output
    assert "not running police-drones: messages.en lacks confirm_signup" in exported.stderr
    mended = yaml.load(exported.stdout, Loader=_StringsLoader)
    assert (mended["slug"], mended["messages"]) == ("police-drones", older["messages"])


def test_a_left_out_edit_of_a_campaign_file_runs_the_file(svc, monkeypatch) -> None:
    monkeypatch.setattr(bot.campaigns.catalog, "REFRESH_SECONDS", 0.0)
    edited = campaign_data(svc.catalog.by_slug(SLUG)) | {"keywords": {"en": "PRIVACY"}}
    svc.catalogs.save(edited)
    # Saved by an older release: a setting this one reads differently.
    _store_definition(svc, edited | {"messages_per_month": "often"})

    assert svc.catalog.by_keyword("faces") is not None
    assert svc.catalog.by_keyword("privacy") is None
    assert SLUG in svc.catalogs.left_out
