"""``flask --app bot users create EMAIL --role admin``: accounts from the terminal."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.accounts.auth import ROLES, end_every_login, hash_password
from bot.services import services
from store.models import User, utcnow

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
    _check_length(password)
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
            disabled = "  disabled" if user.disabled_at else ""
            click.echo(f"{user.email}  {user.role}{disabled}")


@users.command("password")
@click.argument("email")
@click.password_option(help="Asked for when not given.")
def change_password(email: str, password: str) -> None:
    """Set a new password; the account is logged out everywhere."""
    _check_length(password)
    with services().db.begin() as session:
        user = _account(session, email)
        user.password_hash = hash_password(password)
        user_id, email = user.id, user.email
    end_every_login(user_id)
    click.echo(f"new password for {email}; logged out everywhere")


@users.command("disable")
@click.argument("email")
def disable(email: str) -> None:
    """Stop an account logging in, and log it out everywhere."""
    with services().db.begin() as session:
        user = _account(session, email)
        user.disabled_at = user.disabled_at or utcnow()
        user_id, email = user.id, user.email
    end_every_login(user_id)
    click.echo(f"disabled {email}")


@users.command("enable")
@click.argument("email")
def enable(email: str) -> None:
    """Let a disabled account log in again."""
    with services().db.begin() as session:
        user = _account(session, email)
        user.disabled_at = None
        email = user.email
    click.echo(f"enabled {email}")


def _check_length(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise click.BadParameter(f"use at least {MIN_PASSWORD} characters", param_hint="password")


def _account(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"there is no account for {email}")
    return user
