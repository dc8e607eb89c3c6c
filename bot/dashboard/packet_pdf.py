"""The delivery packet as a PDF: the letter, the demands, the count, and every signer's name.

Names are set in DejaVu Sans, embedded, which covers Latin, Greek, Cyrillic and more. Where a
CJK font is installed (Debian's fonts-noto-cjk, fonts-droid-fallback or fonts-wqy-zenhei)
characters DejaVu lacks, such as 李小龍, are set in it; any character no font here can show is
printed as □ and counted in a note at the end. The printable page shows every name in full.
fpdf2 keeps the document in memory until it is written: about 160 MB and 12 s for a million
names, while the names themselves are read a page at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF

from bot.dashboard.packet import PacketSigner
from conversations import CampaignScript

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian and Ubuntu: fonts-dejavu-core
    Path("/usr/share/fonts/dejavu"),  # Fedora, Alpine
    Path("/usr/share/fonts/TTF"),  # Arch
)
FALLBACK_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
MISSING = "□"
PAGES = "{total_pages}"
INDENT = "    "  # the lines of a long entry after its first
MARGIN, COLUMNS, GUTTER = 15.0, 3, 5.0  # millimetres on a U.S. Letter page
NAME_SIZE, LINE = 8.0, 4.1


class NoFontError(RuntimeError):
    """No Unicode font is installed, so names cannot be printed faithfully."""


@dataclass(frozen=True)
class Font:
    family: str
    path: Path

    @property
    def covers(self) -> frozenset[int]:
        return _cmap(self.path)


@cache
def _cmap(path: Path) -> frozenset[int]:
    with TTFont(path, fontNumber=0, lazy=True) as font:
        return frozenset(font.getBestCmap())


def find_fonts() -> tuple[Font, Font, list[Font]]:
    """The regular and bold text fonts, and any fallbacks for the characters they lack."""
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            fallbacks = [
                Font(f"fallback{i}", path) for i, path in enumerate(FALLBACK_FONTS) if path.exists()
            ]
            return Font("dejavu", regular), Font("dejavu", bold), fallbacks
    raise NoFontError("no DejaVu Sans font found: install fonts-dejavu-core")


class PacketPdf(FPDF):
    """A U.S. Letter document with the campaign's title and page numbers in the footer."""

    def __init__(self, title: str) -> None:
        super().__init__(format="letter", unit="mm")
        self.packet_title = title
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN)
        self.alias_nb_pages(PAGES)  # room for a count of a million names' pages
        regular, bold, self.fallbacks = find_fonts()
        self.add_font("dejavu", "", regular.path)
        self.add_font("dejavu", "B", bold.path)
        for font in self.fallbacks:
            self.add_font(font.family, "", font.path)
        self.covered = regular.covers.union(*(font.covers for font in self.fallbacks))
        self.regular = regular
        self.missing = 0  # names with a character no font here has

    def __enter__(self) -> PacketPdf:
        return self

    def __exit__(self, *_exc: object) -> None:
        # fpdf2 reads fonts lazily and leaves their files open; close them with the document.
        for font in self.fonts.values():
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.close()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("dejavu", size=7.5)
        self.set_text_color(110)
        self.cell(0, 5, self.safe(self.packet_title)[:110], align="L")
        self.set_x(-MARGIN - 30)
        self.cell(30, 5, f"Page {self.page_no()} of {PAGES}", align="R")
        self.set_text_color(0)

    def width_at(self, text: str, size: float) -> float:
        """The width of ``text`` in the regular font at ``size`` points, in millimetres."""
        widths: dict[int, float] = self.fonts["dejavu"].cw  # type: ignore[assignment]
        return sum(map(widths.__getitem__, map(ord, text))) * size * 0.001 / self.k

    def truncated(self, text: str, size: float, width: float) -> str:
        """``text``, or as much of it as fits ``width`` at ``size`` points and an ellipsis."""
        if self.width_at(text, size) <= width:
            return text
        room = width - self.width_at("…", size)
        for end in range(len(text)):
            room -= self.width_at(text[end], size)
            if room < 0:
                return text[:end] + "…"
        return text

    def safe(self, text: str) -> str:
        """``text`` with each character no font here can show replaced by □."""
        if text.isascii() and text.isprintable():
            return text  # most names, and DejaVu has every printable ASCII character
        return "".join(c if ord(c) in self.covered or c in "\n\t" else MISSING for c in text)


def packet_pdf(
    campaign: CampaignScript,
    organization: str,
    count: int,
    signers: Iterable[PacketSigner],
    today: date,
) -> bytes:
    """The whole packet as PDF bytes: letter pages, then the signers in columns."""
    with packet_document(campaign, organization, count, signers, today) as document:
        return bytes(document.output())


def packet_document(
    campaign: CampaignScript,
    organization: str,
    count: int,
    signers: Iterable[PacketSigner],
    today: date,
) -> PacketPdf:
    """Lay the packet out: the letter first, then the signers in columns."""
    pdf = PacketPdf(campaign.title)
    pdf.set_title(campaign.title)
    pdf.set_author(organization)
    pdf.set_subject(f"Signed by {count:,} {_people(count)}")
    pdf.add_page()
    pdf.set_font("dejavu", size=9)
    pdf.set_text_color(110)
    pdf.cell(0, 5, pdf.safe(f"{organization} · {today:%B} {today.day}, {today:%Y}"))
    pdf.ln(10)
    pdf.set_text_color(0)
    pdf.set_font("dejavu", size=11)
    pdf.multi_cell(0, 5.2, pdf.safe(campaign.target))
    pdf.ln(6)
    pdf.set_font("dejavu", "B", 15)
    pdf.multi_cell(0, 7.5, pdf.safe(campaign.title), align="L")
    pdf.ln(3)
    pdf.set_font("dejavu", "B", 12)
    pdf.multi_cell(0, 6, f"{count:,} {_people(count)} signed this letter. They ask you to:")
    pdf.ln(2)
    pdf.set_font("dejavu", size=11)
    for number, demand in enumerate(campaign.demands, 1):
        pdf.multi_cell(0, 5.4, pdf.safe(f"{number}. {demand}"), align="L")
        pdf.ln(2)
    pdf.ln(4)
    for paragraph in campaign.letter.split("\n\n"):
        pdf.multi_cell(0, 5.4, pdf.safe(" ".join(paragraph.split())), align="L")
        pdf.ln(3)
    _signers(pdf, count, signers)
    if pdf.missing:
        pdf.ln(LINE)
        pdf.set_font("dejavu", size=8)
        pdf.multi_cell(
            0,
            4,
            f"{pdf.missing:,} name(s) contain characters this PDF has no font for, shown as "
            f"{MISSING}. The printable page of this packet shows them in full.",
        )
    return pdf


def _signers(pdf: PacketPdf, count: int, signers: Iterable[PacketSigner]) -> None:
    pdf.add_page()
    pdf.set_font("dejavu", "B", 14)
    pdf.cell(0, 8, f"Signed by {count:,} {_people(count)}")
    pdf.ln(12)
    width = (pdf.w - 2 * MARGIN - (COLUMNS - 1) * GUTTER) / COLUMNS
    top, bottom = pdf.get_y(), pdf.h - MARGIN - 6
    column, y = 0, top
    pdf.set_auto_page_break(False)  # the columns decide where a page ends
    pdf.set_font("dejavu", size=NAME_SIZE)
    for signer in signers:
        lines = _lines(pdf, signer, width)
        if y + LINE * len(lines) > bottom:
            column, y = column + 1, top
            if column == COLUMNS:
                pdf.add_page()
                pdf.set_font("dejavu", size=NAME_SIZE)
                column, y = 0, MARGIN
                top = MARGIN
        x = MARGIN + column * (width + GUTTER)
        for line in lines:
            _runs(pdf, x, y + LINE * 0.8, line)
            y += LINE
    pdf.set_xy(MARGIN, y + LINE if column == 0 else bottom)
    pdf.set_auto_page_break(True, margin=MARGIN)


def _people(count: int) -> str:
    return "person" if count == 1 else "people"


def _lines(pdf: PacketPdf, signer: PacketSigner, width: float) -> list[str]:
    """``Name · City, ST`` on one line, or wrapped with the lines after the first indented."""
    name, place = pdf.safe(signer.name), pdf.safe(signer.place)
    if name != signer.name or place != signer.place:
        pdf.missing += 1
    # Widths are summed from the font's table: fpdf2's get_string_width is slow for 1M names.
    whole = f"{name} · {place}" if place else name
    if pdf.width_at(whole, NAME_SIZE) <= width:
        return [whole]
    words = whole.split(" ")
    lines = [""]
    for word in words:
        line = f"{lines[-1]} {word}" if lines[-1].strip() else lines[-1] + word
        if pdf.width_at(line, NAME_SIZE) <= width or not lines[-1].strip():
            lines[-1] = line
        else:
            lines.append(INDENT + word)
    return [pdf.truncated(line, NAME_SIZE, width) for line in lines]


def _runs(pdf: PacketPdf, x: float, y: float, text: str) -> None:
    """Write ``text`` at (x, y), switching to a fallback font for the characters it covers."""
    if not pdf.fallbacks or all(ord(c) in pdf.regular.covers for c in text):
        pdf.text(x, y, text)
        return
    for family, run in _by_font(pdf, text):
        pdf.set_font(family, size=NAME_SIZE)
        pdf.text(x, y, run)
        x += pdf.get_string_width(run)
    pdf.set_font("dejavu", size=NAME_SIZE)


def _by_font(pdf: PacketPdf, text: str) -> list[tuple[str, str]]:
    """Split ``text`` into runs that one font each can show."""
    runs: list[tuple[str, str]] = []
    for char in text:
        family = "dejavu"
        if ord(char) not in pdf.regular.covers:
            family = next((f.family for f in pdf.fallbacks if ord(char) in f.covers), family)
        if runs and runs[-1][0] == family:
            runs[-1] = (family, runs[-1][1] + char)
        else:
            runs.append((family, char))
    return runs
