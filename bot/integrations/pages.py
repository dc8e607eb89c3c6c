"""The admins' integrations page: webhooks (add, remove, the delivery log, send again)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from bot.auth import role_required
from bot.integrations import outbox, webhooks
from bot.integrations.webhooks import WebhookError
from bot.services import services

bp = Blueprint("integration_pages", __name__, url_prefix="/admin/integrations")


def _page(secret: tuple[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    svc = services()
    return (
        render_template(
            "integrations/index.html",
            subscriptions=webhooks.subscriptions(svc),
            deliveries=webhooks.log(svc),
            kinds=outbox.KINDS,
            secret=secret,
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
