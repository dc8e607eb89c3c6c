"""Field-team pages: events and their signs and stage screens, volunteers, paper, leaderboard.

An event's printable sign and its stage screen are public: they show what a poster on the wall
shows, and a count. Everything else needs an organizer's login.
"""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.accounts.auth import role_required
from bot.field import renders, signs
from bot.field.events import EventError, create_event, list_events
from bot.field.leaderboard import by_event, by_volunteer
from bot.field.paper import PaperError, import_signups, result_words
from bot.field.volunteers import (
    AlreadyVolunteering,
    VolunteerError,
    list_volunteers,
    register_volunteer,
)
from bot.lib.phones import national
from bot.lib.quiet_hours import window_opens
from bot.limits import public
from bot.services import services
from store.models import Campaign, Event, Signature

bp = Blueprint("field", __name__, template_folder="templates")
bp.add_app_template_filter(national, "national_phone")
bp.add_app_template_filter(result_words, "paper_result")


@bp.get("/events")
@role_required("organizer")
def events() -> ResponseReturnValue:
    return _events_page({})


@bp.post("/events")
@role_required("organizer")
def create() -> ResponseReturnValue:
    form = {key: request.form.get(key, "").strip() for key in _EVENT_FIELDS}
    svc = services()
    try:
        held_on = date.fromisoformat(form["held_on"]) if form["held_on"] else None
    except ValueError:
        flash("The date must be a day, like 2026-12-05.", "error")
        return _events_page(form), 400
    try:
        with svc.db.begin() as session:
            event = create_event(
                session,
                svc.catalog,
                form["slug"],
                campaign=form["campaign"],
                keyword=form["keyword"],
                name=form["name"],
                place=form["place"] or None,
                held_on=held_on,
            )
            slug, keyword = event.slug, event.keyword
    except EventError as error:
        flash(f"The event was not created: {error}.", "error")
        return _events_page(form), 400
    flash(f"Created {slug}: text {keyword} to sign.", "success")
    return redirect(url_for(".events"))


_EVENT_FIELDS = ("slug", "campaign", "keyword", "name", "place", "held_on")


def _events_page(form: dict[str, str]) -> str:
    with services().db() as session:
        rows = list_events(session)
        standings = {s.event: s for s in by_event(session)}
    campaigns = [c for c in services().catalog.campaigns if c.active]
    return render_template(
        "field/events.html", events=rows, standings=standings, campaigns=campaigns, form=form
    )


@bp.get("/events/<slug>/sign")
@public
def sign(slug: str) -> ResponseReturnValue:
    """The printable sign: public, it shows what the poster on the wall shows."""
    found = _sign(slug)
    qr = signs.qr_svg(found.uri) if found.uri else None
    return render_template("field/sign.html", sign=found, slug=slug, qr=qr)


@bp.get("/events/<slug>/sign.pdf")
@public
def sign_pdf(slug: str) -> ResponseReturnValue:
    found = _sign(slug)
    response = renders.cached(
        services().redis, "sign.pdf", found, lambda: signs.sign_pdf(found), "application/pdf"
    )
    response.headers["Content-Disposition"] = f'inline; filename="sign-{slug}.pdf"'
    return response


@bp.get("/events/<slug>/qr.png")
@public
def qr_png(slug: str) -> ResponseReturnValue:
    found = _sign(slug)
    uri = found.uri
    if uri is None:
        abort(404)
    return renders.cached(services().redis, "qr.png", uri, lambda: signs.qr_png(uri), "image/png")


@bp.get("/events/<slug>/stage")
@public
def stage(slug: str) -> ResponseReturnValue:
    """The stage screen: the count of people who signed through the event, live."""
    found = _sign(slug)
    with services().db() as session:
        count = signed_through(session, _event(session, slug))
    return render_template("field/stage.html", sign=found, slug=slug, count=count)


@bp.get("/events/<slug>/count.json")
@public
def count(slug: str) -> ResponseReturnValue:
    """How many signed through the event, for the stage screen to poll."""
    with services().db() as session:
        response = jsonify({"count": signed_through(session, _event(session, slug))})
    response.headers["Cache-Control"] = "no-store"
    return response


def signed_through(session: Session, event: Event) -> int:
    """Signatures of the event's campaign whose source is the event (keyword or sign-up)."""
    return (
        session.scalar(
            select(func.count(Signature.id)).where(
                Signature.campaign_id == event.campaign_id, Signature.source == event.slug
            )
        )
        or 0
    )


@bp.route("/volunteers", methods=["GET", "POST"])
@role_required("organizer")
def volunteers() -> ResponseReturnValue:
    """Register a volunteer's phone for an event, and list them all."""
    svc, status, asking = services(), 200, False
    form = {key: request.form.get(key, "").strip() for key in ("phone", "name", "event")}
    if request.method == "POST":
        try:
            with svc.db.begin() as session:
                volunteer = register_volunteer(
                    session,
                    form["phone"],
                    name=form["name"],
                    event=form["event"],
                    move=request.form.get("move") == "yes",
                )
                done = f"{volunteer.name} ({national(volunteer.phone)}) can sign people up"
            flash(f"{done} at {form['event']}.", "success")
            return redirect(url_for(".volunteers", event=form["event"]))
        except AlreadyVolunteering as question:
            flash(f"Not yet: {question}.", "error")
            status, asking = 409, True
        except VolunteerError as error:
            flash(f"Not registered: {error}.", "error")
            status = 400
    chosen = request.args.get("event") or form["event"] or None
    with svc.db() as session:
        rows = list_volunteers(session, chosen)
        events = list_events(session)
    return render_template(
        "field/volunteers.html",
        volunteers=rows,
        events=events,
        chosen=chosen,
        form=form,
        asking=asking,
    ), status


@bp.route("/events/<slug>/paper", methods=["GET", "POST"])
@role_required("organizer")
def paper(slug: str) -> ResponseReturnValue:
    """Upload a typed-up paper sheet, see what will happen to each row, then import it."""
    svc, report, status, text = services(), None, 200, ""
    with svc.db() as session:
        event = _event(session, slug)
        name = event.name
        volunteers = [v for v in list_volunteers(session, slug) if not v.removed]
    volunteer = request.form.get("volunteer") or None
    if request.method == "POST":
        # First the file, for a preview that stores and texts nothing; then the same text back,
        # confirmed, to import.
        confirmed = request.form.get("action") == "import"
        upload = request.files.get("sheet")
        data = request.form.get("sheet_text", "") if confirmed else (upload and upload.read())
        try:
            if not data:
                raise PaperError("no file was chosen")
            report = import_signups(
                svc, data, slug, volunteer, int(current_user.id), store=confirmed
            )
            text = data if isinstance(data, str) else data.decode("utf-8-sig")
        except PaperError as error:
            flash(f"Nothing imported: {error}.", "error")
            status = 400
    return render_template(
        "field/paper.html",
        slug=slug,
        name=name,
        volunteers=volunteers,
        report=report,
        sheet_text=text,
        volunteer=volunteer,
        opens=window_opens(svc.settings.send_window),
    ), status


@bp.get("/leaderboard")
@role_required("organizer")
def leaderboard() -> ResponseReturnValue:
    """Sign-ups entered and confirmed, per event and per volunteer."""
    chosen = request.args.get("event") or None
    with services().db() as session:
        per_event = [s for s in by_event(session) if chosen is None or s.event == chosen]
        per_volunteer = by_volunteer(session, chosen)
    return render_template(
        "field/leaderboard.html", per_event=per_event, per_volunteer=per_volunteer, chosen=chosen
    )


def _event(session: Session, slug: str) -> Event:
    event = session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        abort(404)
    return event


def _sign(slug: str) -> signs.Sign:
    svc = services()
    with svc.db() as session:
        event = _event(session, slug)
        campaign_slug = session.scalar(
            select(Campaign.slug).where(Campaign.id == event.campaign_id)
        )
        sign = (event.keyword, event.name, event.place, event.held_on)
    campaign = svc.catalog.by_slug(campaign_slug or "")
    organization = svc.catalog.organization
    return signs.Sign(
        *sign,
        number=signs.sign_number(svc.settings.twilio_phone_number),
        organization=organization.name,
        messages_per_month=campaign.messages_per_month if campaign else 0,
        ask=campaign.title if campaign else "",
        privacy_url=organization.privacy_url,
        terms_url=organization.terms_url,
    )
