"""An event's sign: its keyword, the number to text, and a QR code that opens that text."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

import segno
from fpdf import FPDF
from PIL import Image

from bot.dashboard.packet_pdf import find_fonts
from bot.lib.phones import e164, national

QR_ERROR = "m"  # 15% of the code may be scuffed or taped over and it still reads


@dataclass(frozen=True)
class Sign:
    """What a printed sign says: text ``keyword`` to ``number`` (E.164, None if unknown)."""

    keyword: str
    event_name: str
    place: str | None
    held_on: date | None
    number: str | None
    organization: str
    messages_per_month: int
    ask: str  # what signing asks for: the campaign's title, in large type above the keyword
    privacy_url: str
    terms_url: str

    @property
    def display_number(self) -> str | None:
        """The number as people write it, e.g. ``(404) 555-0100``."""
        return None if self.number is None else national(self.number)

    @property
    def uri(self) -> str | None:
        """The link the QR code holds; None without a number, as ``sms:`` needs a recipient."""
        return None if self.number is None else sms_uri(self.number, self.keyword)

    @property
    def fine_print(self) -> str:
        return (
            f"{self.organization}: up to {self.messages_per_month} msgs/month. "
            "Msg & data rates may apply. Reply STOP to stop, HELP for help. "
            f"Privacy: {self.privacy_url} · Terms: {self.terms_url}"
        )


def sign_number(configured: str) -> str | None:
    """The bot's number in E.164, or None when none is set (the embedded default)."""
    return e164(configured) if configured.strip() else None


def sms_uri(number: str, keyword: str) -> str:
    """A link that opens the messaging app with ``keyword`` typed to ``number``."""
    # RFC 5724's form, which Android and iOS both read; iOS also reads "sms:+1…&body=", an
    # older form, but Android does not, so "?body=" is the one to print.
    return f"sms:{number}?body={quote(keyword, safe='')}"


def qr_svg(uri: str) -> str:
    """The QR code as an inline ``<svg>`` that scales to its box."""
    qr = segno.make_qr(uri, error=QR_ERROR)
    return qr.svg_inline(scale=10, omitsize=True, title="QR code: " + uri)


def qr_png(uri: str, scale: int = 16) -> bytes:
    """The QR code as a PNG, ``scale`` pixels a module, with the standard quiet zone."""
    out = io.BytesIO()
    segno.make_qr(uri, error=QR_ERROR).save(out, kind="png", scale=scale)
    return out.getvalue()


def sign_pdf(sign: Sign) -> bytes:
    """The sign on one U.S. Letter page: keyword and number huge, the QR code under them."""
    regular, bold, _ = find_fonts()
    pdf = FPDF(format="letter", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 15, 15)
    pdf.add_font("dejavu", "", str(regular.path))
    pdf.add_font("dejavu", "B", str(bold.path))
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: float, style: str = "", height: float | None = None) -> None:
        pdf.set_font("dejavu", style, size)
        # A long keyword or name shrinks to fit the page rather than run off it.
        while size > 12 and pdf.get_string_width(text) > width:
            size -= 2
            pdf.set_font("dejavu", style, size)
        pdf.cell(width, height or size * 0.45, text, align="C", new_x="LMARGIN", new_y="NEXT")

    pdf.set_y(12)
    line(sign.organization, 14, "B", 7)
    # The ask, up to three lines, smaller as it grows: people sign what they can read.
    size = 30.0
    pdf.set_font("dejavu", "B", size)
    while size > 16 and _lines(pdf, width, sign.ask) > 3:
        size -= 2
        pdf.set_font("dejavu", "B", size)
    pdf.multi_cell(width, size * 0.42, sign.ask, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(pdf.get_y() + 4)
    line("Text", 44, "B")
    line(sign.keyword, 110, "B", 44)
    if sign.display_number:
        line(f"to {sign.display_number}", 44, "B", 24)
    else:
        line("to our number", 44, "B", 24)
    if sign.uri:
        side = 72.0
        # Greyscale, not 1-bit: fpdf2 stores 1-bit images as CCITT fax; as Flate with PNG
        # predictors the code in the file can be read back, and is, by the tests.
        image = Image.open(io.BytesIO(qr_png(sign.uri))).convert("L")
        pdf.image(image, x=(pdf.w - side) / 2, y=pdf.get_y() + 4, w=side)
        pdf.set_y(pdf.get_y() + side + 6)
        line("Scan to open a text with the keyword typed in", 16)
    pdf.set_y(-48)
    when = f" · {sign.held_on:%B %-d, %Y}" if sign.held_on else ""
    where = f" · {sign.place}" if sign.place else ""
    line(f"{sign.event_name}{where}{when}", 18, "B", 10)
    pdf.set_font("dejavu", "", 11)
    pdf.multi_cell(width, 5.5, sign.fine_print, align="C")
    return bytes(pdf.output())


def _lines(pdf: FPDF, width: float, text: str) -> int:
    """How many lines ``text`` takes in the current font, wrapped to ``width``."""
    wrapped = pdf.multi_cell(width, 10, text, dry_run=True, output="LINES")
    return len(wrapped) if isinstance(wrapped, list) else 1
