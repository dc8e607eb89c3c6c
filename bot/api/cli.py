"""``flask --app bot api-tokens create NAME [--read-only]``, ``list``, ``revoke NAME``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from bot.api import tokens
from bot.api.tokens import TokenError
from bot.services import services
from store.models import iso_utc

api_tokens = AppGroup("api-tokens", help="Tokens for the REST API under /api/v1.")


@api_tokens.command("create")
@click.argument("name")
@click.option("--read-only", is_flag=True, help="It may read but not send broadcasts.")
def create(name: str, read_only: bool) -> None:
    """Make a token; print it, once, as the last line."""
    try:
        token = tokens.create(services(), name, read_only)
    except TokenError as error:
        raise click.ClickException(str(error)) from None
    kind = "read-only token" if read_only else "token"
    click.echo(f"{kind} {name!r} made; it is shown only now: keep it in a secret store")
    click.echo(token)


@api_tokens.command("list")
def list_tokens() -> None:
    """Show every token, whether it may write, and when it was last used."""
    for token in tokens.listing(services()):
        used = iso_utc(token.last_used_at) if token.last_used_at else "never used"
        access = "read-only" if token.read_only else "read-write"
        state = f"revoked {iso_utc(token.revoked_at)}" if token.revoked_at else "in use"
        click.echo(f"{token.name}  {access}  last used {used}  {state}")


@api_tokens.command("revoke")
@click.argument("name")
def revoke(name: str) -> None:
    """Refuse a token from now on."""
    try:
        tokens.revoke(services(), name)
    except TokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"revoked {name!r}")
