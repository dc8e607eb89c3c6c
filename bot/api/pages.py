"""The admins' page for REST API tokens: list them, make one (shown once), revoke one."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from bot.accounts.auth import role_required
from bot.api import tokens
from bot.api.tokens import TokenError
from bot.services import services

bp = Blueprint("api_pages", __name__, url_prefix="/admin/api-tokens", template_folder="templates")


@bp.get("/")
@role_required("admin")
def index() -> ResponseReturnValue:
    return render_template("api/tokens.html", tokens=tokens.listing(services()), made=None)


@bp.post("/")
@role_required("admin")
def create() -> ResponseReturnValue:
    name = request.form.get("name", "")
    read_only = request.form.get("read_only") == "yes"
    svc = services()
    try:
        made = tokens.create(svc, name, read_only)
    except TokenError as error:
        flash(f"Not made: {error}.", "error")
        return render_template("api/tokens.html", tokens=tokens.listing(svc), made=None), 400
    # On this page only, never in a flash message: those travel in the session cookie.
    return render_template("api/tokens.html", tokens=tokens.listing(svc), made=(name, made))


@bp.post("/revoke")
@role_required("admin")
def revoke() -> ResponseReturnValue:
    name = request.form.get("name", "")
    try:
        tokens.revoke(services(), name)
    except TokenError as error:
        flash(f"Not revoked: {error}.", "error")
    else:
        flash(f"Token {name!r} is revoked.", "success")
    return redirect(url_for(".index"))
