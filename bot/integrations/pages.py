"""The admins' integrations page: webhooks (add, remove, the delivery log, send again) and
Action Network (connect a campaign, send earlier signers, the sync log, try again)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from bot.accounts.auth import role_required
from bot.integrations import action_network, outbox, webhooks
from bot.integrations.action_network import ActionNetworkError
from bot.integrations.webhooks import WebhookError
from bot.services import services

bp = Blueprint(
    "integration_pages", __name__, url_prefix="/admin/integrations", template_folder="templates"
)


def _page(secret: tuple[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    svc = services()
    return (
        render_template(
            "integrations/index.html",
            subscriptions=webhooks.subscriptions(svc),
            deliveries=webhooks.log(svc),
            kinds=outbox.KINDS,
            secret=secret,
            campaigns=svc.catalog.campaigns,
            connections=action_network.connections(svc),
            syncs=action_network.log(svc),
            action_network_key=bool(svc.settings.action_network_api_key),
        ),
        status,
    )


@bp.get("/")
@role_required("admin")
def index() -> ResponseReturnValue:
    return _page()


@bp.post("/webhooks")
@role_required("admin")
def add() -> ResponseReturnValue:
    url = request.form.get("url", "")
    try:
        events = webhooks.parse_events(",".join(request.form.getlist("events")))
        made, secret = webhooks.add(services(), url, events)
    except WebhookError as error:
        flash(f"Not added: {error}.", "error")
        return _page(status=400)
    # Shown on this page only: a flash message would carry it in the session cookie.
    return _page(secret=(made.url, secret))


@bp.post("/webhooks/remove")
@role_required("admin")
def remove() -> ResponseReturnValue:
    try:
        webhooks.remove(services(), request.form.get("id", ""))
    except WebhookError as error:
        flash(f"Not removed: {error}.", "error")
    else:
        flash("Webhook removed: it gets nothing more.", "success")
    return redirect(url_for(".index"))


@bp.post("/deliveries/<int:delivery_id>/resend")
@role_required("admin")
def resend(delivery_id: int) -> ResponseReturnValue:
    try:
        webhooks.send_again(services(), delivery_id)
    except WebhookError as error:
        flash(f"Not sent: {error}.", "error")
    else:
        flash(f"Delivery {delivery_id} is queued to go again.", "success")
    return redirect(url_for(".index"))


@bp.post("/action-network")
@role_required("admin")
def connect() -> ResponseReturnValue:
    slug = request.form.get("campaign", "")
    try:
        action_network.connect(services(), slug, request.form.get("petition_id", ""))
    except ActionNetworkError as error:
        flash(f"Not connected: {error}.", "error")
        return _page(status=400)
    flash(f"{slug}'s new signatures go to Action Network now.", "success")
    return redirect(url_for(".index"))


@bp.post("/action-network/<slug>/backfill")
@role_required("admin")
def backfill(slug: str) -> ResponseReturnValue:
    try:
        queued = action_network.backfill(services(), slug)
    except ActionNetworkError as error:
        flash(f"Not sent: {error}.", "error")
    else:
        flash(
            f"{queued:,} earlier signature(s) of {slug} are queued for Action Network.", "success"
        )
    return redirect(url_for(".index"))


@bp.post("/action-network/<slug>/disconnect")
@role_required("admin")
def disconnect(slug: str) -> ResponseReturnValue:
    try:
        action_network.disconnect(services(), slug)
    except ActionNetworkError as error:
        flash(f"Not disconnected: {error}.", "error")
    else:
        flash(f"{slug} sends nothing more to Action Network.", "success")
    return redirect(url_for(".index"))


@bp.post("/syncs/<int:sync_id>/retry")
@role_required("admin")
def retry(sync_id: int) -> ResponseReturnValue:
    try:
        action_network.send_again(services(), sync_id)
    except ActionNetworkError as error:
        flash(f"Not tried: {error}.", "error")
    else:
        flash(f"Sync {sync_id} is queued to go again.", "success")
    return redirect(url_for(".index"))
