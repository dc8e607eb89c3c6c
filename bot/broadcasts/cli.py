"""``flask --app bot broadcast …``: preview, send, follow, pause, resume, cancel, test."""

from __future__ import annotations

import time
from datetime import datetime

import click
from flask.cli import AppGroup

from bot.broadcasts import service as broadcasts
from bot.broadcasts.audience import Audience, AudienceError
from bot.broadcasts.service import BroadcastError, Preview, Report
from bot.services import services
from store.statuses import BroadcastStatus, MessageStatus

POLL_SECONDS = 1.0
SETTLE_POLLS = 5  # polls with nothing waiting before the worker's "done" is not awaited more
NO_WORKER_HINT_SECONDS = 15

broadcast = AppGroup("broadcast", help="Texts to a campaign's signers: follow-ups, action alerts.")


def _audience(
    state: str | None,
    zip_prefix: str | None,
    language: str | None,
    source: str | None,
    signed_after: str | None,
) -> Audience:
    try:
        return Audience.of(state, zip_prefix, language, source, signed_after)
    except AudienceError as error:
        raise click.BadParameter(str(error)) from None


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a time like 2026-05-01T18:00-04:00") from None
    if moment.tzinfo is None:
        raise click.BadParameter("give the time zone too, e.g. 2026-05-01T18:00-04:00 or …Z")
    return moment


def show_preview(preview: Preview, mps: int) -> None:
    """Print who gets the broadcast, who not and why, and what it costs."""
    click.echo(f"Broadcast to {preview.audience.describe()} of {preview.campaign}:")
    click.echo(f"  will receive:    {preview.receiving:,}")
    left_out = ", ".join(f"{reason} {n:,}" for reason, n in sorted(preview.excluded.items()))
    click.echo(
        f"  left out:        {sum(preview.excluded.values()):,}"
        + (f" ({left_out})" if left_out else "")
    )
    segments = preview.segments
    because = ""
    if segments.unicode_characters:
        because = " because of " + " ".join(repr(c) for c in segments.unicode_characters)
    click.echo(f"  encoding:        {segments.encoding}{because}")
    capacity = segments.per_segment * segments.count
    click.echo(
        f"  segments:        {segments.count} per message ({segments.units} of {capacity} "
        "units, with the longest name and city)"
    )
    click.echo(
        f"  estimated cost:  ${preview.cost:,.2f} "
        f"({preview.receiving:,} x {segments.count} x ${preview.price_per_segment})"
    )
    seconds = preview.receiving * segments.count / max(mps, 1)
    click.echo(f"  time to send:    about {_duration(seconds)} at {mps} segment(s)/s")


def show_report(report: Report) -> None:
    """Print a broadcast's figures and what came back."""
    click.echo(f"Broadcast {report.id} ({report.campaign}): {report.status}")
    click.echo(f"  to:        {report.audience.describe()}")
    click.echo(f"  message:   {report.body}")
    if report.send_at:
        click.echo(f"  send at:   {report.send_at}")
    click.echo(f"  audience:  {report.planned:,}")
    click.echo(f"  waiting:   {report.waiting:,}")
    click.echo(f"  sent:      {report.sent:,}")
    click.echo(f"  delivered: {report.delivered:,}")
    click.echo(f"  failed:    {report.failed:,}")
    click.echo(f"  held:      {report.held:,} (quiet hours where they live)")
    skipped = ", ".join(f"{reason} {n:,}" for reason, n in report.skipped.items())
    click.echo(
        f"  skipped:   {sum(report.skipped.values()):,}" + (f" ({skipped})" if skipped else "")
    )
    if report.canceled:
        click.echo(f"  canceled:  {report.canceled:,}")
    tally = ", ".join(f"{answer!r} {n:,}" for answer, n in report.tally)
    click.echo(f"  replies:   {report.replies:,}" + (f" ({tally})" if tally else ""))
    for reply in report.latest_replies:
        click.echo(f"    {reply.at} {reply.phone}: {reply.body}")


@broadcast.command("send")
@click.argument("campaign")
@click.option("--message", required=True, help="The text; {first_name} and {city} are filled in.")
@click.option("--state", help="Only signers in this state, e.g. GA.")
@click.option("--zip-prefix", help="Only signers whose ZIP code starts so, e.g. 303.")
@click.option("--language", help="Only signers who chose this language: en or es.")
@click.option("--source", help="Only signers who signed so: sms, whatsapp or an event's slug.")
@click.option("--signed-after", help="Only signers who signed on or after, e.g. 2026-01-01.")
@click.option("--at", "send_at", help="Send at this time instead of now (ISO 8601, with zone).")
@click.option("--yes", is_flag=True, help="Send without asking to confirm the preview.")
def send(
    campaign: str,
    message: str,
    state: str | None,
    zip_prefix: str | None,
    language: str | None,
    source: str | None,
    signed_after: str | None,
    send_at: str | None,
    yes: bool,
) -> None:
    """Preview a broadcast to CAMPAIGN's signers, then send or schedule it and follow it."""
    svc = services()
    audience = _audience(state, zip_prefix, language, source, signed_after)
    moment = _moment(send_at)
    try:
        preview = broadcasts.preview(svc, campaign, audience, message)
    except BroadcastError as error:
        raise click.ClickException(str(error)) from None
    show_preview(preview, svc.settings.twilio_mps)
    if not preview.receiving:
        raise click.ClickException("nobody would receive it; nothing was sent")
    when = f"at {moment.isoformat()}" if moment else "now"
    if not yes:
        click.confirm(f"Send it to {preview.receiving:,} people {when}?", abort=True)
    try:
        broadcast_id = broadcasts.create(svc, campaign, audience, message, send_at=moment)
        status = broadcasts.start(svc, broadcast_id)
    except BroadcastError as error:
        raise click.ClickException(str(error)) from None
    if status == BroadcastStatus.SCHEDULED:
        click.echo(f"Broadcast {broadcast_id} is scheduled {when}.")
        click.echo(f"Follow it with: flask --app bot broadcast status {broadcast_id}")
        return
    try:
        report = _follow(broadcast_id)
    except KeyboardInterrupt:
        click.echo(
            f"\nIt goes on without you; see: flask --app bot broadcast status {broadcast_id}"
        )
        return
    click.echo(
        f"Broadcast {broadcast_id}: {report.status}; {report.sent:,} sent, "
        f"{report.held:,} held, {sum(report.skipped.values()):,} skipped, {report.failed:,} failed."
    )
    if report.held and not report.finished:
        click.echo("Held texts go out when the recipients' quiet hours end; the worker sends them.")


def _follow(broadcast_id: int) -> Report:
    """Show a progress bar until the broadcast is done, paused, or only held texts are left."""
    svc = services()
    began = time.monotonic()
    report = broadcasts.report(svc, broadcast_id)
    hinted = False
    while report.status == BroadcastStatus.PLANNING:
        if not hinted and time.monotonic() - began > NO_WORKER_HINT_SECONDS:
            click.echo("Still planning: is a worker running? (python -m worker)", err=True)
            hinted = True
        time.sleep(POLL_SECONDS)
        report = broadcasts.report(svc, broadcast_id)
    with click.progressbar(length=report.planned, label="Sending", show_pos=True) as bar:
        shown, idle = 0, 0
        while True:
            bar.update(report.handled - shown)
            shown = report.handled
            idle = idle + 1 if not report.waiting else 0
            # Nothing left but held texts, or the worker has had its moment to call it done.
            if (
                report.status != BroadcastStatus.SENDING
                or (idle and report.held)
                or idle > SETTLE_POLLS
            ):
                return report
            time.sleep(POLL_SECONDS)
            report = broadcasts.report(svc, broadcast_id)


@broadcast.command("status")
@click.argument("broadcast_id", type=int)
def status(broadcast_id: int) -> None:
    """Print a broadcast's figures: sent, delivered, failed, held, skipped, replies."""
    try:
        show_report(broadcasts.report(services(), broadcast_id))
    except BroadcastError as error:
        raise click.ClickException(str(error)) from None


@broadcast.command("list")
def listing() -> None:
    """Print the latest broadcasts."""
    for broadcast_id, campaign, state, start in broadcasts.listing(services()):
        click.echo(f"{broadcast_id:>6}  {state:<9} {campaign}  {start}")


def _move(action: str, broadcast_id: int) -> None:
    try:
        moved = getattr(broadcasts, action)(services(), broadcast_id)
    except BroadcastError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Broadcast {broadcast_id}: {moved}")


@broadcast.command("pause")
@click.argument("broadcast_id", type=int)
def pause(broadcast_id: int) -> None:
    """Stop sending; texts already with the carrier still arrive."""
    _move("pause", broadcast_id)


@broadcast.command("resume")
@click.argument("broadcast_id", type=int)
def resume(broadcast_id: int) -> None:
    """Carry on sending a paused broadcast."""
    _move("resume", broadcast_id)


@broadcast.command("cancel")
@click.argument("broadcast_id", type=int)
def cancel(broadcast_id: int) -> None:
    """Send nothing more of it, ever."""
    _move("cancel", broadcast_id)


@broadcast.command("test")
@click.argument("campaign")
@click.option("--message", required=True, help="The text; {first_name} and {city} are filled in.")
@click.option("--to", "phone", required=True, help="The phone to send the test to.")
def test(campaign: str, message: str, phone: str) -> None:
    """Send the text to one phone first, by the same rules as the broadcast."""
    try:
        sent = broadcasts.send_test(services(), campaign, message, phone)
    except BroadcastError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"To {sent.to}: {sent.body}")
    if sent.status == MessageStatus.HELD:
        click.echo(f"Held for quiet hours: it goes at {sent.send_after}.")
    elif sent.status == MessageStatus.SKIPPED:
        click.echo(f"Not sent: {sent.skip_reason}.")
    elif sent.status == MessageStatus.FAILED:
        click.echo(f"Twilio refused it (error {sent.error_code}).")
    elif sent.status == MessageStatus.PENDING:
        click.echo("Twilio did not take it yet (busy or away); the worker tries again.")
    else:
        click.echo(f"Sent ({sent.status}, {sent.sid}).")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
