"""The fonts a PDF is written in (badges, receipts, certificates), chosen per script of what it prints.

Helvetica when every text fits Latin-1: every PDF reader has it built in, so nothing is embedded (a badge
takes ~4 ms instead of ~130 ms parsing and subsetting a TrueType font). Otherwise Noto Sans, with one Noto
face per further script present (Arabic, Hebrew, Devanagari, Chinese, Japanese, Korean) as fpdf2 fallback
fonts, loaded only when a text needs it (a CJK face costs ~0.3 s to parse), and HarfBuzz shaping (uharfbuzz)
when a text is right to left or Indic, so Arabic joins and Hebrew and Arabic read right to left.

The faces come from Python packages the project depends on (``FACES``); a missing one is reported once at
start-up (``missing_fonts``) and its script prints as the font's empty boxes, the rest of the document as
usual. The packages carry one weight only (Noto Sans is variable, and fpdf2 needs ~6 s to instance its bold),
so bold is drawn by also stroking the glyph outlines, the same for every script.
"""

from __future__ import annotations

import importlib.util
import logging
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fpdf import FPDF

logger = logging.getLogger("podium.pdf_fonts")


@dataclass(frozen=True)
class Face:
    """One font file, found inside an installed package, and the scripts it prints."""

    family: str  # the name it is added to a PDF under
    package: str  # the pip distribution that ships it
    module: str  # its importable module, whose folder holds the file
    filename: str
    scripts: str  # what it prints, for the start-up message


SANS = Face("NotoSans", "manimgx-fonts", "manimgx_fonts", "NotoSans[wght].ttf", "Latin, Greek and Cyrillic")
ARABIC = Face("NotoArabic", "manimgx-fonts", "manimgx_fonts", "NotoSansArabic[wght].ttf", "Arabic")
HEBREW = Face("NotoHebrew", "manimgx-fonts", "manimgx_fonts", "NotoSansHebrew[wght].ttf", "Hebrew")
DEVANAGARI = Face("NotoDeva", "manimgx-fonts", "manimgx_fonts", "NotoSansDevanagari[wght].ttf", "Devanagari")
CHINESE = Face("NotoSC", "pylopdf-fonts-zh-cn", "pylopdf_fonts_zh_cn", "NotoSansSC-Regular.otf", "Chinese")
JAPANESE = Face("NotoJP", "pylopdf-fonts-jp", "pylopdf_fonts_jp", "NotoSansJP-Regular.otf", "Japanese")
KOREAN = Face("NotoKR", "pylopdf-fonts-ko", "pylopdf_fonts_ko", "NotoSansKR-Regular.otf", "Korean")
# Noto Sans has Greek, ± ° µ and the multiplication sign but no mathematical operators (≤ ≥ √ ∞ ∑ ∫ ≈); DejaVu
# Sans has them all. It is a system font (Debian's fonts-dejavu-core, ``DEJAVU`` below): a face with no module
# is looked up there.
MATH = Face("DejaVuMath", "fonts-dejavu-core", "", "DejaVuSans.ttf", "mathematical symbols")
FACES = (SANS, ARABIC, HEBREW, DEVANAGARI, MATH, CHINESE, JAPANESE, KOREAN)

# Debian/Ubuntu (fonts-dejavu-core), Fedora and Arch paths: Latin, Greek and Cyrillic without manimgx-fonts.
DEJAVU = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)

# Code point ranges of the scripts that need a face of their own, and whether they need shaping.
_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0590, 0x05FF, "hebrew"),
    (0x0600, 0x06FF, "arabic"),
    (0x0750, 0x077F, "arabic"),
    (0x08A0, 0x08FF, "arabic"),
    (0x0900, 0x097F, "devanagari"),
    (0x2190, 0x23FF, "math"),  # arrows, mathematical operators, technical symbols
    (0x27C0, 0x27FF, "math"),
    (0x2980, 0x2AFF, "math"),
    (0x1100, 0x11FF, "hangul"),
    (0x2E80, 0x2FDF, "han"),
    (0x3000, 0x303F, "han"),
    (0x3040, 0x30FF, "kana"),
    (0x3130, 0x318F, "hangul"),
    (0x31F0, 0x31FF, "kana"),
    (0x3400, 0x4DBF, "han"),
    (0x4E00, 0x9FFF, "han"),
    (0xA8E0, 0xA8FF, "devanagari"),
    (0xA960, 0xA97F, "hangul"),
    (0xAC00, 0xD7FF, "hangul"),
    (0xF900, 0xFAFF, "han"),
    (0xFB1D, 0xFB4F, "hebrew"),
    (0xFB50, 0xFDFF, "arabic"),
    (0xFE70, 0xFEFF, "arabic"),
    (0xFF00, 0xFF65, "han"),
    (0xFF66, 0xFF9F, "kana"),
    (0x20000, 0x3FFFF, "han"),
)
SHAPED = frozenset({"arabic", "hebrew", "devanagari"})
RIGHT_TO_LEFT = frozenset({"arabic", "hebrew"})


def script_of(char: str) -> str | None:
    """The script needing its own face that ``char`` belongs to, or None (Noto Sans prints it)."""
    point = ord(char)
    if point < 0x0590:
        return None
    for low, high, script in _RANGES:
        if low <= point <= high:
            return script
    return None


def scripts_of(text: str) -> frozenset[str]:
    return frozenset(script for script in map(script_of, text) if script is not None)


def right_to_left(text: str) -> bool:
    """Whether ``text`` reads right to left: its first letter is Arabic or Hebrew (Unicode's bidi rule P2)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def faces_for(scripts: Iterable[str]) -> list[Face]:
    """The fallback faces for a text's scripts, one per script (a CJK face takes ~0.3 s to load): kana make
    Han Japanese, Hangul make it Korean (hanja), otherwise Han prints in the Chinese face."""
    found = set(scripts)
    own = (("arabic", ARABIC), ("hebrew", HEBREW), ("devanagari", DEVANAGARI), ("math", MATH))
    faces = [face for script, face in own if script in found]
    if "kana" in found:
        faces.append(_installed(JAPANESE, CHINESE, KOREAN))
    if "hangul" in found:
        faces.append(_installed(KOREAN, CHINESE, JAPANESE))
    if "han" in found and not found & {"kana", "hangul"}:
        faces.append(_installed(CHINESE, JAPANESE, KOREAN))
    return faces


def _installed(*order: Face) -> Face:
    """The first of these faces that is installed (each has the others' Han and kana), else the first."""
    return next((face for face in order if face_path(face) is not None), order[0])


@cache
def face_path(face: Face) -> Path | None:
    """The face's file, or None when its package is not installed (the package is not imported: only found)."""
    if not face.module:
        return dejavu()
    try:
        spec = importlib.util.find_spec(face.module)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).with_name(face.filename)
    return path if path.is_file() else None


def dejavu() -> Path | None:
    return next((path for path in DEJAVU if path.is_file()), None)


def unicode_font() -> Path | None:
    """The font non-Latin-1 Latin, Greek and Cyrillic text prints in, if any is installed."""
    return face_path(SANS) or dejavu()


@cache
def shaping_available() -> bool:
    return importlib.util.find_spec("uharfbuzz") is not None


def missing_fonts() -> list[str]:
    """One sentence per missing font package (and for missing shaping), saying what won't print and the fix."""
    missing: dict[str, list[str]] = {}
    for face in FACES:
        if face_path(face) is None:
            missing.setdefault(face.package, []).append(face.scripts)
    system = {face.package for face in FACES if not face.module}
    sentences = [
        f"PDF font package {package} is not installed: {', '.join(scripts)} names on badges, receipts and "
        f"certificates print as empty boxes "
        f"({'install the system package' if package in system else 'pip install'} {package}, or reinstall Podium)"
        for package, scripts in missing.items()
    ]
    if not shaping_available():
        sentences.append(
            "uharfbuzz is not installed: Arabic and Hebrew names print unjoined and left to right, Devanagari "
            "unshaped (pip install uharfbuzz, or reinstall Podium)"
        )
    return sentences


def report_missing_fonts() -> None:
    """Log, once at start-up, each font a PDF may need and can't have, so the gap is seen before a badge."""
    for sentence in missing_fonts():
        logger.warning("%s", sentence)


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


class Fonts:
    """The fonts of one document: ``set_font`` for a style and size, ``prepare`` before printing each text
    (it picks that text's fallback order), ``clean`` for each string, and ``family`` for the record."""

    def __init__(self, pdf: FPDF, family: str, clean: Callable[[str], str], *, unicode: bool) -> None:
        self.pdf = pdf
        self.family = family
        self.clean = clean
        self.unicode = unicode
        self.loaded: dict[Face, str] = {}
        self.shaping = False
        self._fallbacks: list[str] = []
        self._stroking = False  # whether text is stroked on ``_stroking_page``
        self._stroking_page = 0

    @property
    def ellipsis(self) -> str:
        return "…" if self.unicode else "..."

    def load(self, scripts: Iterable[str]) -> None:
        """Add the faces these scripts need, once each."""
        wanted = set(scripts)
        for face in faces_for(wanted):
            path = face_path(face)
            if face not in self.loaded and path is not None:
                self.pdf.add_font(face.family, "", str(path))
                self.loaded[face] = face.family

    def prepare(self, text: str) -> str:
        """``text`` cleaned, with the fallback faces for its scripts in their order of preference, and shaping
        on only if it needs it: fpdf2 sets a text with neither far faster (a mixed batch took about twice as long,
        in wall time on a busy machine, with shaping on for every text)."""
        if self.unicode:
            scripts = scripts_of(text)
            if scripts:
                self.load(scripts)
            fallbacks = [self.loaded[face] for face in faces_for(scripts) if face in self.loaded]
            if fallbacks != self._fallbacks:
                self.pdf.set_fallback_fonts(fallbacks)
                self._fallbacks = fallbacks
            shaped = bool(scripts & SHAPED) and shaping_available()
            if shaped != self.shaping:
                self.pdf.set_text_shaping(shaped)
                self.shaping = shaped
        return self.clean(text)

    def width(self, shown: str) -> float:
        """How wide ``shown`` (from ``prepare``) prints in the current font. Helvetica's widths come straight
        from its metrics, where ``FPDF.get_string_width`` first splits the text into styled fragments."""
        pdf = self.pdf
        font = pdf.current_font
        if self.unicode or font is None or pdf.char_spacing or pdf.font_stretching != 100:
            return pdf.get_string_width(shown)
        return font.get_text_width(shown, pdf.font_size_pt, None)[1] / pdf.k

    def cell(self, x: float, y: float, w: float, h: float, shown: str, align: str = "L", border: str = "") -> None:
        """One line of ``shown`` (from ``prepare``) in the box (x, y, w, h), where ``FPDF.cell`` puts it, with
        the box's ``border`` edges ("T", "B") drawn. A Helvetica document (one built-in face: nothing to fall
        back to, nothing to shape) writes it as one text operator: fpdf2's ``cell`` lays out every line in
        general (fragments, fallbacks, shaping), about five times the work, and a receipt is 25 such lines."""
        pdf = self.pdf
        if self.unicode:
            pdf.set_xy(x, y)
            pdf.cell(w, h, shown, border=border, align=align)
            return
        if shown:
            width = self.width(shown)
            if align == "R":
                left = x + w - pdf.c_margin - width
            elif align == "C":
                left = x + (w - width) / 2
            else:
                left = x + pdf.c_margin
            pdf.text(left, y + 0.5 * h + 0.3 * pdf.font_size, shown)  # cell's baseline
        for edge, at in (("T", y), ("B", y + h)):
            if edge in border:
                pdf.line(x, at, x + w, at)

    def set_font(self, style: str, size: float) -> None:
        """Helvetica has a real bold; the Unicode faces have one weight, so bold strokes the outlines too."""
        pdf = self.pdf
        if not self.unicode:
            pdf.set_font(self.family, style, size)
            return
        pdf.set_font(self.family, style.replace("B", ""), size)
        self._stroke(size if "B" in style else None)

    def _stroke(self, size: float | None) -> None:
        """Text drawn from here on is also stroked (``size``: in the text's colour, ~0.035 of its size, about
        Noto Sans Bold's weight), or no longer (None). The colour and width go through fpdf2, which keeps track
        of them for the lines drawn next; the text mode is written as a page operator, since fpdf2's own writes
        the stroke width in user units where PDF reads points."""
        pdf = self.pdf
        if pdf.page == 0:
            return
        if size is not None:
            text_colour = pdf.text_color
            colour = (0.0,) if text_colour is None else text_colour.colors  # None: fpdf2's default, black
            pdf.set_draw_color(*(round(c * 255) for c in (colour * 3 if len(colour) == 1 else colour[:3])))
            width = size * 0.035 / pdf.k
            if abs(pdf.line_width - width) > 1e-9:
                pdf.set_line_width(width)
        stroking = size is not None
        if stroking != (self._stroking and self._stroking_page == pdf.page):
            pdf._out("2 Tr" if stroking else "0 Tr")  # fpdf2 has no public call for text stroking that works
        self._stroking, self._stroking_page = stroking, pdf.page


def use_fonts(pdf: FPDF, texts: Iterable[str] | None = None) -> Fonts:
    """Set ``pdf`` up to print ``texts`` (everything the document will print, when known).

    Helvetica when every text is Latin-1, Noto Sans (or DejaVu Sans) with the faces the texts' scripts need
    otherwise; with no Unicode font installed at all, Helvetica with accents folded away (``latin1``).
    """
    materialised = None if texts is None else list(texts)
    if materialised is not None and fits_latin1(materialised):
        return Fonts(pdf, "Helvetica", str, unicode=False)
    font_path = unicode_font()
    if font_path is None:
        return Fonts(pdf, "Helvetica", latin1, unicode=False)
    pdf.add_font("Body", "", str(font_path))
    fonts = Fonts(pdf, "Body", str, unicode=True)
    if materialised is not None:
        fonts.load(frozenset().union(*map(scripts_of, materialised)))
    return fonts
