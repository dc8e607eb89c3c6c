"""``flask --app bot users create|list|password|disable|enable|role|remove``: accounts from the
terminal, under the same rules as the admins' page (``bot.accounts.accounts``)."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import AppGroup

from bot.accounts import accounts
from bot.accounts.accounts import AccountError, Profile
from bot.accounts.auth import ROLES
from bot.services import Services, services
from store.models import iso_utc

users = AppGroup("users", help="Dashboard accounts.")


def _run(change: Callable[[Services, int], Profile], email: str) -> Profile:
    """Apply ``change`` to the account of ``email``; a refusal becomes the command's error."""
    svc = services()
    try:
        return change(svc, accounts.by_email(svc, email).id)
    except AccountError as error:
        raise click.ClickException(str(error)) from None


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="organizer", show_default=True)
@click.password_option(help="Asked for when not given.")
def create(email: str, role: str, password: str) -> None:
    """Make an account that can log in to the dashboard."""
    try:
        made = accounts.create_account(services(), email, role, password)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created {made.role} {made.email}")


@users.command("list")
def list_users() -> None:
    """Show every account: role, active or disabled, created, last login (UTC)."""
    for account in accounts.listing(services()):
        last = iso_utc(account.last_login_at) if account.last_login_at else "never"
        click.echo(
            f"{account.email}  {account.role}  {account.status}"
            f"  created {iso_utc(account.created_at)}  last login {last}"
        )


@users.command("password")
@click.argument("email")
@click.password_option(help="Asked for when not given.")
def change_password(email: str, password: str) -> None:
    """Set a new password; the account is logged out everywhere."""
    changed = _run(lambda svc, id_: accounts.reset_password(svc, id_, password), email)
    click.echo(f"new password for {changed.email}; logged out everywhere")


@users.command("disable")
@click.argument("email")
def disable(email: str) -> None:
    """Stop an account logging in, and log it out everywhere."""
    click.echo(f"disabled {_run(accounts.disable, email).email}")


@users.command("enable")
@click.argument("email")
def enable(email: str) -> None:
    """Let a disabled account log in again."""
    click.echo(f"enabled {_run(accounts.enable, email).email}")


@users.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def role(email: str, role: str) -> None:
    """Give an account another role; it applies from its next page."""
    changed = _run(lambda svc, id_: accounts.set_role(svc, id_, role), email)
    click.echo(f"{changed.email} is now {changed.role}")


@users.command("remove")
@click.argument("email")
@click.confirmation_option(prompt="Remove this account for good?")
def remove(email: str) -> None:
    """Delete an account whose name is on no sign-up or broadcast (else disable it)."""
    click.echo(f"removed {_run(accounts.remove, email).email}")
