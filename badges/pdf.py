"""Badge PDFs, as pure functions of the data they print (callers run them off the event loop).

Badges come in two sizes (4x3 in landscape, A6 portrait), one per page for badge printers, or tiled on
sheets of labels: six 4x3 in on US Letter (the common pre-cut badge sheets: 1 in top margin, 1/4 in
sides) and four A6 on A4. The QR code is drawn as vector rectangles, one per run of dark modules: sharp
on any printer and far faster than placing a bitmap. An event's logo (``badges/logo.py``) heads the badge, left
of the event's name, in a taller header: the names and the QR code move down by what it adds.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from fpdf import FPDF

from badges.logo import BadgeLogo, fitted
from badges.qr import QUIET_ZONE, dark_runs, qr_matrix
from podium.contrast import ink_for
from podium.pdf_fonts import right_to_left, script_of, use_fonts

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
    brand_colour: str | None = None  # "#rrggbb": the event's colour, a band behind its name (events/brand.py)
    logo: BadgeLogo | None = None  # the event's logo; a batch's cards share one (badges/logo.py)


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
    # A6 less the 6 mm office printers can't reach: four on A4 inside the printable area.
    "a4-4up": Sheet((210, 297), (99, 142.5), 2, 2, 6, 6),
}
PAD = 6.0  # mm from the badge's edge to anything printed: a badge's edge is a page's edge on badge printers
PT = 25.4 / 72  # mm per point
LEADING = 1.15  # line pitch over font size for wrapped lines
EPSILON = 0.01  # mm: measurements are floats (49.992000000000004 against 49.992 is no overflow)
BAND = 5.5  # mm below PAD where the event's name (and its colour band) ends on a badge without a logo
# With a logo the header is taller (landscape, portrait); the logo takes at most this share of its width.
LOGO_HEADER = (10.0, 14.0)  # mm: landscape, portrait
LOGO_SHARE = 0.4
LOGO_GAP = 2.0  # mm between the logo and the event's name


class Doc:
    """An FPDF with the fonts its texts need, and text that fits its box."""

    def __init__(self, page: tuple[float, float], texts: Iterable[str] | None = None) -> None:
        """``texts``: everything the document will print, when known, so Latin-1 text needs no embedded font."""
        self.pdf = FPDF(unit="mm", format=page)
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margin(0)
        self.fonts = use_fonts(self.pdf, texts)
        self.clean = self.fonts.clean

    def width(self, shown: str, style: str, size: float) -> float:
        self.fonts.set_font(style, size)
        return self.fonts.width(shown)

    def fitted(self, text: str, style: str, size: float, width: float, *, smallest: float = 7) -> float:
        """The largest font size up to ``size`` at which ``text`` fits ``width`` (names vary wildly)."""
        shown = self.fonts.prepare(text)
        measured = self.width(shown, style, size)
        if measured > width + EPSILON:
            size = max(smallest, size * width / measured)
            self.fonts.set_font(style, size)
        return size

    def _two_lines(self, shown: str, style: str, size: float) -> tuple[str, str, float]:
        """The split into two lines whose longer line is shortest, and that line's width at ``size``."""
        best: tuple[str, str, float] | None = None
        for first, second in _splits(shown):
            widest = max(self.width(first, style, size), self.width(second, style, size))
            if best is None or widest < best[2]:
                best = (first, second, widest)
        assert best is not None  # a text that overflows has at least two characters
        return best

    def text(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        text: str,
        style: str,
        size: float,
        align: str,
        *,
        lines: int = 1,
        smallest: float = 7,
    ) -> None:
        """``text`` in the box: on one line, shrunk to fit; else (``lines=2``) on two lines, shrunk to fit half
        the box each, if that prints larger; cut with an ellipsis only if even the smallest size is too wide."""
        room = w - 1
        shown = self.fonts.prepare(text)
        if align == "L" and right_to_left(shown):
            align = "R"  # a name in Arabic or Hebrew starts at the right
        measured = self.width(shown, style, size)
        if measured <= room + EPSILON:  # most texts: already set in the font they print in
            self.fonts.cell(x, y, w, h, shown, align)
            return
        one = size * room / measured  # widths scale with the size
        if lines == 1 or len(shown) < 2:
            self._line(x, y, w, h, shown, style, max(one, smallest), align, room, cut=one < smallest)
            return
        first, second, widest = self._two_lines(shown, style, size)
        cap = min(size, h / 2 / (PT * LEADING))
        two = cap if widest * cap / size <= room + EPSILON else size * room / widest
        if one >= two and one >= smallest:
            self._line(x, y, w, h, shown, style, one, align, room, cut=False)
            return
        cut = two < smallest
        if cut:  # the first line as full as it goes, the ellipsis on the second
            full = [split for split in _splits(shown) if self.width(split[0], style, smallest) <= room + EPSILON]
            if full:
                first, second = max(full, key=lambda split: len(split[0]))
            two = smallest
        self._line(x, y, w, h / 2, first, style, two, align, room, cut=cut)
        self._line(x, y + h / 2, w, h / 2, second, style, two, align, room, cut=cut)

    def _line(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        shown: str,
        style: str,
        size: float,
        align: str,
        room: float,
        *,
        cut: bool,
    ) -> None:
        """One line at ``size``; ``cut``: it may not fit even so, and ends in an ellipsis where it stops fitting."""
        self.fonts.set_font(style, size)
        if cut and self.fonts.width(shown) > room + EPSILON:
            ellipsis = self.fonts.ellipsis
            while shown and self.fonts.width(shown + ellipsis) > room + EPSILON:
                shown = shown[:-1]
            shown = shown.rstrip() + ellipsis
        self.fonts.cell(x, y, w, h, shown, align)


def _splits(text: str) -> list[tuple[str, str]]:
    """Where a line may break: at spaces, after hyphens, between CJK characters; between any two characters
    (never before a combining mark) only when there is no such place (one long word)."""
    places = [(text[:i].rstrip(), text[i + 1 :].lstrip()) for i, c in enumerate(text) if c == " " and i > 0]
    places += [(text[: i + 1], text[i + 1 :]) for i, c in enumerate(text[:-1]) if c in "-\u2010" and i > 0]
    places += [
        (text[:i], text[i:])
        for i in range(1, len(text))
        if script_of(text[i - 1]) in {"han", "kana"} or script_of(text[i]) in {"han", "kana"}
    ]
    places = [(a, b) for a, b in places if a and b]
    if not places:
        places = [(text[:i], text[i:]) for i in range(1, len(text)) if not unicodedata.combining(text[i])]
    return places or [(text, "")]


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
    height = f"{-module * 1.02 * k:.2f} re"
    # Each row, column and run length written once (the same numbers as per run, far fewer conversions).
    count = len(matrix) + 1
    xs = [f"{(origin_x + column * module) * k:.2f} " for column in range(count)]
    ys = [f"{(page_height - origin_y - row * module) * k:.2f} " for row in range(count)]
    widths = [f"{length * module * k:.2f} " for length in range(count)]
    path = " ".join(xs[column] + ys[row] + widths[length] + height for row, column, length in dark_runs(matrix))
    pdf._out(path + " f")  # fpdf2 has no public call for a raw path


def _draw_badge(doc: Doc, card: BadgeCard, x: float, y: float, w: float, h: float, *, guide: bool) -> None:
    """One badge, everything on it at least ``PAD`` inside its edges (``guide``: draw the cut line)."""
    pdf = doc.pdf
    pad = PAD
    inner = w - 2 * pad
    ribbon = min(14.0, h * 0.15)
    ribbon_y = y + h - pad - ribbon
    if guide:
        pdf.set_line_width(0.2)
        pdf.set_draw_color(200, 200, 200)
        pdf.rect(x, y, w, h)
    if card.logo is not None:
        header = LOGO_HEADER[1] if h > w else LOGO_HEADER[0]
        _logo_header(doc, card, card.logo, x + pad, y + pad, inner, header)
        lower = header - BAND  # what follows moves down by what the taller header adds
    elif card.brand_colour:
        # The event's colour as a band behind its name, the name in the ink that reads on it.
        pdf.set_fill_color(*_rgb(card.brand_colour))
        pdf.rect(x + pad, y + pad - 0.5, inner, 6, style="F")
        pdf.set_text_color(*_rgb(ink_for(card.brand_colour)))
        doc.text(x + pad + 1, y + pad, inner - 2, 5, card.event_name, "B", 9, "L")
        lower = 0.0
    else:
        pdf.set_text_color(60, 60, 60)
        doc.text(x + pad, y + pad, inner, 5, card.event_name, "B", 9, "L")
        lower = 0.0
    pdf.set_text_color(0, 0, 0)
    if h > w:  # portrait: the QR code's square shrinks only if the space below the names runs short
        top = y + pad + 8 + lower
        doc.text(x + pad, top, inner, 14, card.first_name, "B", 30, "C", lines=2)
        doc.text(x + pad, top + 14, inner, 11, card.last_name, "B", 20, "C", lines=2)
        doc.text(x + pad, top + 26, inner, 10, card.affiliation, "", 11, "C", lines=2)
        below_text, above_serial = top + 37, ribbon_y - 5
        qr_size = min(w * 0.5, above_serial - below_text - 4)
        qr_x, qr_y = x + (w - qr_size) / 2, (below_text + above_serial - qr_size) / 2
    else:  # landscape: the QR code (beside the names) gives up the height the logo's header takes
        qr_size = min(h - 2 * pad - ribbon - 12 - lower, w * 0.38)
        text_w = inner - qr_size - 3
        top = y + pad + 7 + lower
        doc.text(x + pad, top, text_w, 12, card.first_name, "B", 26, "L", lines=2)
        doc.text(x + pad, top + 12, text_w, 10, card.last_name, "B", 16, "L", lines=2)
        doc.text(x + pad, top + 23, text_w, 9, card.affiliation, "", 9, "L", lines=2)
        qr_x, qr_y = x + w - pad - qr_size, y + pad + 6 + lower
    draw_qr(pdf, card.token, qr_x, qr_y, qr_size)
    pdf.set_text_color(80, 80, 80)
    doc.text(qr_x, qr_y + qr_size, qr_size, 4, card.serial[:4] + "-" + card.serial[4:], "", 7, "C")
    pdf.set_fill_color(*_rgb(card.ribbon))
    pdf.rect(x + pad, ribbon_y, inner, ribbon, style="F")
    pdf.set_text_color(*_rgb(ink_for(card.ribbon)))  # black on a pale ribbon, white on a dark one
    doc.text(x + pad, ribbon_y, inner, ribbon, card.category.upper(), "B", 14, "C")
    pdf.set_text_color(0, 0, 0)


def _logo_header(doc: Doc, card: BadgeCard, logo: BadgeLogo, x: float, y: float, w: float, h: float) -> None:
    """The header of a badge with a logo, ``w`` x ``h`` mm from (x, y): the logo at its left, as large as fits
    ``LOGO_SHARE`` of the width and the whole height undistorted, and the event's name (in its colour band, if
    any) on up to two lines beside it."""
    pdf = doc.pdf
    logo_w, logo_h = fitted(logo, w * LOGO_SHARE, h)
    # The same bytes for every badge: fpdf2 finds them in its image cache and decodes the logo once per PDF.
    pdf.image(logo.png, x=x, y=y + (h - logo_h) / 2, w=logo_w, h=logo_h)
    name_x = x + logo_w + LOGO_GAP
    name_w = x + w - name_x
    name_h = 10.0  # two lines of 9 pt
    name_y = y + (h - name_h) / 2
    if card.brand_colour:
        pdf.set_fill_color(*_rgb(card.brand_colour))
        pdf.rect(name_x, y, name_w, h, style="F")
        pdf.set_text_color(*_rgb(ink_for(card.brand_colour)))
        doc.text(name_x + 1, name_y, name_w - 2, name_h, card.event_name, "B", 9, "L", lines=2)
    else:
        pdf.set_text_color(60, 60, 60)
        doc.text(name_x, name_y, name_w, name_h, card.event_name, "B", 9, "L", lines=2)


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
    doc = Doc(sheet.page, printed)
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
        _draw_badge(doc, card, x, y, *sheet.badge, guide=per_page > 1)
        if progress is not None:
            progress(index + 1, len(cards))
    return bytes(doc.pdf.output())
