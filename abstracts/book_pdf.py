"""The abstract book: every accepted abstract, by session (talks in order) and poster board, then an author
index with the abstract numbers of each author. A pure renderer (``render_book``) over plain values, drawn
with fpdf2 and the fonts badges use (``podium.pdf_fonts``: Helvetica for Latin-1 text, else Noto faces per
script, with text shaping where a script needs it), so a name in any script prints.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fpdf import FPDF

from podium.pdf_fonts import use_fonts

MARGIN = 18.0  # mm
WIDTH = 210.0 - 2 * MARGIN
FIGURE_HEIGHT = 90.0  # mm: the most a figure takes of a page
# Where a word too wide for the column (a URL) is best broken: after one of these.
BREAK_AFTER = frozenset("/-._?&=,")


@dataclass(frozen=True, slots=True)
class BookEntry:
    number: int | None
    title: str
    authors: Sequence[str]  # names in the abstract's order
    institutions: Sequence[str]
    body: str
    slot: str  # "Talk 1 · 15 min" or "Board P-01"
    figure: bytes | None = None  # PNG or JPEG as stored (``abstracts.figures`` re-encoded it)


@dataclass(frozen=True, slots=True)
class BookSection:
    heading: str  # the session's title
    when: str  # its day, time and room as text
    entries: Sequence[BookEntry]


@dataclass(frozen=True, slots=True)
class Book:
    title: str
    sections: Sequence[BookSection]


def _texts(book: Book) -> list[str]:
    texts = [book.title, "Author index"]
    for section in book.sections:
        texts += [section.heading, section.when]
        for entry in section.entries:
            texts += [entry.title, entry.body, entry.slot, *entry.authors, *entry.institutions]
    return texts


def author_index(book: Book) -> list[tuple[str, list[str]]]:
    """Each author (sorted by name, case-insensitively) with the numbers of their abstracts."""
    found: dict[str, list[str]] = defaultdict(list)
    for section in book.sections:
        for entry in section.entries:
            for name in dict.fromkeys(entry.authors):
                found[name].append(str(entry.number) if entry.number else "-")
    return sorted(found.items(), key=lambda item: (item[0].casefold(), item[0]))


def _width(pdf: FPDF, widths: dict[tuple[str, str, float], float], word: str, style: str, size: float) -> float:
    key = (word, style, size)
    found = widths.get(key)
    if found is None:
        found = widths[key] = pdf.get_string_width(word)
    return found


def _pieces(word: str, width_of: Callable[[str], float], room: float) -> list[str]:
    """A word wider than the column (a URL, a long chemical name) in pieces that fit: broken after a ``/``,
    ``-``, ``.``, ``_``, ``?``, ``&``, ``=`` or ``,`` when one is in the piece's second half, else between any two
    characters. Characters are measured one at a time (cached), so a piece's width is their sum."""
    pieces: list[str] = []
    start, used, soft = 0, 0.0, -1  # soft: the last break opportunity in the current piece (index after it)
    index = 0
    while index < len(word):
        wide = width_of(word[index])
        if used + wide > room and index > start:
            cut = soft if soft > start + (index - start) // 2 else index
            pieces.append(word[start:cut])
            start, soft = cut, -1
            used = sum(width_of(char) for char in word[start:index])
            continue
        used += wide
        index += 1
        if word[index - 1] in BREAK_AFTER:
            soft = index
    pieces.append(word[start:])
    return pieces


def _lines(text: str, width_of: Callable[[str], float]) -> list[str]:
    """The text broken into lines that fit the column, measuring each word once.

    fpdf2's ``multi_cell`` measures the line it is filling again for every character it adds, so a paragraph
    of a thousand characters cost about half a second, and even one line at a time it measures each line ~90
    times (18 s for a 150-abstract book either way; 1,500 would take minutes). Here each distinct word is
    measured once (cached for the whole book) and each line is set with ``cell``, which measures it once. A
    word wider than the column on its own is broken (``_pieces``) instead of running off the page."""
    room = WIDTH - 1
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split(" ")
        current: list[str] = []
        used = 0.0
        space = width_of(" ")
        for word in words:
            wide = width_of(word)
            if wide > room:
                *full, word = _pieces(word, width_of, room)
                if current:
                    lines.append(" ".join(current))
                lines.extend(full)
                current, used = [], 0.0
                wide = width_of(word)
            needed = wide if not current else used + space + wide
            if current and needed > room:
                lines.append(" ".join(current))
                current, used = [word], wide
            else:
                current.append(word)
                used = needed
        lines.append(" ".join(current))
    return lines


def render_book(book: Book) -> bytes:
    """The book as a PDF: a title page line, each section with its entries, and the author index."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN)
    fonts = use_fonts(pdf, _texts(book))
    pdf.add_page()

    widths: dict[tuple[str, str, float], float] = {}

    def write(text: str, style: str, size: float, height: float) -> None:
        shown = fonts.prepare(text)
        fonts.set_font(style, size)
        for line in _lines(shown, lambda word: _width(pdf, widths, word, style, size)):
            pdf.cell(WIDTH, height, line, new_x="LMARGIN", new_y="NEXT")

    write(book.title, "B", 20, 9)
    pdf.ln(4)
    for section in book.sections:
        write(section.heading, "B", 15, 7)
        if section.when:
            write(section.when, "", 10, 5)
        pdf.ln(2)
        for entry in section.entries:
            number = f"{entry.number}. " if entry.number else ""
            write(f"{number}{entry.title}", "B", 11.5, 5.5)
            write(", ".join(entry.authors), "", 10, 5)
            if entry.institutions:
                write("; ".join(entry.institutions), "", 9, 4.5)
            write(entry.slot, "", 9, 4.5)
            write(entry.body, "", 10, 5)
            if entry.figure:
                pdf.ln(1)
                # Fitted into a box of the column's width and at most FIGURE_HEIGHT, keeping its proportions;
                # fpdf2 starts a new page first when the box doesn't fit on this one.
                pdf.image(io.BytesIO(entry.figure), w=WIDTH, h=FIGURE_HEIGHT, keep_aspect_ratio=True)
            pdf.ln(3)
    pdf.add_page()
    write("Author index", "B", 15, 7)
    pdf.ln(2)
    for name, numbers in author_index(book):
        write(f"{name}  {', '.join(numbers)}", "", 10, 5)
    return bytes(pdf.output())
