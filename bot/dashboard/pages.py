"""The organizers' dashboard: campaigns, their figures, supporters, exports and the packet."""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    stream_template,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.accounts.auth import role_required
from bot.dashboard import (
    exports,
    packet,
    packet_pdf,
    people,
)
from bot.dashboard import (
    figures as stats,
)
from bot.dashboard import (
    supporters as supporter_history,
)
from bot.lib import charts, phones
from bot.services import services
from conversations import CampaignScript
from store.models import Campaign, iso_utc

bp = Blueprint("dashboard", __name__, template_folder="templates")
bp.add_app_template_filter(phones.masked, "masked_phone")
bp.add_app_template_filter(iso_utc, "iso_utc")


@bp.get("/")
@role_required("organizer")
def home() -> ResponseReturnValue:
    counts = _counts()
    svc = services()
    campaigns = [(c, counts.get(c.slug, 0)) for c in svc.catalog.campaigns]
    return render_template(
        "dashboard/home.html", campaigns=campaigns, left_out=svc.catalogs.left_out
    )


@bp.get("/counts.json")
@role_required("organizer")
def counts() -> ResponseReturnValue:
    """Each campaign's signature count, for the home page to poll."""
    return jsonify(_counts())


@bp.get("/campaigns/<slug>")
@role_required("organizer")
def campaign(slug: str) -> ResponseReturnValue:
    svc = services()
    file = _campaign_file(slug)
    with svc.db() as session:
        row = _campaign_row(session, slug)
        figures = stats.campaign_figures(session, svc.redis, row, svc.clock())
        recent = stats.recent_signers(session, row.id) if row else []
    unit = "week" if figures.weekly else "day"
    drawn = [charts.bars_over_time(figures.periods, unit, f) for f in (charts.WIDE, charts.NARROW)]
    return render_template(
        "dashboard/campaign.html",
        campaign=file,
        figures=figures,
        recent=recent,
        charts=drawn if figures.periods else None,
        unit=unit,
        top_state=max((n for _, n in figures.states), default=0),
    )


@bp.get("/campaigns/<slug>/signers.csv")
@role_required("organizer")
def signers_csv(slug: str) -> ResponseReturnValue:
    """Every signer as CSV for a spreadsheet, streamed as it is read."""
    return _signers_download(slug, for_crm=False)


@bp.get("/campaigns/<slug>/signers-crm.csv")
@role_required("organizer")
def signers_crm_csv(slug: str) -> ResponseReturnValue:
    """Every signer as CSV for CRM import: raw E.164, first and last name, ZIP as text."""
    return _signers_download(slug, for_crm=True)


def _signers_download(slug: str, *, for_crm: bool) -> ResponseReturnValue:
    svc = services()
    _campaign_file(slug)
    with svc.db() as session:
        row = _campaign_row(session, slug)
    today = svc.clock().date().isoformat()
    name = f"{slug}-signers-{'crm-' if for_crm else ''}{today}.csv"
    return Response(
        stream_with_context(exports.download(svc.db, row.id if row else None, for_crm)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/campaigns/<slug>/packet")
@role_required("organizer")
def packet_page(slug: str) -> ResponseReturnValue:
    """The delivery packet to print: streamed, so a million names need not fit in memory."""
    svc = services()
    file = _campaign_file(slug)
    with svc.db() as session:
        row = _campaign_row(session, slug)
    return Response(
        stream_template(
            "dashboard/packet.html",
            campaign=file,
            count=row.signature_count if row else 0,
            signers=packet.signers(svc.db, row.id if row else None),
            today=svc.clock().date(),
        )
    )


@bp.get("/campaigns/<slug>/packet.pdf")
@role_required("organizer")
def packet_download(slug: str) -> ResponseReturnValue:
    svc = services()
    file = _campaign_file(slug)
    with svc.db() as session:
        row = _campaign_row(session, slug)
    signers = packet.signers(svc.db, row.id if row else None)
    count, today = (row.signature_count if row else 0), svc.clock().date()
    try:
        pdf = packet_pdf.packet_pdf(file, svc.catalog.organization.name, count, signers, today)
    except packet_pdf.NoFontError as error:
        abort(503, description=f"{error}. The printable page works without it.")
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{slug}-packet-{today}.pdf"'},
    )


@bp.get("/supporters")
@role_required("organizer")
def find_supporter() -> ResponseReturnValue:
    """Find anyone who ever texted: by phone, typed any way an organizer types it, or by name."""
    raw = (request.args.get("q") or request.args.get("phone") or "").strip()
    # A link that asks with phone= means a phone; the search box (q=) takes either.
    as_phone = "phone" in request.args or _looks_like_phone(raw)
    phone = phones.e164(raw) if as_phone else None
    matches: list[people.Match] = []
    if phone is not None:
        with services().db() as session:
            found = supporter_history.history_of_phone(session, phone)
        if found is not None:
            if found.supporter is not None:
                return redirect(url_for("dashboard.supporter", supporter_id=found.supporter.id))
            return redirect(url_for("dashboard.phone_history", phone=phone))
    elif raw and not as_phone:
        with services().db() as session:
            matches = people.by_name(session, raw)
    status = 404 if raw and not matches else 200
    return render_template(
        "dashboard/find_supporter.html",
        query=raw,
        phone_e164=phone,
        looks_like_phone=as_phone,
        matches=matches,
    ), status


@bp.get("/supporters/phone/<phone>")
@role_required("organizer")
def phone_history(phone: str) -> ResponseReturnValue:
    """What a phone with no profile texted and was sent."""
    return _history_page(lambda session: supporter_history.history_of_phone(session, phone))


@bp.get("/supporters/<int:supporter_id>")
@role_required("organizer")
def supporter(supporter_id: int) -> ResponseReturnValue:
    return _history_page(lambda session: supporter_history.history(session, supporter_id))


def _history_page(
    read: Callable[[Session], supporter_history.History | None],
) -> ResponseReturnValue:
    with services().db() as session:
        history = read(session)
    if history is None:
        abort(404)
    return render_template("dashboard/supporter.html", history=history)


@bp.get("/campaigns/<slug>/signers")
@role_required("organizer")
def signers(slug: str) -> ResponseReturnValue:
    """Every signer of the campaign, a page at a time, searched by name, phone, ZIP or state."""
    file = _campaign_file(slug)
    search = request.args.get("q", "").strip()
    page = request.args.get("page", "1")
    with services().db() as session:
        row = _campaign_row(session, slug)
        found = people.signer_page(
            session, row.id if row else None, search, int(page) if page.isdigit() else 1
        )
    return render_template("dashboard/signers.html", campaign=file, found=found, search=search)


def _looks_like_phone(text: str) -> bool:
    # A name has letters; a phone is digits and the marks people type around them.
    return bool(text) and not any(c.isalpha() for c in text.replace("ext", ""))


def _counts() -> dict[str, int]:
    with services().db() as session:
        return dict(session.execute(select(Campaign.slug, Campaign.signature_count)).all())


def _campaign_file(slug: str) -> CampaignScript:
    file = services().catalog.by_slug(slug)
    if file is None:
        abort(404)
    return file


def _campaign_row(session: Session, slug: str) -> Campaign | None:
    """The campaign's row, which exists once someone has texted its keyword."""
    return session.scalar(select(Campaign).where(Campaign.slug == slug))
