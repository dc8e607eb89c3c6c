"""``GET /privacy`` and ``GET /terms``: the pages HELP and event signs link to.

Carriers and Twilio's campaign registration ask for both. An organization that has its own
(``privacy_url`` and ``terms_url`` in organization.yaml) is sent there; otherwise these pages
are written from organization.yaml and the campaigns, so they say what the bot really does.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template
from flask.typing import ResponseReturnValue

from bot.services import services

bp = Blueprint("policies", __name__, template_folder="templates")


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    """What the bot collects, what it does with it, and how to stop it."""
    return _page("privacy")


@bp.get("/terms")
def terms() -> ResponseReturnValue:
    """The terms of the text program: frequency, rates, STOP and HELP, contact."""
    return _page("terms")


def _page(name: str) -> ResponseReturnValue:
    svc = services()
    catalog = svc.catalog
    organization = catalog.organization
    url = organization.privacy_url if name == "privacy" else organization.terms_url
    if url != f"{svc.settings.public_base_url}/{name}":
        return redirect(url)  # the organization's own page
    return render_template(
        f"policies/{name}.html",
        organization=organization,
        campaigns=catalog.active,
        most_per_month=catalog.messages_per_month,
    )
