"""Operator commands: `flask --app bot db upgrade`, `export`, `conversation`, `recover`, …"""

from __future__ import annotations

import csv
import sys
from datetime import timedelta

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from bot.config import MIN_RETENTION_DAYS
from bot.dashboard.exports import COMMAND_COLUMNS, command_row, signer_rows
from bot.database import upgrade
from bot.integrations.pump import pump
from bot.recovery import drain_spool, requeue_unfinished
from bot.retention import delete_messages_before
from bot.services import services
from store.models import Campaign, ConsentEvent, Message, iso_utc
from store.records import campaign_row
from store.statuses import Direction

# Tools read this header; the dashboard's download adds columns after these
# (bot/dashboard/exports.py).
EXPORT_COLUMNS = COMMAND_COLUMNS

db = AppGroup("db", help="The database.")


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations, then register every campaign file in the database."""
    svc = services()
    upgrade(svc.settings.database_url)
    with svc.db.begin() as session:
        for campaign in svc.catalog.campaigns:
            campaign_row(session, campaign)
    click.echo(f"database ready; {len(svc.catalog.campaigns)} campaign(s) registered")


@click.command("export")
@click.argument("slug")
def export(slug: str) -> None:
    """Write a campaign's signatures as CSV to standard output."""
    svc = services()
    writer = csv.writer(sys.stdout, lineterminator="\n")
    with svc.db() as session:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.slug == slug))
        if campaign_id is None and svc.catalog.by_slug(slug) is None:
            raise click.ClickException(f"there is no campaign {slug!r}")
        writer.writerow(EXPORT_COLUMNS)  # only once the campaign is known: no stray header
        for row in signer_rows(session, campaign_id):
            writer.writerow(command_row(row))


@click.command("conversation")
@click.argument("phone")
def conversation(phone: str) -> None:
    """Print every text to and from PHONE (E.164), oldest first."""
    with services().db() as session:
        for message in session.scalars(
            select(Message).where(Message.phone == phone).order_by(Message.id)
        ):
            arrow = "<-" if message.direction == Direction.IN else "->"
            click.echo(f"{iso_utc(message.created_at)} {arrow} [{message.status}] {message.body}")


CONSENT_COLUMNS = (
    "at",
    "phone",
    "kind",
    "channel",
    "campaign",
    "message_sid",
    "disclosure",
    "supporter_text",
    # Added later, at the end, so tools that read the first columns by position still work.
    "source",
    "entered_by",
)


@click.command("consent-log")
@click.argument("phone", required=False)
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV (the whole log without PHONE).")
def consent_log(phone: str | None, as_csv: bool) -> None:
    """Print one phone's consent history, or with --csv the whole log as CSV."""
    if phone is None and not as_csv:
        raise click.UsageError("name a PHONE, or ask for the whole log with --csv")
    query = (
        select(ConsentEvent, Campaign.slug)
        .outerjoin(Campaign, Campaign.id == ConsentEvent.campaign_id)
        .order_by(ConsentEvent.id)
        .execution_options(yield_per=1000)
    )
    if phone is not None:
        query = query.where(ConsentEvent.phone == phone)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    if as_csv:
        writer.writerow(CONSENT_COLUMNS)
    with services().db() as session:
        for event, slug in session.execute(query):
            row = (
                iso_utc(event.created_at),
                event.phone,
                event.kind,
                event.channel,
                slug or "",
                event.message_sid or "",
                event.disclosure or "",
                event.supporter_text or "",
                event.source or "",
                event.entered_by or "",
            )
            if as_csv:
                writer.writerow(row)
            else:
                click.echo(_consent_line(event, slug))


def _consent_line(event: ConsentEvent, slug: str | None) -> str:
    """One consent event on one line: when, what, where from, and the words on each side."""
    where = f" {slug}" if slug else ""
    words = f" {event.supporter_text!r}" if event.supporter_text else ""
    details = [
        f"source {event.source}" if event.source else "",
        f"entered by {event.entered_by}" if event.entered_by else "",
        f"shown {event.disclosure!r}" if event.disclosure else "",
    ]
    told = "".join(f"; {detail}" for detail in details if detail)
    return f"{iso_utc(event.created_at)} {event.kind}{where} via {event.channel}{words}{told}"


@click.command("retention")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=MIN_RETENTION_DAYS),
    help="Delete texts older than this many days (default: MESSAGE_RETENTION_DAYS).",
)
def retention(days: int | None) -> None:
    """Delete conversation texts older than DAYS; consent events and signatures stay."""
    svc = services()
    days = days or svc.settings.message_retention_days
    cutoff = svc.clock() - timedelta(days=days)
    deleted = delete_messages_before(svc, cutoff)
    click.echo(f"deleted {deleted} message(s) from before {iso_utc(cutoff)}")


@click.command("recover")
def recover() -> None:
    """Queue again any signature or send that a lost job left unfinished."""
    svc = services()
    answered = drain_spool(svc)
    found = requeue_unfinished(svc)
    pumped = pump(svc)
    click.echo(
        f"answered {answered} spooled text(s); requeued {found.signatures} signature(s), "
        f"{found.messages} message(s) and {found.texts} stored text(s); queued "
        f"{pumped.deliveries} webhook delivery(ies) and {pumped.syncs} Action Network sync(s)"
    )
    if found.failed:
        # On the embedded default the jobs ran just now; the log holds each traceback.
        raise click.ClickException(
            f"{len(found.failed)} of them failed (see the log above): " + ", ".join(found.failed)
        )


def init_app(app: Flask) -> None:
    for command in (db, export, conversation, consent_log, retention, recover):
        app.cli.add_command(command)
