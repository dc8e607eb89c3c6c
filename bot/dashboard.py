"""The organizers' dashboard: campaigns and their signatures, for logged-in users."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from bot.auth import role_required
from bot.services import services
from store.models import Campaign

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@role_required("organizer")
def home() -> ResponseReturnValue:
    with services().db() as session:
        counts = dict(session.execute(select(Campaign.slug, Campaign.signature_count)).all())
    campaigns = [(c, counts.get(c.slug, 0)) for c in services().catalog.campaigns]
    return render_template("dashboard/home.html", campaigns=campaigns)
