"""What receipts and reports share: an A4 page with DejaVu Sans embedded, money in the shop's
currency, times in the shop's time zone, text fitted to a width, and a plain table.

DejaVu Sans ships inside the package (``fonts/``, with its licence), so any Latin, Greek or
Cyrillic name prints as itself whatever fonts the machine has; fpdf2 embeds only the glyphs a
document uses.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.numbers import format_currency
from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONTS = Path(__file__).with_name("fonts")
FAMILY = "DejaVu"
LOCALE = "en"  # how amounts are written (the currency is the shop's)
ROW = 6.0  # height of a table row, mm
SMALL = 8
BODY = 10


class Document(FPDF):
    """An A4 page (mm) with the shop's fonts and a page number in the footer."""

    def __init__(self, title: str, *, created: datetime | None = None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font(FAMILY, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_title(title)
        self.set_creator("CRPM")
        if created is not None:  # the same document gives the same bytes
            self.set_creation_date(created)
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=18)
        self.alias_nb_pages()
        self.add_page()
        self.set_font(FAMILY, size=BODY)

    @property
    def width(self) -> float:
        """The width between the margins."""
        return float(self.w - self.l_margin - self.r_margin)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=SMALL)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.page_no()} / {{nb}}", align="R")
        self.set_text_color(0)

    def line_of_text(self, text: str, *, size: float = BODY, bold: bool = False) -> None:
        """One line across the page, cut to fit."""
        self.set_font(FAMILY, "B" if bold else "", size)
        self.cell(
            self.width,
            size * 0.5 + 1,
            fit(self, text, self.width),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.set_font(FAMILY, size=BODY)

    def paragraph(self, text: str, *, size: float = BODY) -> None:
        """Text wrapped over as many lines as it needs."""
        self.set_font(FAMILY, size=size)
        for line in wrap(self, text, self.width):
            self.cell(self.width, size * 0.5 + 1, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FAMILY, size=BODY)

    def room_for(self, height: float) -> None:
        """Start a new page unless ``height`` mm still fit on this one."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def grid(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        *,
        right: Collection[int] = (),
        wrap_column: int | None = None,
    ) -> None:
        """A table with a bold header line, repeated on each new page. Cells are cut to their
        column's width, except those of ``wrap_column``, which wrap onto more lines."""

        def heading() -> None:
            self.set_font(FAMILY, "B", BODY)
            for i, (text, w) in enumerate(zip(header, widths, strict=True)):
                self.cell(w, ROW, fit(self, text, w), align="R" if i in right else "L")
            self.ln(ROW)
            top = self.get_y()
            self.line(self.l_margin, top, self.l_margin + sum(widths), top)
            self.set_font(FAMILY, size=BODY)

        heading()
        for row in rows:
            lines = []
            if wrap_column is not None:
                lines = wrap(self, row[wrap_column], widths[wrap_column])
            height = ROW * max(1, len(lines))
            if self.get_y() + height > self.page_break_trigger:
                self.add_page()
                heading()
            top = self.get_y()
            x = self.l_margin
            for i, (text, w) in enumerate(zip(row, widths, strict=True)):
                self.set_xy(x, top)
                if i == wrap_column:
                    for n, line in enumerate(lines or [""]):
                        self.set_xy(x, top + n * ROW)
                        self.cell(w, ROW, line)
                else:
                    self.cell(w, ROW, fit(self, text, w), align="R" if i in right else "L")
                x += w
            self.set_xy(self.l_margin, top + height)


_PAD = 1.2  # fpdf2 leaves c_margin on each side of a cell's text


def fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` cut with an ellipsis so it fits in a cell ``width`` mm wide."""
    room = width - 2 * _PAD
    if pdf.get_string_width(text) <= room:
        return text
    while text and pdf.get_string_width(text + "…") > room:
        text = text[:-1]
    return text.rstrip() + "…"


def wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """``text`` broken at spaces into lines that fit ``width`` mm (a word longer than a
    line is broken where it must)."""
    room = width - 2 * _PAD
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if pdf.get_string_width(candidate) <= room:
            current = candidate
            continue
        if current:
            lines.append(current)
        while pdf.get_string_width(word) > room and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and pdf.get_string_width(word[:cut]) > room:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current or not lines:
        lines.append(current)
    return lines


def money(amount: Decimal, currency: str) -> str:
    """``amount`` in ``currency`` (ISO 4217) as Babel writes it: €1,234.50, £3.00, US$5.00."""
    return str(format_currency(amount, currency, locale=LOCALE))


def local_time(moment: datetime, zone: str) -> str:
    """An aware time as the shop reads it: ``2026-07-02 00:30 BST``."""
    here = moment.astimezone(ZoneInfo(zone))
    return f"{here:%Y-%m-%d %H:%M} {here.tzname() or zone}"


def local_date_or_time(moment: datetime, zone: str) -> str:
    """A bound of a period: the date alone at local midnight, else the local time."""
    here = moment.astimezone(ZoneInfo(zone))
    if (here.hour, here.minute, here.second, here.microsecond) == (0, 0, 0, 0):
        return here.date().isoformat()
    return local_time(moment, zone)


def finish(pdf: FPDF) -> bytes:
    return bytes(pdf.output())
