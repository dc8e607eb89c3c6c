"""Organizer accounts: log in and out, roles, CSRF on every form, slow down password guessing.

Pages of the dashboard declare who may see them with ``@role_required("organizer")``; an
admin may do anything an organizer may, and an organizer anything a field volunteer may.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import cache, wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from bot.accounts import login_sessions
from bot.accounts.login_throttle import LoginThrottle
from bot.config import Settings
from bot.services import services
from store.models import User, utcnow

ROLES = ("field", "organizer", "admin")  # each may do all that the ones before it may

bp = Blueprint("auth", __name__, template_folder="templates")
login_manager = LoginManager()
csrf = CSRFProtect()
View = TypeVar("View", bound=Callable[..., Any])


class Account(UserMixin):
    """The logged-in user, as Flask-Login holds it for one request."""

    def __init__(self, user: User, login_id: str) -> None:
        self.id = str(user.id)
        self.email = user.email
        self.role = user.role
        self.login_id = login_id

    def get_id(self) -> str:
        # What the session cookie holds: the account and which of its logins this is.
        return f"{self.id}:{self.login_id}"

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


@cache
def _no_account_hash() -> str:
    # Checked against for an email with no account, so it costs the same time as one with.
    return hash_password(secrets.token_hex(16))


@login_manager.user_loader
def _load(session_id: str) -> Account | None:
    user_id, _, login_id = session_id.partition(":")
    if not user_id.isdigit() or not login_sessions.alive(services().redis, int(user_id), login_id):
        return None
    with services().db() as session:
        user = session.get(User, int(user_id))
        return None if user is None or user.disabled_at else Account(user, login_id)


def end_every_login(user_id: int) -> None:
    """Log the account out on every device (a new password, a disabled account)."""
    login_sessions.end_all(services().redis, user_id)


def role_required(role: str) -> Callable[[View], View]:
    """Let only logged-in users with ``role`` (or a higher one) reach the view."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.may(role):
                abort(403)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("login.html", simulator_available=_simulator_available())
    email = request.form.get("email", "").strip().lower()
    password = request.form.get("password", "")
    svc = services()
    throttle, address = LoginThrottle(svc.redis), request.remote_addr or ""
    wait = throttle.attempt(email, address)
    if wait:
        flash(f"Too many attempts for this account. Try again in {wait} seconds.", "error")
        return render_template("login.html", email=email), 429, {"Retry-After": str(wait)}
    with svc.db.begin() as session:
        user = session.scalar(select(User).where(User.email == email))
        hashed = _no_account_hash() if user is None else user.password_hash
        if not check_password_hash(hashed, password) or user is None:
            flash("That email and password do not match an account.", "error")
            return render_template("login.html", email=email), 401
        if user.disabled_at:
            flash("This account is disabled. Ask an admin to enable it.", "error")
            return render_template("login.html", email=email), 403
        user.last_login_at = utcnow()
        account = Account(user, login_sessions.start(svc.redis, user.id))
    throttle.succeeded(email, address)
    login_user(account)
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        login_sessions.end(services().redis, int(current_user.id), current_user.login_id)
    logout_user()
    return redirect(url_for("auth.login"))


@bp.post("/logout/everywhere")
def logout_everywhere() -> ResponseReturnValue:
    """End every login of this account: a phone left logged in, a shared computer."""
    if current_user.is_authenticated:
        end_every_login(int(current_user.id))
    logout_user()
    flash("You are logged out on every device.", "success")
    return redirect(url_for("auth.login"))


def _simulator_available() -> bool:
    return "simulator.page" in current_app.view_functions


def _safe_next(target: str | None) -> str:
    path = same_site_path(target or "")
    if path:
        return path
    # A field volunteer may not see the dashboard: their home is the sign-up form.
    return url_for("dashboard.home" if current_user.may("organizer") else "field_form.form")


def same_site_path(target: str) -> str | None:
    r"""``target`` as a path on this site, or None if a browser could read it as elsewhere.

    Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so
    ``/<tab>/evil.example`` and ``/\evil.example`` both mean ``//evil.example``: another host.
    """
    path = "".join(c for c in target if c.isprintable() and not c.isspace()).replace("\\", "/")
    parts = urlsplit(path)
    if not path.startswith("/") or path.startswith("//") or parts.scheme or parts.netloc:
        return None
    return path


def init_app(app: Flask, settings: Settings) -> None:
    app.config.update(
        # Cookies only over HTTPS in production, never readable by scripts, not sent cross-site.
        SESSION_COOKIE_SECURE=settings.production,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.production,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=login_sessions.LIFETIME,
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to see that page."
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    app.register_blueprint(bp)
