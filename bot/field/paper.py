"""Paper sign-up sheets: a CSV typed up after the event, checked row by row, imported whole.

Each row that can be texted gets the confirmation request, exactly as a volunteer's ADD
would; the person signs only by replying YES. A file that cannot be read is refused before
anything is stored, and the rows are stored in one transaction: never half a sheet.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select

from bot.field.events import EventError, event_by_slug
from bot.field.signups import PHONES, Entry, Outcome, add_signup, read_entry
from bot.lib.quiet_hours import is_open, parse_window, zones_for
from bot.outbound.jobs import send_message
from bot.services import Services
from store.models import Message, Volunteer
from store.statuses import EnteredVia

# Header names people give each column, compared lower-case with "_" read as a space and
# punctuation ("OK to text?", "Phone #", "E-mail") left out.
COLUMNS = {
    "name": {"name", "full name", "nombre", "nombre completo"},
    "first_name": {"first name", "first", "given name", "nombre de pila"},
    "last_name": {"last name", "last", "surname", "family name", "apellido", "apellidos"},
    "phone": {
        "phone",
        "phone number",
        "phone no",
        "mobile",
        "mobile number",
        "cell",
        "cell phone",
        "cell number",
        "telefono",
        "teléfono",
        "celular",
    },
    "zip": {"zip", "zip code", "zipcode", "postal code", "codigo postal", "código postal"},
    "consent": {
        "consent",
        "ok to text",
        "okay to text",
        "ok to text us",
        "can we text you",
        "opt in",
        "text ok",
        "texts ok",
        "sms ok",
        "sms opt in",
    },
    "language": {"language", "idioma"},
}
REQUIRED = ("phone", "zip")  # and a name: a name column, or first (and last) name columns
# What a volunteer writes in the consent box when the person agreed to get texts.
CONSENT_MARKS = frozenset({"yes", "y", "x", "true", "1", "ok", "si", "sí", "✓", "✔", "☑"})
SPANISH = frozenset({"es", "spanish", "español", "espanol"})
MAX_ROWS = 5000


class PaperError(ValueError):
    """The file cannot be imported at all; nothing was stored. The message says why."""


class Paper(StrEnum):
    """Outcomes only a sheet has, besides those of ``bot.field.signups.Outcome``."""

    DUPLICATE_IN_FILE = "duplicate_in_file"
    NO_CONSENT = "no_consent"


@dataclass(frozen=True)
class Row:
    """What happened to one row; ``line`` is its line in the file (the header is line 1)."""

    line: int
    name: str
    phone: str
    result: Outcome | Paper


@dataclass(frozen=True)
class Report:
    """Every row's result, in file order: for the command's table and the upload page."""

    rows: tuple[Row, ...]
    stored: bool  # False for a preview: nothing was stored or texted
    quiet: int = 0  # of those added, how many are in quiet hours now: their text waits

    def counts(self) -> dict[str, int]:
        return dict(Counter(str(row.result) for row in self.rows))

    @property
    def added(self) -> int:
        return sum(row.result is Outcome.ADDED for row in self.rows)


def import_signups(
    services: Services,
    data: bytes | str,
    event: str,
    volunteer: str | None = None,
    account: int | None = None,
    *,
    store: bool = True,
) -> Report:
    """Import a sheet's rows as sign-ups at ``event`` (collected by ``volunteer``'s phone,
    uploaded by the dashboard ``account``).

    With ``store=False``, say what importing would do to each row, storing and texting nothing:
    the same checks run in a transaction that is rolled back.
    """
    header, body = _read(data)
    columns = _columns(header)
    rows: list[Row] = []
    sends: list[Message] = []
    seen: set[str] = set()
    now, window, quiet = services.clock(), parse_window(services.settings.send_window), 0
    with services.db() as session, session.begin() as transaction:
        try:
            found = event_by_slug(session, event)
        except EventError as error:
            raise PaperError(str(error)) from None
        entered_by = None
        if volunteer is not None:
            entered_by = session.scalar(
                select(Volunteer).where(Volunteer.phone == PHONES.check(volunteer).number)
            )
            if entered_by is None:
                raise PaperError(f"there is no volunteer with phone {volunteer}")
        for line, cells in body:
            values = {key: _cell(cells, index) for key, index in columns.items()}
            if "name" not in values:
                values["name"] = f"{values['first_name']} {values.get('last_name', '')}".strip()
            result: Outcome | Paper
            entry = read_entry(
                services.places,
                values["phone"],
                values["name"],
                values["zip"],
                "es" if values.get("language", "").casefold() in SPANISH else "en",
            )
            if values["consent"].casefold() not in CONSENT_MARKS:
                result = Paper.NO_CONSENT
            elif not isinstance(entry, Entry):
                result = entry
            elif entry.phone in seen:
                result = Paper.DUPLICATE_IN_FILE
            else:
                seen.add(entry.phone)
                added = add_signup(
                    session,
                    services.catalog,
                    entry,
                    event=found,
                    volunteer=entered_by,
                    entered_via=EnteredVia.PAPER,
                    now=services.clock(),
                    # Typed up hours later: the request waits for the person's waking hours.
                    prompted=False,
                    entered_by=account,
                )
                result = added.outcome
                if added.message is not None:
                    sends.append(added.message)
                    zones = zones_for(entry.place.time_zone, entry.phone)
                    quiet += not is_open(now, zones, window)
            phone = PHONES.check(values["phone"]).number or values["phone"]
            rows.append(Row(line, values["name"], phone, result))
        if not store:
            transaction.rollback()
            return Report(tuple(rows), stored=False, quiet=quiet)
    # Queued only once every row is stored: a worker always finds what it is asked about.
    for message in sends:
        services.enqueue(send_message, message.id)
    return Report(tuple(rows), stored=True, quiet=quiet)


def result_words(result: str, stored: bool = True) -> str:
    """A row's result for a person: what happened, or in a preview, what will."""
    if result == Outcome.ADDED:
        return "asked to confirm" if stored else "texted to confirm"
    return result.replace("_", " ").replace("zip", "ZIP")


def _read(data: bytes | str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-blank rows, with their line numbers; PaperError if unreadable."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")  # Excel starts its UTF-8 CSVs with a BOM
        except UnicodeDecodeError:
            raise PaperError("the file is not UTF-8 text: save the sheet as CSV UTF-8") from None
    data = data.removeprefix("\ufeff")
    if "\x00" in data:
        raise PaperError("the file is not a CSV: save the sheet as CSV UTF-8")
    # Read as Excel writes it ("" is a quote inside a quoted cell); only the delimiter varies
    # (Excel in a comma-decimal locale writes ;), and the header alone says which it is.
    first_line = data.lstrip("\r\n").partition("\n")[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(data, newline=""), csv.excel, delimiter=delimiter)
    try:
        lines = [(reader.line_num, cells) for cells in reader if any(c.strip() for c in cells)]
    except csv.Error as error:
        raise PaperError(f"the file is not a readable CSV: {error}") from None
    if not lines:
        raise PaperError("the file is empty")
    (_, header), body = lines[0], lines[1:]
    if not body:
        raise PaperError("the file has a header but no rows")
    if len(body) > MAX_ROWS:
        raise PaperError(f"the file has {len(body)} rows; import at most {MAX_ROWS} at a time")
    return header, body


def _columns(header: list[str]) -> dict[str, int]:
    """Where each known column is; PaperError naming any required one that is missing."""
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        words = "".join(c if c.isalnum() else " " for c in title.replace("_", " ").casefold())
        title = " ".join(words.split())
        for key, names in COLUMNS.items():
            if title in names and key not in found:
                found[key] = index
    missing = [key for key in REQUIRED if key not in found]
    if "name" not in found and "first_name" not in found:
        missing.insert(0, "name")
    if missing:
        raise PaperError(
            f"the file lacks the column(s) {', '.join(missing)}; "
            f"it needs name, phone, zip and a consent column (found: {', '.join(header)})"
        )
    if "consent" not in found:
        # Without it nobody said yes to texts, so nobody can be texted: refuse the sheet.
        raise PaperError(
            "the file has no consent column, so nobody on it can be texted: add one (e.g. "
            f"'OK to text?') with yes or ✓ for each person who agreed (found: {', '.join(header)})"
        )
    return found


def _cell(cells: list[str], index: int) -> str:
    return " ".join(cells[index].split()) if index < len(cells) else ""
