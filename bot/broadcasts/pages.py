"""The broadcast pages: list, compose and preview, test, send or schedule, follow, pause, cancel.

Every figure comes from ``bot.broadcasts.service``, the same calls the terminal makes, so the page
and ``flask broadcast`` cannot disagree. A send posts back exactly what was previewed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

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
from markupsafe import Markup, escape
from sqlalchemy import func, select

from bot import local_time
from bot.accounts.auth import role_required
from bot.broadcasts import service as broadcasts
from bot.broadcasts.audience import Audience, AudienceError
from bot.broadcasts.service import DELIVERED, FAILED, SENT, BroadcastError, Preview, Report
from bot.lib.quiet_hours import window_opens
from bot.lib.segments import measure
from bot.services import Services, services
from store.models import Broadcast, Campaign, Message
from store.statuses import BroadcastStatus, Direction

bp = Blueprint("broadcast_pages", __name__, url_prefix="/broadcasts", template_folder="templates")

REASONS = {
    "opted_out": "opted out (texted STOP)",
    "no_consent": "no consent on record",
    "undeliverable": "undeliverable",
}


@dataclass(frozen=True)
class Draft:
    """What the compose form holds, as typed: the campaign, the text, the filters, the time."""

    campaign: str = ""
    body: str = ""
    state: str = ""
    zip_prefix: str = ""
    language: str = ""
    source: str = ""
    signed_after: str = ""
    when: str = "now"  # now or later
    send_at: str = ""  # a datetime-local value in the organization's zone, e.g. 2026-05-01T18:00

    @classmethod
    def from_form(cls, form: Any) -> Draft:
        return cls(**{name: form.get(name, default).strip() for name, default in _defaults()})

    def fields(self) -> dict[str, str]:
        """The draft as form fields, for the hidden copies the test and send forms carry."""
        return {name: getattr(self, name) for name, _ in _defaults()}

    def digest(self) -> str:
        """A signature of the draft as previewed: a send must carry the one its preview gave."""
        drawn = json.dumps(self.fields(), sort_keys=True).encode()
        key = services().settings.secret_key.encode()
        return hmac.new(key, drawn, hashlib.sha256).hexdigest()

    def audience(self) -> Audience:
        # A day typed on the page starts at midnight where the organization is.
        since: str | datetime = self.signed_after
        with suppress(ValueError):
            since = local_time.read(self.signed_after)
        return Audience.of(self.state, self.zip_prefix, self.language, self.source, since)

    def moment(self, now: datetime) -> datetime | None:
        """The time to send at, in UTC, or None to send now; never one already past."""
        if self.when != "later":
            return None
        try:
            moment = local_time.read(self.send_at)
        except ValueError:
            raise BroadcastError("give the date and time to send at, or choose Now") from None
        if moment <= now:
            raise BroadcastError(
                f"{local_time.shown(moment)} has passed: pick a later time, or choose Now"
            )
        return moment


def _defaults() -> list[tuple[str, str]]:
    return [(f.name, str(f.default)) for f in fields(Draft)]


@bp.get("/")
@role_required("organizer")
def index() -> ResponseReturnValue:
    return render_template("broadcasts/index.html", rows=_rows())


@bp.get("/new")
@role_required("organizer")
def new() -> ResponseReturnValue:
    campaigns = services().catalog.campaigns
    chosen = request.args.get("campaign") or next((c.slug for c in campaigns if c.active), "")
    return _compose(Draft(campaign=chosen))


@bp.post("/new")
@role_required("organizer")
def compose() -> ResponseReturnValue:
    """Preview the draft, text a test of it, or send it; every branch shows the preview."""
    draft = Draft.from_form(request.form)
    action = request.form.get("action", "preview")
    svc = services()
    try:
        send_at = draft.moment(svc.clock())
        preview = broadcasts.preview(svc, draft.campaign, draft.audience(), draft.body)
        if action == "test":
            _send_test(draft, request.form.get("test_phone", ""))
            return _compose(draft, preview)
        if action == "send" and not _previewed(draft):
            flash(
                "Not sent: the message, its audience or its time changed after the preview. "
                "Check the preview below, then send.",
                "error",
            )
            return _compose(draft, preview), 409
        if action == "send":
            made = broadcasts.create(
                svc,
                draft.campaign,
                draft.audience(),
                draft.body,
                send_at=send_at,
                created_by=int(current_user.id),
            )
            status = broadcasts.start(svc, made)
            if status == BroadcastStatus.SCHEDULED and send_at is not None:
                flash(f"Broadcast {made} is scheduled for {local_time.shown(send_at)}.", "success")
            else:
                flash(f"Broadcast {made} is sending to {people(preview.receiving)}.", "success")
            return redirect(url_for(".show", broadcast_id=made))
    except (BroadcastError, AudienceError) as error:
        flash(f"Not yet: {error}.", "error")
        return _compose(draft), 400
    return _compose(draft, preview)


@bp.get("/<int:broadcast_id>")
@role_required("organizer")
def show(broadcast_id: int) -> ResponseReturnValue:
    found = _report(broadcast_id)
    return render_template(
        "broadcasts/show.html", report=found, figures=_figures(found), opens=_window_opens()
    )


@bp.get("/<int:broadcast_id>/figures.json")
@role_required("organizer")
def figures(broadcast_id: int) -> ResponseReturnValue:
    """The broadcast's figures now, for its page to poll while it sends."""
    return jsonify(_figures(_report(broadcast_id)))


@bp.post("/<int:broadcast_id>/pause")
@role_required("organizer")
def pause(broadcast_id: int) -> ResponseReturnValue:
    return _move(broadcast_id, "pause", broadcasts.pause)


@bp.post("/<int:broadcast_id>/resume")
@role_required("organizer")
def resume(broadcast_id: int) -> ResponseReturnValue:
    return _move(broadcast_id, "resume", broadcasts.resume)


@bp.post("/<int:broadcast_id>/cancel")
@role_required("organizer")
def cancel(broadcast_id: int) -> ResponseReturnValue:
    return _move(broadcast_id, "cancel", broadcasts.cancel)


def _move(
    broadcast_id: int, verb: str, mover: Callable[[Services, int], str]
) -> ResponseReturnValue:
    try:
        status = mover(services(), broadcast_id)
    except BroadcastError as error:
        flash(f"Could not {verb} it: {error}.", "error")
    else:
        flash(f"Broadcast {broadcast_id} is {status}.", "success")
    return redirect(url_for(".show", broadcast_id=broadcast_id))


def _previewed(draft: Draft) -> bool:
    """Whether the draft posted is the one its preview showed, to the letter."""
    return hmac.compare_digest(request.form.get("previewed", ""), draft.digest())


def _compose(draft: Draft, preview: Preview | None = None) -> str:
    svc = services()
    return render_template(
        "broadcasts/compose.html",
        draft=draft,
        preview=preview,
        campaigns=svc.catalog.campaigns,
        duration=_duration(preview, svc.settings.twilio_mps) if preview else "",
        test_phone=request.form.get("test_phone", ""),
    )


def _send_test(draft: Draft, phone: str) -> None:
    try:
        sent = broadcasts.send_test(services(), draft.campaign, draft.body, phone)
    except BroadcastError as error:  # a mistyped number: keep the preview, say what is wrong
        flash(f"No test sent: {error}.", "error")
        return
    if sent.skip_reason:
        flash(f"The test to {sent.to} was not sent: {reason_words(sent.skip_reason)}.", "error")
    elif sent.send_after:
        flash(
            f"The test to {sent.to} is held for quiet hours at that phone: it goes at "
            f"{local_time.shown(sent.send_after)}."
        )
    elif sent.error_code or sent.status in FAILED:
        flash(f"Twilio refused the test to {sent.to} (error {sent.error_code}).", "error")
    else:
        flash(f"Test sent to {sent.to}: “{sent.body}”.", "success")


def _report(broadcast_id: int) -> Report:
    try:
        return broadcasts.report(services(), broadcast_id)
    except BroadcastError:
        abort(404)


def _figures(report: Report) -> dict[str, Any]:
    return {
        "status": report.status,
        "finished": report.finished,
        "planned": report.planned,
        "handled": report.handled,
        "sent": report.sent,
        "delivered": report.delivered,
        "failed": report.failed,
        "held": report.held,
        "skipped": sum(report.skipped.values()),
        "canceled": report.canceled,
        "waiting": report.waiting,
        "replies": report.replies,
    }


def _rows() -> list[dict[str, Any]]:
    """The latest broadcasts with their figures, counted in one query rather than one each."""
    with services().db() as session:
        listed = session.execute(
            select(Broadcast, Campaign.slug)
            .join(Campaign, Campaign.id == Broadcast.campaign_id)
            .order_by(Broadcast.id.desc())
            .limit(50)
        ).all()
        ids = [b.id for b, _ in listed]
        counted = session.execute(
            select(Message.broadcast_id, Message.direction, Message.status, func.count())
            .where(Message.broadcast_id.in_(ids))
            .group_by(Message.broadcast_id, Message.direction, Message.status)
        ).all()
    totals: dict[int, dict[str, int]] = {
        i: dict.fromkeys(("planned", "sent", "delivered", "failed", "replies"), 0) for i in ids
    }
    for broadcast_id, direction, status, n in counted:
        if broadcast_id is None:  # never: the query asks for these ids; it satisfies mypy
            continue
        row = totals[broadcast_id]
        if direction == Direction.IN:
            row["replies"] += n
            continue
        row["planned"] += n
        row["sent"] += n if status in SENT else 0
        row["delivered"] += n if status in DELIVERED else 0
        row["failed"] += n if status in FAILED else 0
    return [
        {"broadcast": b, "campaign": slug, **totals[b.id], "when": b.send_at or b.created_at}
        for b, slug in listed
    ]


def _duration(preview: Preview, mps: int) -> str:
    """Roughly how long the send takes at ``TWILIO_MPS`` segments a second, and who waits for
    their morning, in words."""
    now = preview.receiving - preview.quiet
    minutes = now * preview.segments.count / max(mps, 1) / 60
    if minutes < 1:
        took = "under a minute"
    else:
        took = (
            f"about {round(minutes):,} min" if minutes < 120 else f"about {minutes / 60:.1f} hours"
        )
    waits = f"waiting for {_window_opens()}"
    if not preview.quiet:
        return f"{took} to send"
    if not now:
        return f"everyone is in quiet hours now: {waits}"
    return f"{took} to send to {people(now)}; {people(preview.quiet)} in quiet hours, {waits}"


def _window_opens() -> str:
    return window_opens(services().settings.send_window)


def people(n: int) -> str:
    """A count of people in words: 1 person, 2 people."""
    return f"{n:,} {'person' if n == 1 else 'people'}"


def reason_words(reason: str) -> str:
    """Why a signer is left out, in an organizer's words: undeliverable:landline -> …."""
    kind, _, detail = reason.partition(":")
    words = REASONS.get(kind, kind.replace("_", " "))
    return f"{words} ({detail.replace('_', ' ')})" if detail else words


def highlight_ucs2(body: str) -> Markup:
    """The text with each character that forces UCS-2 marked, everything else escaped."""
    forcing = set(measure(body).unicode_characters)
    return Markup("").join(
        Markup('<mark class="ucs2">{}</mark>').format(c) if c in forcing else escape(c)
        for c in body
    )


bp.add_app_template_filter(highlight_ucs2, "highlight_ucs2")
bp.add_app_template_filter(reason_words, "reason_words")
bp.add_app_template_filter(people, "people")
