"""``flask --app bot users create EMAIL --role admin``: accounts from the terminal."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.accounts.auth import ROLES, hash_password
from bot.services import services
from store.models import User

MIN_PASSWORD = 10

users = AppGroup("users", help="Organizer accounts.")


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="organizer", show_default=True)
@click.password_option(help="Asked for when not given.")
def create(email: str, role: str, password: str) -> None:
    """Make an account that can log in to the dashboard."""
    email = email.strip().lower()
    if "@" not in email:
        raise click.BadParameter(f"{email!r} is not an email address", param_hint="EMAIL")
    if len(password) < MIN_PASSWORD:
        raise click.BadParameter(f"use at least {MIN_PASSWORD} characters", param_hint="password")
    try:
        with services().db.begin() as session:
            session.add(User(email=email, password_hash=hash_password(password), role=role))
    except IntegrityError:
        raise click.ClickException(f"there is already an account for {email}") from None
    click.echo(f"created {role} {email}")


@users.command("list")
def list_users() -> None:
    """Show every account and its role."""
    with services().db() as session:
        for user in session.scalars(select(User).order_by(User.email)):
            click.echo(f"{user.email}  {user.role}")
