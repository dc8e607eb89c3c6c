"""The field volunteer's sign-up form: a phone-first page and the JSON endpoint it posts to.

The form's script (``static/field.js``) keeps entries made offline on the device and sends
them when the connection returns. Sending one twice is harmless: the second is "already
waiting" for the person's YES.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from bot.accounts.auth import role_required
from bot.field.events import list_events
from bot.field.signups import PHONES, Outcome, sign_up_in_person
from bot.lib.phones import dashed
from bot.limits import signup_texts
from bot.services import services
from conversations.parsing import MAX_NAME_LENGTH, first_name

bp = Blueprint("field_form", __name__, template_folder="templates")

# An entry the server refuses: the field to show the reason next to, and the reason.
REFUSED = {
    Outcome.INVALID_PHONE: (
        "phone",
        "That is not a U.S. mobile number: the bot texts U.S. numbers only. Check the digits.",
    ),
    Outcome.NOT_MOBILE: ("phone", "That is a landline or toll-free number: it can't get texts."),
    Outcome.INVALID_NAME: ("name", "Write the person's name, like Jane Doe."),
    Outcome.INVALID_ZIP: ("zip", "A ZIP code is five digits, like 30303."),
    Outcome.CLOSED: ("event", "This event's petition is closed: pick another event."),
}
# The answers a volunteer gets by text after ADD, for the outcomes that are not refusals.
ANSWERS = {
    Outcome.ADDED: "signup_sent",
    Outcome.ALREADY_SIGNED: "signup_already_signed",
    Outcome.ALREADY_WAITING: "signup_already_waiting",
    Outcome.OPTED_OUT: "signup_opted_out",
}


@bp.get("/field")
@role_required("field")
def form() -> ResponseReturnValue:
    with services().db() as session:
        events = list_events(session)
    chosen = request.args.get("event") or (events[0].slug if events else None)
    return render_template("field/form.html", events=events, chosen=chosen)


@bp.get("/field/csrf.json")
@role_required("field")
def csrf() -> ResponseReturnValue:
    """A fresh CSRF token, for a page that waited offline longer than its token lasts."""
    response = jsonify({"csrf_token": generate_csrf()})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/field/signups")
@signup_texts
@role_required("field")
def sign_up() -> ResponseReturnValue:
    """Enter one person; they get the confirmation text and sign only by replying YES."""
    body: Any = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(field=None, error="Send the entry as a JSON object."), 400
    entry = {key: str(body.get(key) or "").strip() for key in ("event", "name", "phone", "zip")}
    svc = services()
    with svc.db() as session:
        known = {event.slug for event in list_events(session)}
    if entry["event"] not in known:
        return jsonify(field="event", error="Pick the event you are at."), 400
    added = sign_up_in_person(
        svc,
        event=entry["event"],
        volunteer_id=None,
        entered_by=int(current_user.id),
        phone=entry["phone"],
        name=entry["name"],
        zip_code=entry["zip"],
        language="es" if body.get("language") == "es" else "en",
    )
    if added.outcome in REFUSED:
        field, error = _refusal(added.outcome, entry)
        return jsonify(field=field, error=error), 400
    message = svc.catalog.organization.say(
        "en",
        ANSWERS[added.outcome],
        first_name=first_name(entry["name"]),
        phone=dashed(PHONES.check(entry["phone"]).number or entry["phone"]),
    )
    status = 201 if added.outcome is Outcome.ADDED else 200
    return jsonify(outcome=str(added.outcome), message=message), status


def _refusal(outcome: Outcome, entry: dict[str, str]) -> tuple[str, str]:
    """The field to show the reason next to, and the reason for what was typed."""
    if outcome is Outcome.INVALID_ZIP and re.fullmatch(r"[0-9]{5}", entry["zip"]):
        return "zip", f"There is no ZIP code {entry['zip']}. Check it with the person."
    if outcome is Outcome.INVALID_NAME and len(entry["name"]) > MAX_NAME_LENGTH:
        return "name", (
            f"That name is {len(entry['name'])} characters; a name can be at most "
            f"{MAX_NAME_LENGTH}. Write just their name, like Jane Doe."
        )
    return REFUSED[outcome]
