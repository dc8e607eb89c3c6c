"""``flask --app bot webhooks …`` and ``flask --app bot action-network …``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from bot.integrations import action_network, webhooks
from bot.integrations.action_network import ActionNetworkError
from bot.integrations.webhooks import WebhookError
from bot.services import services
from store.models import iso_utc
from store.statuses import DeliveryStatus

webhooks_group = AppGroup("webhooks", help="Events sent to other tools' URLs, signed.")
action_network_group = AppGroup("action-network", help="Signatures copied to Action Network.")


@webhooks_group.command("add")
@click.argument("url")
@click.option("--events", help="Comma-separated event kinds (default: every kind).")
def webhooks_add(url: str, events: str | None) -> None:
    """Send events to URL; print its signing secret, once, as the last line."""
    try:
        subscription, secret = webhooks.add(services(), url, webhooks.parse_events(events))
    except WebhookError as error:
        raise click.BadParameter(str(error)) from None
    click.echo(f"webhook {subscription.id}: {subscription.url}")
    click.echo(f"events: {', '.join(subscription.events)}")
    click.echo("signing secret (shown only now; verify each request's webhook-signature with it):")
    click.echo(secret)


@webhooks_group.command("list")
def webhooks_list() -> None:
    """Show every webhook and the events it gets."""
    for subscription in webhooks.subscriptions(services()):
        click.echo(f"{subscription.id}  {subscription.url}  {','.join(subscription.events)}")


@webhooks_group.command("remove")
@click.argument("url_or_id")
def webhooks_remove(url_or_id: str) -> None:
    """Stop sending to a webhook, named by its id or URL."""
    try:
        removed = webhooks.remove(services(), url_or_id)
    except WebhookError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"removed {removed} webhook(s)")


@webhooks_group.command("log")
@click.option("--limit", default=webhooks.LOG_LIMIT, show_default=True)
def webhooks_log(limit: int) -> None:
    """Show the latest deliveries: status, tries, and the receiver's last answer."""
    for d in webhooks.log(services(), limit):
        answer = d.response_code if d.response_code is not None else "-"
        why = f"  {d.error}" if d.error and d.status != DeliveryStatus.DELIVERED else ""
        click.echo(
            f"{d.id}  {iso_utc(d.updated_at)}  {d.event}  {d.url}  {d.status}"
            f"  tries {d.attempts}  answer {answer}{why}"
        )


@webhooks_group.command("resend")
@click.argument("delivery_id", type=int)
def webhooks_resend(delivery_id: int) -> None:
    """Send a delivery again now (after fixing the receiver)."""
    try:
        webhooks.send_again(services(), delivery_id)
    except WebhookError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"delivery {delivery_id} queued")


@action_network_group.command("connect")
@click.argument("slug")
@click.option("--petition-id", required=True, help="The petition's id in Action Network.")
def an_connect(slug: str, petition_id: str) -> None:
    """Send the campaign's new signatures to an Action Network petition."""
    try:
        action_network.connect(services(), slug, petition_id)
    except ActionNetworkError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{slug} -> Action Network petition {petition_id}")
    click.echo(f"new signatures go there; send earlier ones with: action-network backfill {slug}")


@action_network_group.command("disconnect")
@click.argument("slug")
def an_disconnect(slug: str) -> None:
    """Stop sending the campaign's signatures to Action Network."""
    try:
        action_network.disconnect(services(), slug)
    except ActionNetworkError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{slug} disconnected")


@action_network_group.command("backfill")
@click.argument("slug")
def an_backfill(slug: str) -> None:
    """Send the campaign's signatures that were never sent (the worker sends them)."""
    try:
        queued = action_network.backfill(services(), slug)
    except ActionNetworkError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{queued} signature(s) queued for Action Network")


@action_network_group.command("log")
@click.argument("slug", required=False)
@click.option("--limit", default=action_network.LOG_LIMIT, show_default=True)
def an_log(slug: str | None, limit: int) -> None:
    """Show the latest syncs (of one campaign): status, tries, Action Network's answer."""
    for s in action_network.log(services(), slug, limit):
        answer = s.response_code if s.response_code is not None else "-"
        why = f"  {s.error}" if s.error and s.status != DeliveryStatus.DONE else ""
        click.echo(
            f"{s.id}  {iso_utc(s.updated_at)}  {s.campaign}  signature {s.signature_id}"
            f"  {s.action}  {s.status}  tries {s.attempts}  answer {answer}{why}"
        )


@action_network_group.command("retry")
@click.argument("sync_id", type=int)
def an_retry(sync_id: int) -> None:
    """Try a sync again now."""
    try:
        action_network.send_again(services(), sync_id)
    except ActionNetworkError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"sync {sync_id} queued")


def init_app(app: Flask) -> None:
    app.cli.add_command(webhooks_group)
    app.cli.add_command(action_network_group)
