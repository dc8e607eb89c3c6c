"""A campaign's signers as CSV: one set of rows for the `export` command and the download.

The command writes raw values for tools: E.164 phones, names exactly as stored. The
dashboard's download is for spreadsheets, which run a cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula; following OWASP's advice on CSV
injection, every such cell is written with a single quote before it. That includes phones,
which start with ``+`` (``'+14045550123``): a spreadsheet would otherwise read one as a
formula or a number and drop the plus. The download is UTF-8 with a byte-order mark, so
Excel reads accented names right, and its columns are the command's, then ``language``.

The download for CRM import (an organizing CRM, a mailing tool) is raw, as such tools read it:
E.164 phones, the name split into ``first_name`` and ``last_name``, the ZIP as its five
characters (02119, never 2119), UTF-8 with no byte-order mark. It is not for a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from conversations.parsing import first_name
from store.models import Signature, Supporter, iso_utc

COMMAND_COLUMNS = ("phone", "name", "zip", "city", "state", "signed_at", "source", "opted_out")
DOWNLOAD_COLUMNS = (*COMMAND_COLUMNS, "language")
CRM_COLUMNS = ("phone", "first_name", "last_name", *DOWNLOAD_COLUMNS[2:])
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 1000

Row = tuple[str | None, ...]


def signers(campaign_id: int | None) -> Select[*tuple[Any, ...]]:
    """The campaign's signers in signing order: ``DOWNLOAD_COLUMNS``' values as stored, then
    the signature's id (the REST API's pages narrow and continue this query)."""
    return (
        select(
            Supporter.phone,
            Supporter.name,
            Supporter.zip_code,
            Supporter.city,
            Supporter.state,
            Signature.signed_at,
            Signature.source,
            Supporter.opted_out_at,
            Supporter.language,
            Signature.id,
        )
        .join(Signature, Signature.supporter_id == Supporter.id)
        .where(Signature.campaign_id == campaign_id)
        .order_by(Signature.id)
    )


def signer_rows(session: Session, campaign_id: int | None) -> Iterator[Row]:
    """Every signer of the campaign in signing order, as ``DOWNLOAD_COLUMNS``."""
    rows = session.execute(signers(campaign_id).execution_options(yield_per=ROWS_PER_CHUNK))
    for phone, name, zip_code, city, state, signed_at, source, opted_out_at, language, _ in rows:
        opted_out = "yes" if opted_out_at else "no"
        yield (phone, name, zip_code, city, state, iso_utc(signed_at), source, opted_out, language)


def command_row(row: Row) -> Row:
    """The row the `export` command writes: raw values, its columns only."""
    return row[: len(COMMAND_COLUMNS)]


def spreadsheet_safe(cell: str | None) -> str:
    """``cell`` as a spreadsheet will show it and never run it as a formula."""
    text = cell or ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def crm_row(row: Row) -> Row:
    """The row for CRM import: raw values, the name split in two, as ``CRM_COLUMNS``."""
    phone, name, *rest = row
    first = first_name(name or "")
    # The last name is what follows the first: "Dr. Ben Okafor" is Ben, Okafor.
    after = (name or "").split(first, 1)[1] if first else ""
    return (phone, first, " ".join(after.split()), *rest)


def spreadsheet_row(row: Row) -> Row:
    return tuple(spreadsheet_safe(cell) for cell in row)


def download(
    sessions: sessionmaker[Session], campaign_id: int | None, for_crm: bool = False
) -> Iterator[str]:
    """The download's text, a chunk at a time, so a large campaign is never held in memory:
    for a spreadsheet, or with ``for_crm`` for CRM import."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # CRLF line ends, as RFC 4180 and spreadsheets expect
    shape = crm_row if for_crm else spreadsheet_row
    if not for_crm:
        buffer.write("\ufeff")
    writer.writerow(CRM_COLUMNS if for_crm else DOWNLOAD_COLUMNS)
    with sessions() as session:
        for i, row in enumerate(signer_rows(session, campaign_id), 1):
            writer.writerow(shape(row))
            if i % ROWS_PER_CHUNK == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()
