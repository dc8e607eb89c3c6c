"""The admins' accounts page: list, make, disable or enable, new password, role, remove.

The rules live in ``bot.accounts.accounts``, shared with the ``users`` commands; a password the
bot makes up is shown on the page that answers the form, once, never in a flash message (those
travel in the session cookie).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from bot.accounts import accounts
from bot.accounts.accounts import AccountError, Profile
from bot.accounts.auth import ROLES, role_required
from bot.services import Services, services

bp = Blueprint("account_pages", __name__, url_prefix="/admin/accounts", template_folder="templates")


@bp.get("/")
@role_required("admin")
def index() -> ResponseReturnValue:
    return _listing()


@bp.post("/")
@role_required("admin")
def create() -> ResponseReturnValue:
    try:
        password, made_up = _chosen_password()
        made = accounts.create_account(
            services(), request.form.get("email", ""), request.form.get("role", ""), password
        )
    except AccountError as error:
        flash(f"Not made: {error}.", "error")
        return _listing(status=400)
    if made_up:
        return _page(made.id, password=password)
    flash(f"Made {made.email}, {made.role}, with the password you typed.", "success")
    return redirect(url_for(".show", account_id=made.id))


@bp.get("/<int:account_id>")
@role_required("admin")
def show(account_id: int) -> ResponseReturnValue:
    return _page(account_id)


@bp.post("/<int:account_id>/role")
@role_required("admin")
def set_role(account_id: int) -> ResponseReturnValue:
    role = request.form.get("role", "")
    return _act(account_id, lambda svc, id_: accounts.set_role(svc, id_, role), "is now {role}")


@bp.post("/<int:account_id>/disable")
@role_required("admin")
def disable(account_id: int) -> ResponseReturnValue:
    return _act(account_id, accounts.disable, "is disabled and logged out everywhere")


@bp.post("/<int:account_id>/enable")
@role_required("admin")
def enable(account_id: int) -> ResponseReturnValue:
    return _act(account_id, accounts.enable, "may log in again")


@bp.post("/<int:account_id>/password")
@role_required("admin")
def reset_password(account_id: int) -> ResponseReturnValue:
    try:
        password, made_up = _chosen_password()
        changed = accounts.reset_password(services(), account_id, password)
    except AccountError as error:
        flash(f"Not changed: {error}.", "error")
        return _page(account_id, status=400)
    if made_up:
        return _page(account_id, password=password)
    flash(f"{changed.email} has the password you typed and is logged out everywhere.", "success")
    return redirect(url_for(".show", account_id=account_id))


@bp.post("/<int:account_id>/remove")
@role_required("admin")
def remove(account_id: int) -> ResponseReturnValue:
    by = int(current_user.id)
    try:
        removed = accounts.remove(services(), account_id, by=by)
    except AccountError as error:
        flash(f"Not removed: {error}.", "error")
        return _page(account_id, status=400)
    flash(f"Removed {removed.email}.", "success")
    return redirect(url_for(".index"))


def _chosen_password() -> tuple[str, bool]:
    """The password typed twice, or one made up when both boxes are empty; and which it is."""
    typed, again = request.form.get("password", ""), request.form.get("password_again", "")
    if not typed and not again:
        return accounts.generate_password(), True
    if typed != again:
        raise AccountError("the two passwords differ")
    return typed, False


def _act(
    account_id: int, change: Callable[[Services, int], Profile], done: str
) -> ResponseReturnValue:
    try:
        changed = change(services(), account_id)
    except AccountError as error:
        flash(f"Not changed: {error}.", "error")
        return _page(account_id, status=400)
    flash(f"{changed.email} {done.format(role=changed.role)}.", "success")
    return redirect(url_for(".show", account_id=account_id))


def _listing(status: int = 200) -> ResponseReturnValue:
    listed = accounts.listing(services())
    return _render("accounts/index.html", status, accounts=listed)


def _page(account_id: int, password: str | None = None, status: int = 200) -> ResponseReturnValue:
    account = accounts.by_id(services(), account_id)
    if account is None:
        abort(404)
    return _render("accounts/account.html", status, account=account, password=password)


def _render(template: str, status: int, **context: object) -> ResponseReturnValue:
    return render_template(
        template, roles=ROLES, min_password=accounts.MIN_PASSWORD, **context
    ), status
