"""``Fonts.cell`` writes a Helvetica line as one text operator: it must land where fpdf2's own ``cell`` puts it.

Both ways draw the same lines (each alignment, bold and regular, with borders) into two PDFs; poppler's
``pdftotext -bbox`` reads back every word's box, and the boxes must match, as must the drawn border lines.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fpdf import FPDF

from podium.pdf_fonts import use_fonts

LINES = [
    ("L", "", 11, "Annual Meeting 2027", ""),
    ("R", "B", 12, "$1,234.50", "T"),
    ("C", "", 9, "Société Savante (Zürich)", "B"),
    ("L", "B", 18, "Receipt AM2027-000001", "TB"),
]


def _draw(fast: bool) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_compression(False)  # the content stream stays readable for ``_lines_drawn``
    fonts = use_fonts(pdf, [line[3] for line in LINES])
    assert not fonts.unicode  # every text is Latin-1: Helvetica, the fast path under test
    pdf.add_page()
    for n, (align, style, size, text, border) in enumerate(LINES):
        fonts.set_font(style, size)
        shown = fonts.prepare(text)
        x, y, w, h = 15 + 3 * n, 20 + 12 * n, 150, 7 + n
        if fast:
            fonts.cell(x, y, w, h, shown, align, border)
        else:
            pdf.set_xy(x, y)
            pdf.cell(w, h, shown, border=border or 0, align=align)
    return bytes(pdf.output())


def _word_boxes(pdf: bytes, tmp_path: Path, name: str) -> list[str]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.findall(r"<word [^>]*>[^<]*</word>", html)


def _lines_drawn(pdf: bytes) -> list[str]:
    """The stroked paths (``x y m x y l S``) in the page's uncompressed content."""
    return sorted(re.findall(r"[\d.]+ [\d.]+ m [\d.]+ [\d.]+ l S", pdf.decode("latin-1")))


def test_the_helvetica_fast_path_puts_each_word_where_fpdf2s_cell_does(tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext missing: install the Debian package poppler-utils to read the PDFs' word boxes")
    fast, general = _draw(fast=True), _draw(fast=False)
    assert b"Td" in fast and fast != general  # really written differently
    fast_words, cell_words = _word_boxes(fast, tmp_path, "fast"), _word_boxes(general, tmp_path, "cell")
    assert len(fast_words) == 9
    assert fast_words == cell_words
    assert _lines_drawn(fast) == _lines_drawn(general)
    assert len(_lines_drawn(fast)) == 4
