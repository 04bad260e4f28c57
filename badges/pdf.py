"""Badge and certificate PDFs, as pure functions of the data they print (callers run them off the event loop).

Badges come in two sizes (4x3 in landscape, A6 portrait), one per page for badge printers, or tiled on
sheets of labels: six 4x3 in on US Letter (the common pre-cut badge sheets: 1 in top margin, 1/4 in
sides) and four A6 on A4. The QR code is drawn as vector rectangles, one per run of dark modules: sharp
on any printer and far faster than placing a bitmap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from fpdf import FPDF

from badges.qr import QUIET_ZONE, dark_runs, qr_matrix
from podium.pdf_fonts import use_fonts

Layout = Literal["4x3", "a6", "letter-6up", "a4-4up"]
INCH = 25.4


@dataclass(frozen=True)
class BadgeCard:
    """Everything printed on one badge."""

    first_name: str
    last_name: str
    affiliation: str
    category: str
    ribbon: str  # "#RRGGBB"
    event_name: str
    event_dates: str
    serial: str
    token: str
    version: int = 1  # the badge version the token carries


@dataclass(frozen=True)
class Sheet:
    page: tuple[float, float]  # width, height in mm
    badge: tuple[float, float]
    columns: int
    rows: int
    left: float
    top: float


SHEETS: dict[str, Sheet] = {
    "4x3": Sheet((4 * INCH, 3 * INCH), (4 * INCH, 3 * INCH), 1, 1, 0, 0),
    "a6": Sheet((105, 148), (105, 148), 1, 1, 0, 0),
    "letter-6up": Sheet((8.5 * INCH, 11 * INCH), (4 * INCH, 3 * INCH), 2, 3, 0.25 * INCH, 1 * INCH),
    "a4-4up": Sheet((210, 297), (105, 148.5), 2, 2, 0, 0),
}


class _Doc:
    """An FPDF with our font set up, and a text cleaner that suits it."""

    def __init__(self, page: tuple[float, float], texts: Iterable[str] | None = None) -> None:
        """``texts``: everything the document will print, when known, so Latin-1 text needs no embedded font."""
        self.pdf = FPDF(unit="mm", format=page)
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margin(0)
        self.family, self.clean = use_fonts(self.pdf, texts)

    def fitted(self, text: str, style: str, size: float, width: float, *, smallest: float = 7) -> float:
        """The largest font size up to ``size`` at which ``text`` fits ``width`` (names vary wildly)."""
        self.pdf.set_font(self.family, style, size)
        measured = self.pdf.get_string_width(self.clean(text))
        if measured > width:
            size = max(smallest, size * width / measured)
            self.pdf.set_font(self.family, style, size)
        return size

    def text(self, x: float, y: float, w: float, h: float, text: str, style: str, size: float, align: str) -> None:
        """One line in the box, shrunk to fit, and cut with an ellipsis if even the smallest size is too wide."""
        self.fitted(text, style, size, w - 1)
        shown = self.clean(text)
        if self.pdf.get_string_width(shown) > w - 1:
            ellipsis = "…" if self.family == "Body" else "..."
            while shown and self.pdf.get_string_width(shown + ellipsis) > w - 1:
                shown = shown[:-1]
            shown = shown.rstrip() + ellipsis
        self.pdf.set_xy(x, y)
        self.pdf.cell(w, h, shown, align=align)


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def draw_qr(pdf: FPDF, token: str, x: float, y: float, size: float) -> None:
    """The token's QR code with its quiet zone, ``size`` mm square, top-left at (x, y).

    All dark runs go out as one PDF path (``re`` rectangles, a single fill): a third of the time fpdf2's
    ``rect()`` per run takes, which matters for 10,000 badges. Coordinates are converted as ``rect()`` does."""
    matrix = qr_matrix(token)
    module = size / (len(matrix) + 2 * QUIET_ZONE)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    k, page_height = pdf.k, pdf.h
    origin_x, origin_y = x + QUIET_ZONE * module, y + QUIET_ZONE * module
    # A hair of overlap downwards hides the seams some viewers draw between touching rectangles.
    height = -module * 1.02 * k
    path = " ".join(
        f"{(origin_x + column * module) * k:.2f} {(page_height - origin_y - row * module) * k:.2f} "
        f"{length * module * k:.2f} {height:.2f} re"
        for row, column, length in dark_runs(matrix)
    )
    pdf._out(path + " f")  # fpdf2 has no public call for a raw path


def _draw_badge(doc: _Doc, card: BadgeCard, x: float, y: float, w: float, h: float) -> None:
    pdf = doc.pdf
    pad = 4.0
    ribbon = min(14.0, h * 0.15)
    pdf.set_draw_color(200, 200, 200)
    pdf.rect(x, y, w, h)  # cut guide
    pdf.set_text_color(60, 60, 60)
    doc.text(x + pad, y + pad, w - 2 * pad, 5, card.event_name, "B", 9, "L")
    pdf.set_text_color(0, 0, 0)
    portrait = h > w
    if portrait:
        text_w = w - 2 * pad
        qr_size = min(w * 0.5, h - ribbon - 62)
        top = y + pad + 10
        doc.text(x + pad, top, text_w, 14, card.first_name, "B", 30, "C")
        doc.text(x + pad, top + 14, text_w, 10, card.last_name, "B", 20, "C")
        doc.text(x + pad, top + 25, text_w, 7, card.affiliation, "", 11, "C")
        below_text, above_ribbon = top + 34, y + h - ribbon - 6
        qr_x, qr_y = x + (w - qr_size) / 2, (below_text + above_ribbon - qr_size) / 2
    else:
        qr_size = min(h - ribbon - pad - 12, w * 0.38)
        text_w = w - qr_size - 3 * pad
        top = y + pad + 9
        doc.text(x + pad, top, text_w, 12, card.first_name, "B", 26, "L")
        doc.text(x + pad, top + 12, text_w, 9, card.last_name, "B", 16, "L")
        doc.text(x + pad, top + 22, text_w, 6, card.affiliation, "", 9, "L")
        qr_x, qr_y = x + w - pad - qr_size, y + pad + 7
    draw_qr(pdf, card.token, qr_x, qr_y, qr_size)
    pdf.set_text_color(80, 80, 80)
    doc.text(qr_x, qr_y + qr_size, qr_size, 4, card.serial[:4] + "-" + card.serial[4:], "", 7, "C")
    pdf.set_fill_color(*_rgb(card.ribbon))
    pdf.rect(x, y + h - ribbon, w, ribbon, style="F")
    pdf.set_text_color(255, 255, 255)
    doc.text(x + pad, y + h - ribbon, w - 2 * pad, ribbon, card.category.upper(), "B", 14, "C")
    pdf.set_text_color(0, 0, 0)


def render_badges(
    cards: Sequence[BadgeCard], layout: Layout = "4x3", progress: Callable[[int, int], None] | None = None
) -> bytes:
    """All the badges in one PDF, in the order given; ``progress(done, total)`` after each badge."""
    sheet = SHEETS[layout]
    printed = (
        text
        for card in cards
        for text in (
            card.event_name,
            card.first_name,
            card.last_name,
            card.affiliation,
            card.serial,
            card.category.upper(),
        )
    )
    doc = _Doc(sheet.page, printed)
    doc.pdf.set_title(doc.clean(f"Badges: {cards[0].event_name}" if cards else "Badges"))
    doc.pdf.set_creation_date(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    per_page = sheet.columns * sheet.rows
    for index, card in enumerate(cards):
        slot = index % per_page
        if slot == 0:
            doc.pdf.add_page()
        column, row = slot % sheet.columns, slot // sheet.columns
        x = sheet.left + column * sheet.badge[0]
        y = sheet.top + row * sheet.badge[1]
        _draw_badge(doc, card, x, y, *sheet.badge)
        if progress is not None:
            progress(index + 1, len(cards))
    return bytes(doc.pdf.output())


@dataclass(frozen=True)
class CertificateLine:
    day: str
    time: str
    title: str
    minutes: int
    credit_hours: Decimal


@dataclass(frozen=True)
class CertificateData:
    name: str
    affiliation: str
    event_name: str
    event_dates: str
    venue: str
    threshold_pct: int
    lines: tuple[CertificateLine, ...]
    total_credit_hours: Decimal
    issued_on: dt.date


def render_certificate(data: CertificateData) -> bytes:
    """The certificate of attendance: sessions the attendee was scanned into, and the credit hours earned."""
    doc = _Doc((210, 297))
    pdf = doc.pdf
    pdf.set_title(doc.clean(f"Certificate of attendance: {data.name}"))
    pdf.set_creation_date(dt.datetime.combine(data.issued_on, dt.time(), tzinfo=dt.UTC))
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    width = 170

    def line(text: str, style: str = "", size: float = 11, height: float = 7, align: str = "C") -> None:
        pdf.set_font(doc.family, style, size)
        pdf.set_x(20)
        pdf.cell(width, height, doc.clean(text), align=align, new_x="LMARGIN", new_y="NEXT")

    line("Certificate of attendance", "B", 24, 14)
    pdf.ln(6)
    line("This certifies that", size=12)
    doc.fitted(data.name, "B", 22, width)
    pdf.set_x(20)
    pdf.cell(width, 12, doc.clean(data.name), align="C", new_x="LMARGIN", new_y="NEXT")
    if data.affiliation:
        line(data.affiliation, size=12)
    line("attended", size=12)
    line(data.event_name, "B", 16, 10)
    line(f"{data.venue}, {data.event_dates}", size=11)
    pdf.ln(6)
    line(f"Total credit hours: {data.total_credit_hours}", "B", 14, 9)
    line(
        f"Credit is given for sessions attended for at least {data.threshold_pct} % of their length, "
        "as recorded by badge scans at the room doors.",
        size=9,
    )
    pdf.ln(4)
    pdf.set_font(doc.family, "B", 9)
    for text, w, align in (("Day", 32, "L"), ("Time", 26, "L"), ("Session", 80, "L"), ("Min.", 14, "R")):
        pdf.cell(w, 6, doc.clean(text), border="B", align=align)
    pdf.cell(18, 6, doc.clean("Credit"), border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(doc.family, "", 9)
    for entry in data.lines:
        title = entry.title if len(entry.title) <= 48 else entry.title[:47] + "…"
        pdf.cell(32, 6, doc.clean(entry.day))
        pdf.cell(26, 6, doc.clean(entry.time))
        pdf.cell(80, 6, doc.clean(title))
        pdf.cell(14, 6, str(entry.minutes), align="R")
        pdf.cell(18, 6, str(entry.credit_hours), align="R", new_x="LMARGIN", new_y="NEXT")
    if not data.lines:
        line("No session attendance was recorded.", size=10, align="L")
    pdf.ln(8)
    line(f"Issued on {data.issued_on:%Y-%m-%d}", size=9, align="L")
    return bytes(pdf.output())
