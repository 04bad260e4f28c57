"""The font a PDF is written in (receipts, badges): a PDF core font when every text fits Latin-1, else a
Unicode TrueType font, so attendees called Łukasz or 李 print as themselves.

Embedding DejaVu Sans costs ~75 ms per PDF (parsing and subsetting the TTF) against under 5 ms for
Helvetica, which every PDF reader has built in but which only knows Latin-1; so the Unicode font is loaded
only for documents that need it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from fpdf import FPDF

# Debian/Ubuntu (fonts-dejavu-core), Fedora and Arch paths.
UNICODE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)


def unicode_font() -> Path | None:
    return next((path for path in UNICODE_FONTS if path.is_file()), None)


def latin1(text: str) -> str:
    """Without a Unicode font: drop accents where that keeps the letter, else print a question mark."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return folded.encode("latin-1", "replace").decode("latin-1")


def fits_latin1(texts: Iterable[str]) -> bool:
    try:
        for text in texts:
            text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def use_fonts(pdf: FPDF, texts: Iterable[str] | None = None) -> tuple[str, Callable[[str], str]]:
    """Set ``pdf`` up to print ``texts`` and return ``(family, clean)`` for ``set_font`` and each string.

    Helvetica when every text is Latin-1 (``texts`` given), the Unicode font otherwise; with no Unicode font
    installed, Helvetica with accents folded away (``latin1``).
    """
    if texts is not None and fits_latin1(texts):
        return "Helvetica", str
    font_path = unicode_font()
    if font_path is None:
        return "Helvetica", latin1
    pdf.add_font("Body", "", str(font_path))
    bold = font_path.with_name("DejaVuSans-Bold.ttf")
    pdf.add_font("Body", "B", str(bold if bold.is_file() else font_path))
    return "Body", str
