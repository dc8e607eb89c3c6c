"""Field teams from the terminal: ``events``, ``volunteers`` and ``import-signups``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import BinaryIO

import click
from flask import Flask
from flask.cli import AppGroup

from bot.field.events import EventError, create_event, list_events
from bot.field.leaderboard import Standing, by_event, by_volunteer
from bot.field.paper import PaperError, import_signups
from bot.field.volunteers import (
    AlreadyVolunteering,
    VolunteerError,
    list_volunteers,
    register_volunteer,
    remove_volunteer,
)
from bot.services import services

events = AppGroup("events", help="Events: rallies with their own keyword.")
volunteers = AppGroup("volunteers", help="Volunteers who sign people up by text.")


@events.command("create")
@click.argument("slug")
@click.option("--campaign", required=True, help="The campaign's slug.")
@click.option("--keyword", required=True, help="The event's own keyword, e.g. FACESATL.")
@click.option("--name", required=True, help='What people call it, e.g. "Atlanta rally".')
@click.option("--place", help="Where it is.")
@click.option("--date", "held_on", type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD.")
def events_create(
    slug: str,
    campaign: str,
    keyword: str,
    name: str,
    place: str | None,
    held_on: datetime | None,
) -> None:
    """Create an event: texting its keyword signs its campaign, attributed to the event."""
    svc = services()
    try:
        with svc.db.begin() as session:
            event = create_event(
                session,
                svc.catalog,
                slug,
                campaign=campaign,
                keyword=keyword,
                name=name,
                place=place,
                held_on=held_on.date() if held_on is not None else None,
            )
    except EventError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created {event.slug}: text {event.keyword} to sign {campaign}")


@events.command("list")
def events_list() -> None:
    """Show every event, the latest first."""
    with services().db() as session:
        rows = list_events(session)
    for row in rows:
        when = row.held_on.isoformat() if row.held_on else "-"
        where = f", {row.place}" if row.place else ""
        click.echo(f"{row.slug}  {row.keyword}  {row.campaign}  {when}  {row.name}{where}")


@events.command("leaderboard")
@click.argument("slug", required=False)
def events_leaderboard(slug: str | None) -> None:
    """Sign-ups entered and confirmed per event, then per volunteer (at one event: SLUG)."""
    with services().db() as session:
        per_event = [s for s in by_event(session) if slug is None or s.event == slug]
        per_volunteer = by_volunteer(session, slug)
    _table("event", per_event, lambda s: s.event)
    click.echo()
    _table("volunteer", per_volunteer, lambda s: f"{s.volunteer} ({s.event})")


def _table(title: str, standings: list[Standing], label: Callable[[Standing], str]) -> None:
    click.echo(f"{title:<40} {'entered':>8} {'confirmed':>10} {'rate':>6}")
    for s in standings:
        rate = "-" if s.rate is None else f"{s.rate:.0%}"
        click.echo(f"{label(s):<40} {s.entered:>8} {s.confirmed:>10} {rate:>6}")


@volunteers.command("add")
@click.argument("phone")
@click.option("--name", required=True, help="The volunteer's name.")
@click.option("--event", required=True, help="The event's slug.")
@click.option("--yes", "move", is_flag=True, help="Move a volunteer of another event unasked.")
def volunteers_add(phone: str, name: str, event: str, move: bool) -> None:
    """Let PHONE sign people up at an event by texting ADD <phone> <name> <ZIP>."""
    try:
        try:
            with services().db.begin() as session:
                volunteer = register_volunteer(session, phone, name=name, event=event, move=move)
        except AlreadyVolunteering as question:
            click.confirm(f"{question}. Move them?", abort=True)
            with services().db.begin() as session:
                volunteer = register_volunteer(session, phone, name=name, event=event, move=True)
    except VolunteerError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{volunteer.name} ({volunteer.phone}) can sign people up at {event}")


@volunteers.command("list")
@click.option("--event", help="Only this event's volunteers.")
def volunteers_list(event: str | None) -> None:
    """Show every volunteer and their event."""
    with services().db() as session:
        rows = list_volunteers(session, event)
    for row in rows:
        removed = "  (removed)" if row.removed else ""
        click.echo(f"{row.phone}  {row.name}  {row.event}{removed}")


@volunteers.command("remove")
@click.argument("phone")
def volunteers_remove(phone: str) -> None:
    """Stop PHONE signing people up (a lost phone); its sign-ups keep its name."""
    with services().db.begin() as session:
        removed = remove_volunteer(session, phone)
    if not removed:
        raise click.ClickException(f"{phone} is not a volunteer")
    click.echo(f"{phone} can no longer sign people up")


@click.command("import-signups")
@click.argument("file", type=click.File("rb"))
@click.option("--event", required=True, help="The event the sheet comes from.")
@click.option("--volunteer", help="The phone of the volunteer who collected it.")
def import_signups_command(file: BinaryIO, event: str, volunteer: str | None) -> None:
    """Import a paper sheet (CSV: name, phone, zip, consent) and text each person to confirm."""
    try:
        report = import_signups(services(), file.read(), event, volunteer)
    except PaperError as error:
        raise click.ClickException(f"nothing imported: {error}") from None
    click.echo(f"{'line':>5}  {'name':<30} {'phone':<16} result")
    for row in report.rows:
        click.echo(f"{row.line:>5}  {row.name[:30]:<30} {row.phone[:16]:<16} {_words(row.result)}")
    summary = ", ".join(f"{n} {_words(result)}" for result, n in report.counts().items())
    click.echo(f"{len(report.rows)} row(s): {summary}")


def _words(code: str) -> str:
    return code.replace("_", " ").replace("zip", "ZIP")


def init_app(app: Flask) -> None:
    for command in (events, volunteers, import_signups_command):
        app.cli.add_command(command)
