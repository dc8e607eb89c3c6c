"""Organizer accounts: log in and out, roles, CSRF on every form, slow down password guessing.

Pages of the dashboard declare who may see them with ``@role_required("organizer")``; an
admin may do anything an organizer may, and an organizer anything a field volunteer may.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

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

from bot.config import Settings
from bot.services import services
from store.models import User, utcnow

ROLES = ("field", "organizer", "admin")  # each may do all that the ones before it may
FAILURES_ALLOWED = 5  # wrong passwords per email and per address in 15 minutes
FAILURE_WINDOW_SECONDS = 15 * 60

bp = Blueprint("auth", __name__, template_folder="templates")
login_manager = LoginManager()
csrf = CSRFProtect()
View = TypeVar("View", bound=Callable[..., Any])


class Account(UserMixin):
    """The logged-in user, as Flask-Login holds it for one request."""

    def __init__(self, user: User) -> None:
        self.id = str(user.id)
        self.email = user.email
        self.role = user.role

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


@login_manager.user_loader
def _load(user_id: str) -> Account | None:
    with services().db() as session:
        user = session.get(User, int(user_id)) if user_id.isdigit() else None
        return None if user is None else Account(user)


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
    if _too_many_failures(email):
        flash("Too many failed attempts. Wait 15 minutes and try again.", "error")
        return render_template("login.html", email=email), 429
    with services().db.begin() as session:
        user = session.scalar(select(User).where(User.email == email))
        if user is None or not check_password_hash(user.password_hash, password):
            _count_failure(email)
            flash("That email and password do not match an account.", "error")
            return render_template("login.html", email=email), 401
        user.last_login_at = utcnow()
        account = Account(user)
    login_user(account)
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    logout_user()
    return redirect(url_for("auth.login"))


def _simulator_available() -> bool:
    return "simulator.page" in current_app.view_functions


def _safe_next(target: str | None) -> str:
    # Only a path on this site: "//evil.example" or "https://…" would send the user away.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    # A field volunteer may not see the dashboard: their home is the sign-up form.
    return url_for("dashboard.home" if current_user.may("organizer") else "field_form.form")


def _failure_keys(email: str) -> tuple[str, str]:
    return f"login-failures:email:{email}", f"login-failures:ip:{request.remote_addr}"


def _too_many_failures(email: str) -> bool:
    counts = services().redis.mget(_failure_keys(email))
    return any(int(count or 0) >= FAILURES_ALLOWED for count in counts)


def _count_failure(email: str) -> None:
    pipe = services().redis.pipeline()
    for key in _failure_keys(email):
        pipe.incr(key)
        pipe.expire(key, FAILURE_WINDOW_SECONDS)
    pipe.execute()


def init_app(app: Flask, settings: Settings) -> None:
    app.config.update(
        # Cookies only over HTTPS in production, never readable by scripts, not sent cross-site.
        SESSION_COOKIE_SECURE=settings.production,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.production,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=12 * 3600,
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to see that page."
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    app.register_blueprint(bp)
