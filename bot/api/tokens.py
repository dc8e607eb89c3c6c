"""REST API tokens: made by admins, shown once, stored as their SHA-256, revocable.

A token is 32 random bytes (``pb_`` and URL-safe base64): a hash that fast is safe for a
secret that long, and it lets each request find its token with one indexed look-up.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.services import Services
from store.models import ApiToken

PREFIX = "pb_"
# Last use is noted at most this often: not a write for every request.
TOUCH_EVERY = timedelta(minutes=1)


class TokenError(ValueError):
    """A token cannot be made or revoked as asked; the text says why."""


@dataclass(frozen=True)
class Token:
    id: int
    name: str
    read_only: bool
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(svc: Services, name: str, read_only: bool = False) -> str:
    """Make a token called ``name``; return it: this is the only time it can be seen."""
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise TokenError("give the token a name of up to 100 characters, e.g. 'zapier'")
    token = PREFIX + secrets.token_urlsafe(32)
    try:
        with svc.db.begin() as session:
            session.add(ApiToken(name=name, token_hash=digest(token), read_only=read_only))
    except IntegrityError:
        raise TokenError(f"there is already a token called {name!r}") from None
    return token


def listing(svc: Services) -> list[Token]:
    """Every token, revoked ones too, oldest first."""
    with svc.db() as session:
        return [
            Token(t.id, t.name, t.read_only, t.created_at, t.last_used_at, t.revoked_at)
            for t in session.scalars(select(ApiToken).order_by(ApiToken.id))
        ]


def revoke(svc: Services, name: str) -> None:
    """Refuse the token from now on."""
    with svc.db.begin() as session:
        revoked = session.scalar(
            update(ApiToken)
            .where(ApiToken.name == name, ApiToken.revoked_at.is_(None))
            .values(revoked_at=svc.clock())
            .returning(ApiToken.id)
        )
    if revoked is None:
        raise TokenError(f"there is no token {name!r} in use")


def authenticate(svc: Services, token: str) -> Token | None:
    """The token in use that ``token`` is, noting its use; None for anything else."""
    now = svc.clock()
    with svc.db.begin() as session:
        found = session.scalar(
            select(ApiToken).where(
                ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None)
            )
        )
        if found is None:
            return None
        if found.last_used_at is None or now - found.last_used_at >= TOUCH_EVERY:
            found.last_used_at = now
        return Token(
            found.id,
            found.name,
            found.read_only,
            found.created_at,
            found.last_used_at,
            found.revoked_at,
        )
