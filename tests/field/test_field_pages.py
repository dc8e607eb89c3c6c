"""Field pages: signs and stage screens are public; the form, volunteers and paper need a login."""

from __future__ import annotations

import html
import io
import logging
import re
import struct
import zlib
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import zxingcpp
from fpdf import FPDF
from helpers import Phone, csrf_token, log_in
from markupsafe import escape
from PIL import Image
from sqlalchemy import func, select

from store.models import Signature, Signup

SLUG = "doj-face-recognition"
JANE = "+14045550123"
SMS_LINK = "sms:+14045550100?body=FACESATL"
ORGANIZER_PAGES = ["/events", "/volunteers", "/leaderboard", "/events/atlanta-rally/paper"]

MESSY_SHEET = """\
\ufeffName,Phone Number,ZIP,OK_to_text
Jane Doe,(404) 555-0123,30303,yes
Luis Ortiz,404.555.0124,2134,X
Jane Doe,+1 404 555 0123,30303,y
Ana Ruiz,555-0125,30303,yes
Kim Le,404-555-0126,00000,true
Tom Li,404-555-0127,30303,
"""


@pytest.fixture
def rally(runner) -> None:
    """The Atlanta rally, keyword FACESATL, with Maria as its volunteer."""
    for args in (
        ["events", "create", "atlanta-rally", "--campaign", SLUG, "--keyword", "FACESATL",
         "--name", "the Atlanta rally", "--place", "Woodruff Park", "--date", "2026-12-05"],
        ["volunteers", "add", "(404) 555-0150", "--name", "Maria Lopez", "--event",
         "atlanta-rally"],
    ):  # fmt: skip
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output


def page(response: Any) -> str:
    return response.get_data(as_text=True)


def decode_qr(image: Image.Image) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(image)]


def pdf_images(pdf: bytes) -> list[Image.Image]:
    """Every image in ``pdf`` stored as Flate with PNG predictors, rebuilt as a PNG."""
    images = []
    for found in re.finditer(rb"obj\s*<<(.*?)>>\s*stream\r?\n", pdf, re.S):
        head = found.group(1)
        if b"/Subtype /Image" not in head:
            continue
        assert b"/Filter /FlateDecode" in head and b"/Predictor 15" in head, head
        width, height, length = (
            int(re.search(rb"/" + key + rb" (\d+)", head).group(1))  # type: ignore[union-attr]
            for key in (b"Width", b"Height", b"Length")
        )
        colours = 0 if b"/DeviceGray" in head else 2
        data = pdf[found.end() : found.end() + length]

        def chunk(kind: bytes, body: bytes) -> bytes:
            crc = zlib.crc32(kind + body)
            return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

        png = (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colours, 0, 0, 0))
            + chunk(b"IDAT", data)
            + chunk(b"IEND", b"")
        )
        images.append(Image.open(io.BytesIO(png)))
    return images


def sign_by_keyword(phone: Phone, keyword: str) -> None:
    assert "What's your full name?" in phone.text(keyword)[0]
    phone.text("Jane Doe")
    phone.text("30303")
    assert phone.text("YES") == []


def post_entry(client, token: str, **entry: str) -> Any:
    body = {"event": "atlanta-rally", "name": "Jane Doe", "phone": "404-555-0123", "zip": "30303"}
    return client.post("/field/signups", json=body | entry, headers={"X-CSRFToken": token})


def signups(svc) -> list[Signup]:
    with svc.db() as session:
        return list(session.scalars(select(Signup).order_by(Signup.id)))


def signatures(svc) -> int:
    with svc.db() as session:
        return session.scalar(select(func.count(Signature.id))) or 0


@pytest.mark.parametrize("path", ORGANIZER_PAGES)
def test_a_stranger_is_sent_to_log_in_and_a_field_volunteer_is_refused_organizer_pages(
    client, svc, rally, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    log_in(client, svc, "field")
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ORGANIZER_PAGES)
def test_an_organizer_sees_every_organizer_page(client, svc, rally, path: str) -> None:
    log_in(client, svc, "organizer")
    assert client.get(path).status_code == 200


def test_the_form_needs_a_login_and_preselects_the_event(client, svc, rally, runner) -> None:
    runner.invoke(args=["events", "create", "macon-rally", "--campaign", SLUG, "--keyword",
                        "FACESMACON", "--name", "the Macon rally"])  # fmt: skip
    assert client.get("/field").headers["Location"].startswith("/login")
    log_in(client, svc, "field")
    html = page(client.get("/field?event=macon-rally"))
    assert '<option value="macon-rally" selected>' in html
    assert '<option value="atlanta-rally" >' in html


def test_a_field_volunteer_lands_on_the_form_after_logging_in(client, svc, rally) -> None:
    from bot.accounts.auth import hash_password
    from store.models import User

    with svc.db.begin() as session:
        session.add(
            User(email="f@example.org", password_hash=hash_password("pw pw pw pw"), role="field")
        )
    response = client.post(
        "/login",
        data={
            "email": "f@example.org",
            "password": "pw pw pw pw",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.headers["Location"] == "/field"


def test_the_sign_shows_the_keyword_the_number_and_a_qr_code_to_anyone(client, rally) -> None:
    html = page(client.get("/events/atlanta-rally/sign"))
    assert 'class="sign-keyword" data-chars="8">FACESATL</p>' in html
    assert "to (404) 555-0100" in html
    assert "<svg" in html and SMS_LINK in html  # the SVG's title names the link
    assert "Msg &amp; data rates may apply. Reply STOP to stop, HELP for help." in html
    assert "Woodruff Park · December 5, 2026" in html


def test_without_a_number_the_sign_says_to_text_our_number_and_has_no_qr_code(
    settings, rally, client
) -> None:
    from bot import create_app
    from bot.services import services

    app = create_app(settings | {"TWILIO_ACCOUNT_SID": "", "TWILIO_PHONE_NUMBER": ""})
    with app.test_client() as embedded:
        html = page(embedded.get("/events/atlanta-rally/sign"))
        assert "FACESATL" in html and "text it to our number" in html
        assert "<svg" not in html
        assert embedded.get("/events/atlanta-rally/qr.png").status_code == 404
        assert embedded.get("/events/atlanta-rally/sign.pdf").status_code == 200
    with app.app_context():
        services().db.kw["bind"].dispose()
        services().redis.close()


def test_the_qr_code_png_decodes_to_a_text_of_the_keyword_to_the_number(client, rally) -> None:
    response = client.get("/events/atlanta-rally/qr.png")
    assert response.mimetype == "image/png"
    assert decode_qr(Image.open(io.BytesIO(response.data))) == [SMS_LINK]


def test_the_qr_code_in_the_pdf_decodes_to_a_text_of_the_keyword_to_the_number(
    client, rally
) -> None:
    response = client.get("/events/atlanta-rally/sign.pdf")
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
    (image,) = pdf_images(response.data)
    assert decode_qr(image) == [SMS_LINK]


def test_the_sign_and_its_pdf_say_what_the_petition_asks_and_who_asks(
    client, rally, svc, monkeypatch, caplog
) -> None:
    title = svc.catalog.by_slug(SLUG).title
    html = page(client.get("/events/atlanta-rally/sign"))
    assert f'<h1 class="sign-ask">{escape(title)}</h1>' in html
    assert '<p class="sign-organization">Civil Rights Text Team</p>' in html
    written: list[str] = []
    for method in ("cell", "multi_cell"):
        real = getattr(FPDF, method)

        def record(self: FPDF, w: float, h: float, text: str = "", *a: Any, _real=real, **k: Any):
            if not k.get("dry_run"):
                written.append(text)
            return _real(self, w, h, text, *a, **k)

        monkeypatch.setattr(FPDF, method, record)
    caplog.set_level(logging.INFO)
    assert client.get("/events/atlanta-rally/sign.pdf").status_code == 200
    # The organization, then the ask, above "Text FACESATL".
    assert 0 == written.index("Civil Rights Text Team") < written.index(title)
    assert written.index(title) < written.index("Text") < written.index("FACESATL")
    # fontTools subsetting the font used to log some fifty INFO lines per PDF.
    assert [r for r in caplog.records if r.name.startswith("fontTools")] == []


def test_an_unknown_event_has_no_sign_and_no_stage_screen(client) -> None:
    for path in ("sign", "sign.pdf", "qr.png", "stage", "count.json"):
        assert client.get(f"/events/nowhere/{path}").status_code == 404


def test_the_stage_screen_counts_those_who_signed_through_the_event(
    client, twilio, rally, run_jobs
) -> None:
    assert client.get("/events/atlanta-rally/count.json").json == {"count": 0}
    sign_by_keyword(Phone(client, twilio, JANE), "FACESATL")
    sign_by_keyword(Phone(client, twilio, "+14045550124"), "FACES")  # not through the rally
    run_jobs()
    response = client.get("/events/atlanta-rally/count.json")
    assert response.json == {"count": 1}
    assert response.headers["Cache-Control"] == "no-store"
    html = page(client.get("/events/atlanta-rally/stage"))
    assert "<span data-count>1</span>" in html and "Text <strong>FACESATL</strong>" in html


def test_the_form_sends_the_confirmation_text_and_only_a_yes_signs(
    client, twilio, svc, rally, run_jobs
) -> None:
    log_in(client, svc, "field")
    response = post_entry(client, csrf_token(client, "/field"))
    assert response.status_code == 201, page(response)
    assert response.json == {
        "outcome": "added",
        "message": "Sent Jane a text to confirm. They're on the letter once they reply YES.",
    }
    (signup,) = signups(svc)
    assert (signup.phone, signup.status, signup.entered_via) == (JANE, "awaiting_yes", "form")
    run_jobs()
    jane = Phone(client, twilio, JANE)
    (request,) = jane.texts_received()
    assert "Jane Doe" in request and "Reply YES to confirm" in request
    assert signatures(svc) == 0  # no YES, no signature
    assert client.get("/events/atlanta-rally/count.json").json == {"count": 0}
    jane.text("YES")
    run_jobs()
    assert signatures(svc) == 1
    assert client.get("/events/atlanta-rally/count.json").json == {"count": 1}


def test_a_form_entry_counts_for_the_field_account_that_made_it(
    client, twilio, svc, rally, run_jobs
) -> None:
    from bot.field.leaderboard import by_volunteer

    email = log_in(client, svc, "field")
    assert post_entry(client, csrf_token(client, "/field")).status_code == 201
    run_jobs()
    Phone(client, twilio, JANE).text("YES")
    run_jobs()
    with svc.db() as session:
        (standing,) = by_volunteer(session, "atlanta-rally")
    assert (standing.volunteer, standing.entered, standing.confirmed) == (email, 1, 1)


def test_the_same_entry_sent_twice_asks_only_once(client, svc, rally) -> None:
    log_in(client, svc, "field")
    token = csrf_token(client, "/field")
    post_entry(client, token)
    again = post_entry(client, token, phone="(404) 555-0123")
    assert again.status_code == 200
    assert again.json["outcome"] == "already_waiting"
    assert again.json["message"] == "Jane (404-555-0123) already has a text waiting for their YES."
    assert len(signups(svc)) == 1


@pytest.mark.parametrize(
    ("entry", "field", "reason"),
    [
        ({"phone": "555-0125"}, "phone", "not a U.S. mobile number"),
        # One rule with ADD by text: a British mobile is no U.S. number, whatever the ZIP.
        ({"phone": "+44 7911 123456"}, "phone", "the bot texts U.S. numbers only"),
        ({"zip": "00000"}, "zip", "There is no ZIP code 00000. Check it with the person."),
        ({"zip": "3030x"}, "zip", "A ZIP code is five digits, like 30303."),
        ({"name": "http://spam.example"}, "name", "Write the person's name"),
        ({"name": "Jane " * 100}, "name", "a name can be at most 100"),
        ({"event": "nowhere"}, "event", "Pick the event"),
    ],
)
def test_a_bad_entry_is_refused_with_the_field_and_the_reason(
    client, svc, rally, entry: dict[str, str], field: str, reason: str
) -> None:
    log_in(client, svc, "field")
    response = post_entry(client, csrf_token(client, "/field"), **entry)
    assert response.status_code == 400
    assert response.json["field"] == field and reason in response.json["error"]
    assert signups(svc) == []


def test_an_entry_without_the_csrf_header_is_refused(client, svc, rally) -> None:
    log_in(client, svc, "field")
    assert post_entry(client, "").status_code == 400
    assert signups(svc) == []


def test_a_stranger_cannot_enter_anyone(client, rally) -> None:
    assert post_entry(client, "").status_code in (302, 400)
    assert client.get("/field/csrf.json").status_code == 302


def test_an_organizer_creates_an_event_and_a_taken_keyword_is_explained(client, svc) -> None:
    log_in(client, svc, "organizer")
    form = {"slug": "atlanta-rally", "campaign": SLUG, "keyword": "facesatl",
            "name": "the Atlanta rally", "place": "", "held_on": "2026-12-05",
            "csrf_token": csrf_token(client, "/events")}  # fmt: skip
    response = client.post("/events", data=form, follow_redirects=True)
    assert "Created atlanta-rally: text FACESATL to sign." in page(response)
    again = client.post("/events", data=form | {"slug": "atlanta-march"})
    assert again.status_code == 400
    assert "keyword FACESATL is already another event&#39;s" in page(again)
    assert 'value="atlanta-march"' in page(again)  # what was typed is kept


def test_an_organizer_registers_a_volunteer_and_sees_them_listed(client, svc, rally) -> None:
    log_in(client, svc, "organizer")
    token = csrf_token(client, "/volunteers")
    form = {
        "phone": "404 555 0151",
        "name": "Ana Ruiz",
        "event": "atlanta-rally",
        "csrf_token": token,
    }
    response = client.post("/volunteers", data=form, follow_redirects=True)
    html = page(response)
    assert "Ana Ruiz ((404) 555-0151) can sign people up at atlanta-rally." in html
    assert "Maria Lopez" in html and "(404) 555-0150" in html
    bad = client.post("/volunteers", data=form | {"phone": "555-0125"})
    assert bad.status_code == 400 and "Not registered" in page(bad)


def test_the_leaderboard_shows_entered_confirmed_and_rate(
    client, twilio, svc, rally, run_jobs
) -> None:
    maria = Phone(client, twilio, "+14045550150")
    maria.text("ADD 404-555-0123 Jane Doe 30303")
    maria.text("ADD 404-555-0124 Luis Ortiz 30303")
    run_jobs()
    Phone(client, twilio, JANE).text("YES")
    run_jobs()
    log_in(client, svc, "organizer")
    html = " ".join(page(client.get("/leaderboard")).split())
    assert (
        '<td data-label="Volunteer">Maria Lopez</td> <td data-label="Event">the Atlanta rally</td>'
        ' <td data-label="Entered" class="number">2</td>'
        ' <td data-label="Confirmed" class="number">1</td>'
        ' <td data-label="Rate" class="number">50%</td>'
    ) in html


def test_a_messy_paper_sheet_is_previewed_row_by_row_then_imported(
    client, svc, rally, twilio, run_jobs
) -> None:
    log_in(client, svc, "organizer")
    data = {
        "sheet": (io.BytesIO(MESSY_SHEET.encode()), "sheet.csv"),
        "volunteer": "+14045550150",
        "csrf_token": csrf_token(client, "/events/atlanta-rally/paper"),
    }
    response = client.post("/events/atlanta-rally/paper", data=data)
    assert response.status_code == 200
    rows = re.findall(
        r'<td data-label="Name">(.*?)</td>.*?<td data-label="Result">(.*?)</td>',
        page(response),
        re.S,
    )
    assert rows == [
        ("Jane Doe", "texted to confirm"),
        ("Luis Ortiz", "texted to confirm"),  # ZIP 2134 is Boston's 02134, its zero dropped
        ("Jane Doe", "duplicate in file"),
        ("Ana Ruiz", "invalid phone"),
        ("Kim Le", "invalid ZIP"),
        ("Tom Li", "no consent"),
    ]
    assert "Check before importing: 2 of 6 rows will get a text to confirm" in page(response)
    # Nothing is stored or texted until the organizer confirms what the preview shows.
    assert signups(svc) == []
    run_jobs()
    assert twilio.messages == []
    sheet_text = re.search(
        r'<textarea name="sheet_text" hidden>(.*?)</textarea>', page(response), re.S
    )
    assert sheet_text
    confirm = {
        "action": "import",
        "sheet_text": html.unescape(sheet_text.group(1)),
        "volunteer": "+14045550150",
        "csrf_token": csrf_token(client, "/events/atlanta-rally/paper"),
    }
    imported = client.post("/events/atlanta-rally/paper", data=confirm)
    assert "2 of 6 rows asked by text to confirm" in page(imported)
    assert [s.volunteer_id is not None for s in signups(svc)] == [True, True]


def test_a_sheet_typed_in_at_night_says_its_texts_wait_for_the_morning(client, svc, rally) -> None:
    svc.settings = replace(svc.settings, send_window="09:00-20:00")
    svc.clock = lambda: datetime(2026, 12, 6, 3, 30, tzinfo=UTC)  # 22:30 in Atlanta
    log_in(client, svc, "organizer")
    data = {
        "sheet": (
            io.BytesIO(b"name,phone,zip,consent\nJane Doe,404-555-0123,30303,yes\n"),
            "s.csv",
        ),
        "csrf_token": csrf_token(client, "/events/atlanta-rally/paper"),
    }
    text = page(client.post("/events/atlanta-rally/paper", data=data))
    assert "1 is in quiet hours now: the text waits for 9:00 local." in " ".join(text.split())
    assert "sent a text" not in text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "the file is not UTF-8 text"),
        (b"Name,Email\nJane Doe,jane@example.org\n", "the file lacks the column(s) phone, zip"),
        (b"", "no file was chosen"),
    ],
)
def test_a_file_that_is_not_a_sheet_imports_nothing_and_says_why(
    client, svc, rally, content: bytes, reason: str
) -> None:
    log_in(client, svc, "organizer")
    data = {
        "sheet": (io.BytesIO(content), "sheet.csv"),
        "csrf_token": csrf_token(client, "/events/atlanta-rally/paper"),
    }
    response = client.post("/events/atlanta-rally/paper", data=data)
    assert response.status_code == 400
    assert "Nothing imported: " + reason in page(response)
    assert signups(svc) == []
