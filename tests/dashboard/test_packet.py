"""The delivery packet: a printable page and a PDF with the letter, demands, count and names."""

from __future__ import annotations

import html
import re
import zlib
from datetime import date

import pytest
from helpers import Phone, log_in
from sqlalchemy import text

from bot.dashboard import packet_pdf
from bot.dashboard.packet import PacketSigner, signers
from bot.dashboard.packet_pdf import MISSING, PacketPdf

SLUG = "doj-face-recognition"
JOSE = "+13055550142"  # Miami
BRUCE = "+14155550108"  # San Francisco
JANE = "+14045550123"  # Atlanta


def sign(phone: Phone, name: str, zip_code: str) -> None:
    phone.text("FACES")
    phone.text(name)
    phone.text(zip_code)
    assert phone.text("YES") == []


@pytest.fixture
def signed(client, twilio, run_jobs) -> None:
    sign(Phone(client, twilio, JOSE), "José Ñúñez", "33101")
    sign(Phone(client, twilio, BRUCE), "李小龍", "94108")
    sign(Phone(client, twilio, JANE), "Jane Doe", "30303")
    run_jobs()


def test_the_page_has_the_target_letter_demands_count_and_names(client, svc, signed) -> None:
    log_in(client, svc)
    response = client.get(f"/campaigns/{SLUG}/packet")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    campaign = svc.catalog.by_slug(SLUG)
    assert "950 Pennsylvania Ave. NW" in page and "Vanita Gupta" in page
    assert campaign.title in page
    for demand in campaign.demands:
        assert demand in page
    assert "I hope that you will do so." in page
    assert "3 people signed this letter." in page and "Signed by 3 people" in page
    names = re.findall(r"<li>([^<]+?) <span>([^<]+)</span></li>", page)
    assert names == [
        ("José Ñúñez", "Miami, FL"),
        ("李小龍", "San Francisco, CA"),
        ("Jane Doe", "Atlanta, GA"),
    ]


def test_the_page_is_streamed_and_prints_without_the_dashboard(client, svc, signed) -> None:
    log_in(client, svc)
    response = client.get(f"/campaigns/{SLUG}/packet")
    assert response.is_streamed
    page = response.get_data(as_text=True)
    assert re.search(r'class="actions [^"]*no-print"', page)
    assert "data-print" in page and f"/campaigns/{SLUG}/packet.pdf" in page


def test_the_pdf_is_a_pdf_that_states_the_count(client, svc, signed) -> None:
    log_in(client, svc)
    response = client.get(f"/campaigns/{SLUG}/packet.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="{SLUG}-packet-'
    )
    pdf = response.get_data()
    assert pdf.startswith(b"%PDF-")
    assert b"Signed by 3 people" in pdf  # the document's subject, readable without fonts
    assert b"/FontFile2" in pdf and b"DejaVuSans" in pdf  # the Unicode font, embedded


def pdf_texts(pdf: bytes) -> set[str]:
    """The strings a PDF reader would extract, decoded with each font's ToUnicode map."""
    maps, contents = [], []
    for header, body in re.findall(rb"<<([^<>]*?)>>\s*stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        if b"beginbfchar" in body:
            pairs = re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]{4,8})>", body)
            maps.append({int(g, 16): chr(int(u, 16)) for g, u in pairs})
        elif b"FlateDecode" in header and b"Length1" not in header:  # not a font file
            contents.append(zlib.decompress(body))
    texts = set()
    for content in contents:
        for literal in re.findall(rb"\(((?:[^()\\]|\\.)*)\) Tj", content, re.S):
            raw = re.sub(rb"\\(.)", lambda m: b"\r" if m[1] == b"r" else m[1], literal)
            glyphs = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
            for glyph_map in maps:
                if all(g in glyph_map for g in glyphs):
                    texts.add("".join(glyph_map[g] for g in glyphs))
    return texts


def test_a_pdf_reader_finds_the_count_and_every_name(client, svc, signed) -> None:
    log_in(client, svc)
    texts = pdf_texts(client.get(f"/campaigns/{SLUG}/packet.pdf").get_data())
    assert "Signed by 3 people" in texts
    assert "3 people signed this letter. They ask you to:" in texts
    assert "José Ñúñez · Miami, FL" in texts
    assert "Jane Doe · Atlanta, GA" in texts
    assert "Vanita Gupta" in texts


def test_a_name_in_a_script_no_font_here_covers_is_marked_not_dropped() -> None:
    with PacketPdf("A title") as pdf:
        assert pdf.safe("José Ñúñez") == "José Ñúñez"
        cjk_font = bool(pdf.fallbacks) and all(ord(c) in pdf.covered for c in "李小龍")
        assert pdf.safe("李小龍") == ("李小龍" if cjk_font else MISSING * 3)


def test_a_packet_counts_the_names_it_could_not_show_in_full(svc) -> None:
    campaign = svc.catalog.by_slug(SLUG)
    names = [
        PacketSigner("José Ñúñez", "Miami", "FL"),
        PacketSigner("\U0001d11e Clef", None, None),  # a musical symbol: in no font here
    ]
    with packet_pdf.packet_document(campaign, "Org", 2, names, date(2026, 11, 26)) as document:
        assert document.missing == 1


def test_a_long_campaign_runs_over_many_pages_of_columns(svc) -> None:
    campaign = svc.catalog.by_slug(SLUG)
    names = (PacketSigner(f"Signer Number {i}", "Atlanta", "GA") for i in range(1000))
    pdf = packet_pdf.packet_pdf(campaign, "Org", 1000, names, date(2026, 11, 26))
    pages = int(re.search(rb"/Count (\d+)", pdf)[1])
    # 3 columns of about 50 names a page, after the letter's page(s).
    assert 7 <= pages <= 10


def test_signers_are_read_a_page_at_a_time_in_signing_order(svc, signed) -> None:
    with svc.db() as session:
        campaign_id = session.execute(text("SELECT id FROM campaigns")).scalar_one()
    read = list(signers(svc.db, campaign_id, page_size=2))
    assert [s.name for s in read] == ["José Ñúñez", "李小龍", "Jane Doe"]
    assert read[0].place == "Miami, FL"


def test_without_a_unicode_font_the_pdf_is_refused_and_the_page_still_works(
    client, svc, signed, monkeypatch
) -> None:
    monkeypatch.setattr(packet_pdf, "FONT_DIRS", ())
    log_in(client, svc)
    response = client.get(f"/campaigns/{SLUG}/packet.pdf")
    assert response.status_code == 503
    assert "fonts-dejavu-core" in response.get_data(as_text=True)
    assert client.get(f"/campaigns/{SLUG}/packet").status_code == 200


@pytest.mark.parametrize("path", [f"/campaigns/{SLUG}/packet", f"/campaigns/{SLUG}/packet.pdf"])
def test_a_field_volunteer_may_not_see_the_packet(client, svc, path: str) -> None:
    log_in(client, svc, role="field")
    assert client.get(path).status_code == 403
