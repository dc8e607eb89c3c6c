"""Managing accounts, for the admins' page and the ``users`` commands alike.

Two rules hold whoever asks: the bot always keeps an active admin (the last one cannot be
disabled, demoted or removed), and an account whose name is on sign-ups or broadcasts is
disabled rather than removed, so the leaderboard and the broadcasts still say who did the work.
A new password, a disabled account and a removed one are logged out on every device.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.accounts import login_sessions
from bot.accounts.auth import ROLES, hash_password
from bot.services import Services
from store.models import Broadcast, Signup, User

MIN_PASSWORD = 10
# No 0/O, 1/l/i: a generated password is often read out to a volunteer or typed on a phone.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class AccountError(ValueError):
    """An account cannot be made or changed as asked; the text says why."""


@dataclass(frozen=True)
class Profile:
    """An account as the admins see it."""

    id: int
    email: str
    role: str
    created_at: datetime
    last_login_at: datetime | None
    disabled_at: datetime | None

    @property
    def status(self) -> str:
        return "disabled" if self.disabled_at else "active"


def _profile(user: User) -> Profile:
    return Profile(
        user.id, user.email, user.role, user.created_at, user.last_login_at, user.disabled_at
    )


def generate_password() -> str:
    """A password of 16 easily read characters in groups of four (about 79 bits)."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")


def listing(svc: Services) -> list[Profile]:
    """Every account, by email."""
    with svc.db() as session:
        return [_profile(user) for user in session.scalars(select(User).order_by(User.email))]


def by_id(svc: Services, account_id: int) -> Profile | None:
    with svc.db() as session:
        user = session.get(User, account_id)
        return None if user is None else _profile(user)


def by_email(svc: Services, email: str) -> Profile:
    """The account of ``email``, in any case."""
    with svc.db() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise AccountError(f"there is no account for {email}")
        return _profile(user)


def create_account(svc: Services, email: str, role: str, password: str) -> Profile:
    """Make an account that can log in with ``password``."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AccountError(f"{email!r} is not an email address")
    _check_role(role)
    check_password(password)
    try:
        with svc.db.begin() as session:
            user = User(
                email=email,
                password_hash=hash_password(password),
                role=role,
                created_at=svc.clock(),
            )
            session.add(user)
            session.flush()
            return _profile(user)
    except IntegrityError:
        raise AccountError(f"there is already an account for {email}") from None


def set_role(svc: Services, account_id: int, role: str) -> Profile:
    """Give the account ``role``; it applies from the account's next page."""
    _check_role(role)
    with svc.db.begin() as session:
        if role == "admin":
            user = _account(session, account_id)
        else:
            user = _guarded(session, account_id, "given another role")
        user.role = role
        return _profile(user)


def disable(svc: Services, account_id: int) -> Profile:
    """Stop the account logging in, and log it out everywhere."""
    with svc.db.begin() as session:
        user = _guarded(session, account_id, "disabled")
        user.disabled_at = user.disabled_at or svc.clock()
        profile = _profile(user)
    login_sessions.end_all(svc.redis, account_id)
    return profile


def enable(svc: Services, account_id: int) -> Profile:
    """Let a disabled account log in again."""
    with svc.db.begin() as session:
        user = _account(session, account_id)
        user.disabled_at = None
        return _profile(user)


def reset_password(svc: Services, account_id: int, password: str) -> Profile:
    """Set a new password, and log the account out everywhere."""
    check_password(password)
    with svc.db.begin() as session:
        user = _account(session, account_id)
        user.password_hash = hash_password(password)
        profile = _profile(user)
    login_sessions.end_all(svc.redis, account_id)
    return profile


def remove(svc: Services, account_id: int, *, by: int | None = None) -> Profile:
    """Delete an account that did no work yet; ``by`` is the admin asking, if on the page."""
    if account_id == by:
        raise AccountError("you cannot remove your own account: ask another admin")
    with svc.db.begin() as session:
        user = _guarded(session, account_id, "removed")
        work = _work(session, account_id)
        if work:
            raise AccountError(
                f"{user.email} {work}: disable the account instead, so its name stays on them"
            )
        profile = _profile(user)
        session.delete(user)
    # SQLite may give a deleted row's id to the next account: none of these logins carries over.
    login_sessions.end_all(svc.redis, account_id)
    return profile


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"the role is one of {', '.join(ROLES)}, not {role!r}")


def _account(session: Session, account_id: int) -> User:
    user = session.get(User, account_id, with_for_update=True)
    if user is None:
        raise AccountError("there is no such account")
    return user


def _guarded(session: Session, account_id: int, change: str) -> User:
    """The account, unless it is the last active admin, who cannot be ``change``."""
    # The active admins are locked first, always in the same order: two admins demoting each
    # other at once take turns, and the second then sees that it would leave no admin.
    admins = session.scalars(
        select(User.id)
        .where(User.role == "admin", User.disabled_at.is_(None))
        .order_by(User.id)
        .with_for_update()
    ).all()
    user = _account(session, account_id)
    if list(admins) == [user.id]:
        raise AccountError(
            f"{user.email} is the last active admin and cannot be {change}: "
            "make another account an admin first"
        )
    return user


def _work(session: Session, account_id: int) -> str:
    """What the account's name is on, in words; empty if nothing."""
    counts = (
        ("entered", Signup.entered_by, "sign-up"),
        ("made", Broadcast.created_by, "broadcast"),
    )
    done = []
    for verb, column, noun in counts:
        count = session.scalar(select(func.count()).where(column == account_id)) or 0
        if count:
            done.append(f"{verb} {count} {noun}{'' if count == 1 else 's'}")
    return " and ".join(done)
