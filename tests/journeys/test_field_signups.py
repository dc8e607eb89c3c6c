"""Field teams sign people up in person: on the form, by ADD, on paper; the person's YES signs."""

from __future__ import annotations

import re

from sqlalchemy import select

from store.models import Signature, Signup, Supporter

SLUG = "doj-face-recognition"
JANE = "+14045550123"
MARIA = "+14045550150"  # the volunteer with the clipboard
FIELD_EMAIL = "field@example.org"
PASSPHRASE = "a long passphrase"
CONFIRMATION = (
    "Thanks, Jane, you're signer #1 of the letter to the DOJ! "
    "Ask a friend to text FACES to this number to sign too."
)


def test_a_person_entered_on_the_field_form_signs_by_replying_yes(stack) -> None:
    rally(stack)
    made = stack.cli(["users", "create", FIELD_EMAIL, "--role", "field", "--password", PASSPHRASE])
    assert made.exit_code == 0, made.output
    login = {"email": FIELD_EMAIL, "password": PASSPHRASE, "csrf_token": login_token(stack)}
    assert stack.client.post("/login", data=login).status_code == 302
    # As the form's page does: a fresh token, then the entry as JSON.
    token = stack.client.get("/field/csrf.json").json["csrf_token"]
    entry = {"event": "atlanta-rally", "name": "Jane Doe", "phone": "404-555-0123", "zip": "30303"}
    response = stack.client.post("/field/signups", json=entry, headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.json["outcome"] == "added"
    stack.settle()
    (request,) = stack.went_out(JANE)
    assert "Jane Doe" in request and request.endswith("Reply YES to confirm.")
    assert_signs_with_yes(stack, "form")


def test_a_volunteer_adds_a_person_by_text_who_signs_by_replying_yes(stack) -> None:
    rally(stack)
    volunteer = ["volunteers", "add", MARIA, "--name", "Maria Lopez", "--event", "atlanta-rally"]
    added = stack.cli(volunteer)
    assert added.exit_code == 0, added.output
    assert stack.text(MARIA, "ADD 404-555-0123 Jane Doe 30303") == [
        "Sent Jane a text to confirm. They're on the letter once they reply YES."
    ]
    stack.settle()
    (request,) = stack.went_out(JANE)
    assert request.startswith("Maria signed you up at the Atlanta rally:")
    assert_signs_with_yes(stack, "sms")


def test_a_paper_sheet_is_imported_and_each_person_texted_to_confirm(stack, tmp_path) -> None:
    rally(stack)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("Name,Phone,ZIP,OK_to_text\nJane Doe,(404) 555-0123,30303,yes\n")
    imported = stack.cli(["import-signups", str(sheet), "--event", "atlanta-rally"])
    assert imported.exit_code == 0, imported.output
    assert imported.output.splitlines()[-1] == "1 row(s): 1 added"
    stack.settle()
    (request,) = stack.went_out(JANE)
    assert "Jane Doe" in request and request.endswith("Reply YES to confirm.")
    assert_signs_with_yes(stack, "paper")


def rally(stack) -> None:
    args = ["events", "create", "atlanta-rally", "--campaign", SLUG, "--keyword", "FACESATL",
            "--name", "the Atlanta rally"]  # fmt: skip
    result = stack.cli(args)
    assert result.exit_code == 0, result.output


def login_token(stack) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', stack.client.get("/login").text)
    assert found, "no CSRF token on the login page"
    return found.group(1)


def assert_signs_with_yes(stack, entered_via: str) -> None:
    """Jane, entered at the rally, replies YES: she signs for it and gets the confirmation."""
    with stack.svc.db() as session:
        assert session.scalars(select(Signature)).all() == []
    assert stack.text(JANE, "YES") == []
    stack.settle()
    assert stack.went_out(JANE)[-1] == CONFIRMATION
    with stack.svc.db() as session:
        signature = session.scalars(select(Signature)).one()
        signup = session.scalars(select(Signup)).one()
        supporter = session.get_one(Supporter, signature.supporter_id)
    assert (supporter.phone, supporter.name, supporter.zip_code) == (JANE, "Jane Doe", "30303")
    assert signature.source == "atlanta-rally"
    assert (signup.entered_via, signup.status) == (entered_via, "confirmed")
