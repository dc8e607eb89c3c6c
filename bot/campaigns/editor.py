"""Create and edit campaigns in the dashboard, without a deploy.

The form holds everything a campaign file holds; saving checks it exactly as a file is
checked, and the edit reaches every process within a few seconds (see ``bot.campaigns.catalog``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from bot.accounts.auth import role_required
from bot.campaigns import words as campaign_words
from bot.campaigns.files import CAMPAIGN_MESSAGES, CampaignFileError
from bot.lib.segments import GSM_BASIC, GSM_EXTENSION
from bot.services import services

LANGUAGES = ("en", "es")
bp = Blueprint("campaign_editor", __name__, url_prefix="/campaigns", template_folder="templates")


@bp.route("/new", methods=["GET", "POST"])
@role_required("organizer")
def new() -> ResponseReturnValue:
    if request.method == "POST":
        return _save(request.form, creating=True)
    # Neutral words, never another campaign's: its own title and target fill them on saving.
    blank = {"slug": "", "title": "", "keywords": {}, "target": "", "letter": "", "demands": []}
    start = {"messages": campaign_words.STARTING, "messages_per_month": 4, "active": True}
    return _form(blank | start, creating=True)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@role_required("organizer")
def edit(slug: str) -> ResponseReturnValue:
    # A saved campaign the bot left out (see bot.campaigns.catalog) is edited from what was saved.
    found = services().catalogs.definition(slug)
    if found is None:
        abort(404)
    if request.method == "POST":
        if request.form.get("slug") != slug:
            abort(400, "a campaign's slug cannot change")
        return _save(request.form, creating=False)
    data, left_out_because = found
    if left_out_because is not None:
        flash(f"The bot is not running this campaign: {left_out_because}", "error")
    return _form(data, creating=False)


def _save(form: MultiDict[str, str], *, creating: bool) -> ResponseReturnValue:
    data = _data(form)
    svc = services()
    if creating and svc.catalog.by_slug(str(data["slug"])) is not None:
        flash(f"There is already a campaign {data['slug']}.", "error")
        return _form(data, creating=True), 400
    if creating:
        data = campaign_words.filled(data)
    try:
        svc.catalogs.check(data)
    except CampaignFileError as error:
        flash(str(error).removeprefix("the campaign form: "), "error")
        return _form(data, creating=creating), 400
    borrowed = campaign_words.borrowed(data, svc.catalog.campaigns) if creating else []
    if borrowed:
        flash("Write this campaign's own words: " + "; ".join(borrowed) + ".", "error")
        return _form(data, creating=creating), 400
    campaign = svc.catalogs.save(data)
    flash(f"Saved {campaign.title}. Every part of the bot uses it within seconds.", "success")
    return redirect(url_for("campaign_editor.edit", slug=campaign.slug))


def _data(form: MultiDict[str, str]) -> dict[str, Any]:
    """Campaign-file data from the form's fields."""
    per_month = form.get("messages_per_month", "")
    return {
        "slug": form.get("slug", "").strip(),
        "title": form.get("title", "").strip(),
        "keywords": {
            language: form.get(f"keyword_{language}", "").strip().upper()
            for language in LANGUAGES
            if form.get(f"keyword_{language}", "").strip()
        },
        "active": form.get("active") == "on",
        "messages_per_month": int(per_month) if per_month.isdigit() else per_month,
        "target": form.get("target", "").strip(),
        "demands": [d.strip() for d in form.getlist("demands") if d.strip()],
        "letter": form.get("letter", "").strip(),
        "messages": {
            language: {
                key: form.get(f"message_{language}_{key}", "").strip()
                for key in CAMPAIGN_MESSAGES
                if form.get(f"message_{language}_{key}", "").strip()
            }
            for language in LANGUAGES
            if any(form.get(f"message_{language}_{key}", "").strip() for key in CAMPAIGN_MESSAGES)
        },
    }


def _form(data: dict[str, Any], *, creating: bool) -> str:
    demands = list(data.get("demands") or [])
    # Room for one more demand, and for the two a petition usually has.
    demand_fields = demands + [""] * max(1, 2 - len(demands))
    return render_template(
        "campaigns/edit.html",
        data=data,
        demand_fields=demand_fields,
        creating=creating,
        languages=LANGUAGES,
        message_keys=CAMPAIGN_MESSAGES,
        labels=campaign_words.LABELS,
        organization=services().catalog.organization.name,
        sample=campaign_words.SAMPLE,
        sized=campaign_words.sized,
        gsm=(GSM_BASIC, GSM_EXTENSION),
    )
