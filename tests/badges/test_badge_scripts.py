"""Badges for every name: each script prints on every layout and reads back (pdftotext), every QR decodes
(poppler + zbar), one badge per script is rendered to PNG and its name's place has ink, names that fit are
never cut, long ones wrap before any ellipsis, and nothing prints within 6 mm of a page's edge."""

from __future__ import annotations

import logging
import re
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import anyio
import pytest
from PIL import Image

from badges.pdf import PAD, SHEETS, BadgeCard, Doc, Layout, render_badges
from podium import pdf_fonts
from podium.pdf_fonts import FACES, face_path, missing_fonts, report_missing_fonts
from tests.badges.test_badge_documents import read_qr_codes
from tests.pdf_reading import tool

# (script, first name, last name, affiliation): everyday names and institutions in each script.
PEOPLE = (
    ("latin", "Christoph", "Müller-Lüdenscheidt", "Max-Planck-Institut für Molekulare Zellbiologie und Genetik"),
    ("greek", "Αλέξανδρος", "Παπαδόπουλος", "Εθνικό και Καποδιστριακό Πανεπιστήμιο Αθηνών"),
    ("cyrillic", "Александр", "Иванов", "Московский государственный университет"),
    ("chinese", "伟", "张", "北京大学生命科学学院"),
    ("japanese", "はなこ", "山田", "東京大学大学院医学系研究科"),
    ("korean", "민준", "김", "서울대학교 의과대학"),
    ("arabic", "محمد", "عبد الله", "جامعة الملك سعود"),
    ("hebrew", "דוד", "כהן", "האוניברסיטה העברית בירושלים"),
    ("devanagari", "अमिताभ", "बच्चन", "अखिल भारतीय आयुर्विज्ञान संस्थान"),
)
LAYOUTS: tuple[Layout, ...] = ("4x3", "a6", "letter-6up", "a4-4up")
MM = 72 / 25.4  # points per millimetre


def _card(index: int, first: str, last: str, affiliation: str) -> BadgeCard:
    return BadgeCard(
        first_name=first, last_name=last, affiliation=affiliation, category="Member", ribbon="#1F6FB2",
        event_name="Annual Meeting 2027", event_dates="12-16 April 2027", serial=f"SCRIPT{index:02d}",
        token=f"PODIUM-SCRIPT-TEST-{index:02d}", version=1,
    )  # fmt: skip


CARDS = [_card(i, first, last, affiliation) for i, (_, first, last, affiliation) in enumerate(PEOPLE)]


def _normalized(text: str) -> str:
    """Text compared as people read it: compatibility forms folded (Arabic presentation forms are the same
    letters), and no spaces or bidi controls (pdftotext adds them around right-to-left runs and clusters)."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(c for c in folded if not c.isspace() and unicodedata.category(c) != "Cf")


def _pdftotext(pdf: bytes, *options: str) -> str:
    pdftotext = tool("pdftotext", "poppler-utils")
    return subprocess.run([pdftotext, *options, "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


@pytest.fixture(scope="module")
def fonts_installed() -> None:
    if missing_fonts():
        pytest.fail("; ".join(missing_fonts()))  # the project installs them: a missing one is a broken install


@pytest.fixture(scope="module")
def rendered(fonts_installed: None) -> dict[str, bytes]:
    return {layout: render_badges(CARDS, layout) for layout in LAYOUTS}


def _badge_text(pdf: bytes, layout: Layout, index: int) -> str:
    """The text pdftotext reads inside one badge's place on its sheet (side by side badges stay apart)."""
    sheet = SHEETS[layout]
    page, slot = divmod(index, sheet.columns * sheet.rows)
    x = sheet.left + slot % sheet.columns * sheet.badge[0]
    y = sheet.top + slot // sheet.columns * sheet.badge[1]
    area = [round(v * MM) for v in (x, y, *sheet.badge)]
    crop = ["-r", "72", "-x", str(area[0]), "-y", str(area[1]), "-W", str(area[2]), "-H", str(area[3])]
    return _pdftotext(pdf, "-f", str(page + 1), "-l", str(page + 1), *crop)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_names_in_every_script_read_back_from_every_layout(layout: Layout, rendered: dict[str, bytes]) -> None:
    texts = [_normalized(_badge_text(rendered[layout], layout, index)) for index in range(len(CARDS))]

    absent = [
        (script, part)
        for (script, first, last, affiliation), text in zip(PEOPLE, texts, strict=True)
        for part in (first, last, affiliation)
        if _normalized(part) not in text
    ]

    assert absent == []
    assert [text for text in texts if "…" in text or "..." in text] == []


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_every_qr_on_every_page_decodes(layout: Layout, rendered: dict[str, bytes], tmp_path: Path) -> None:
    sheet = SHEETS[layout]
    pages = -(-len(CARDS) // (sheet.columns * sheet.rows))

    read = [code for page in range(1, pages + 1) for code in await read_qr_codes(rendered[layout], tmp_path, page=page)]

    assert sorted(read) == sorted(card.token for card in CARDS)


async def test_one_badge_per_script_has_ink_where_its_names_are(fonts_installed: None, tmp_path: Path) -> None:
    """Rendered to PNG (kept in the test's folder to look at): the first name's, last name's and affiliation's
    places are not blank, as they were when Chinese, Japanese and Korean printed nothing."""
    pdftoppm = tool("pdftoppm", "poppler-utils")
    dpi = 100
    pdf = tmp_path / "scripts.pdf"
    await anyio.Path(pdf).write_bytes(render_badges(CARDS, "4x3"))
    await anyio.run_process([pdftoppm, "-r", str(dpi), "-png", str(pdf), str(tmp_path / "badge")])
    pngs = sorted([path async for path in anyio.Path(tmp_path).glob("badge-*.png")])

    def inked(image: Image.Image, top_mm: float, height_mm: float) -> int:
        """Dark pixels in the text column (left of the QR code) between these heights."""
        px = dpi / 25.4
        box = (round(PAD * px), round(top_mm * px), round(55 * px), round((top_mm + height_mm) * px))
        return sum(image.crop(box).convert("L").histogram()[:128])

    ink = {}
    for (script, *_), png in zip(PEOPLE, pngs, strict=True):
        with Image.open(png) as image:
            ink[script] = [inked(image, PAD + 7, 12), inked(image, PAD + 19, 10), inked(image, PAD + 30, 9)]

    assert len(pngs) == len(PEOPLE)
    assert {script: [count > 40 for count in counts] for script, counts in ink.items()} == {
        script: [True, True, True] for script, *_ in PEOPLE
    }


@pytest.mark.parametrize("unicode", [False, True], ids=["helvetica", "noto"])
def test_a_name_that_fits_is_never_cut(unicode: bool) -> None:
    """Shrunk to fit exactly, a name measures its box give or take a float's last bit (49.992000000000004
    against 49.992): that is no overflow, so no "Christoph…" or "Alexand…"."""
    names = ["Christoph", "Alexander", "Jean-Baptiste", "Alexandra", "Maximilian"]
    doc = Doc((210, 297), [*names, "Łukasz" if unicode else "Lukas"])
    doc.pdf.add_page()
    fractions = [0.5 + step / 100 for step in range(51)]  # from half the room a name wants up to all of it
    for row, (name, fraction) in enumerate((n, f) for n in names for f in fractions):
        natural = doc.width(doc.fonts.prepare(name), "B", 26)
        page, slot = divmod(row, 50)
        if slot == 0 and page:
            doc.pdf.add_page()
        doc.text(10, 10 + slot * 5.5, natural * fraction + 1, 5, name, "B", 26, "L")

    lines = [line.strip() for line in _pdftotext(bytes(doc.pdf.output())).splitlines() if line.strip()]

    assert doc.fonts.unicode is unicode
    assert lines == [name for name in names for _ in fractions]


def test_long_names_and_affiliations_wrap_to_two_lines_before_any_ellipsis(fonts_installed: None) -> None:
    card = _card(0, "Maria Guadalupe Fernanda", "Rodríguez de la Fuente y Castillo", PEOPLE[0][3] + ", Dresden")
    cut = _card(1, "Ann", "Lee", "The " + "Very " * 40 + "Long Institute")

    text = _pdftotext(render_badges([card, cut], "4x3"), "-layout")
    pages = [" ".join(page.split()) for page in text.split("\f")]

    assert pages[0].count("…") == 0
    for part in (card.affiliation, card.first_name, card.last_name):
        assert all(word in pages[0] for word in part.split())
    # Two lines, neither one: the affiliation's first words on one line, its last ones on the next.
    assert re.search(r"Max-Planck-Institut für Molekulare\s*\n", text.split("\f")[0])
    # What two lines at the smallest size can't hold is cut, once, at the end (Helvetica's ellipsis: Latin-1).
    assert pages[1].count("...") == 1 and pages[1].index("...") > pages[1].index("Very " * 12)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_nothing_prints_within_6_mm_of_the_page_edge(
    layout: Layout, rendered: dict[str, bytes], tmp_path: Path
) -> None:
    """Measured from the PDF: every word's box (pdftotext -bbox) and every dark or coloured pixel (the QR
    codes, the ribbons; light grey cut guides excepted) at least 6 mm inside the page."""
    width, height = SHEETS[layout].page
    pdf = rendered[layout]
    root = ET.fromstring(re.sub(r'\sxmlns="[^"]+"', "", _pdftotext(pdf, "-bbox"), count=1))  # noqa: S314 (ours)
    words = [
        tuple(float(w.attrib[corner]) / MM for corner in ("xMin", "yMin", "xMax", "yMax")) for w in root.iter("word")
    ]
    pdftoppm = tool("pdftoppm", "poppler-utils")
    subprocess.run([pdftoppm, "-r", "50", "-png", "-", str(tmp_path / "page")], input=pdf, check=True)
    inked_margin = 0
    for png in sorted(tmp_path.glob("page-*.png")):
        with Image.open(png) as image:
            rgb = image.convert("RGB")
            px = rgb.width / width
            edge = int(6 * px) - 1  # a pixel's worth of anti-aliasing
            for y in range(rgb.height):
                for x in range(rgb.width):
                    if edge <= x < rgb.width - edge and edge <= y < rgb.height - edge:
                        continue
                    pixel = rgb.getpixel((x, y))
                    assert isinstance(pixel, tuple)  # an RGB image's pixel is a tuple of channels
                    inked_margin += min(pixel) < 160

    assert len(words) > 9 * 5
    assert min(x0 for x0, _, _, _ in words) >= 6
    assert min(y0 for _, y0, _, _ in words) >= 6
    assert max(x1 for _, _, x1, _ in words) <= width - 6
    assert max(y1 for _, _, _, y1 in words) <= height - 6
    assert inked_margin == 0


def test_a_missing_font_package_is_named_and_the_badge_still_renders(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    absent = pdf_fonts.Face("NotoKR", "some-korean-fonts", "no_such_font_package", "x.otf", "Korean")
    monkeypatch.setattr(pdf_fonts, "KOREAN", absent)
    monkeypatch.setattr(pdf_fonts, "FACES", (*FACES[:-1], absent))

    messages = missing_fonts()
    with caplog.at_level(logging.WARNING, logger="podium.pdf_fonts"):
        report_missing_fonts()  # what the app does at start-up
    pdf = render_badges([CARDS[0], CARDS[5]], "4x3")

    assert face_path(absent) is None
    assert [m for m in messages if "some-korean-fonts" in m] == [
        "PDF font package some-korean-fonts is not installed: Korean names on badges, receipts and certificates "
        "print as empty boxes (pip install some-korean-fonts, or reinstall Podium)"
    ]
    assert [r.getMessage() for r in caplog.records if r.name == "podium.pdf_fonts"] == messages
    assert "Christoph" in _pdftotext(pdf)


@pytest.mark.parametrize("layout", ["letter-6up", "a4-4up"])
def test_every_badge_on_a_sheet_has_its_cut_guide(layout: Layout, rendered: dict[str, bytes], tmp_path: Path) -> None:
    """The light grey cut line on all four sides of every badge on the first sheet, also after a badge whose
    last text was bold in Noto (stroked in white, on the ribbon)."""
    sheet = SHEETS[layout]
    dpi = 100
    pdftoppm = tool("pdftoppm", "poppler-utils")
    subprocess.run(
        [pdftoppm, "-r", str(dpi), "-f", "1", "-l", "1", "-png", "-singlefile", "-", str(tmp_path / "sheet")],
        input=rendered[layout],
        check=True,
    )
    px = dpi / 25.4
    missing: list[tuple[int, str]] = []
    with Image.open(tmp_path / "sheet.png") as image:
        grey = image.convert("L")
        for slot in range(sheet.columns * sheet.rows):
            x = sheet.left + slot % sheet.columns * sheet.badge[0]
            y = sheet.top + slot // sheet.columns * sheet.badge[1]
            w, h = sheet.badge
            for side, (mx, my) in {
                "top": (x + w / 2, y), "bottom": (x + w / 2, y + h), "left": (x, y + h / 2), "right": (x + w, y + h / 2)
            }.items():  # fmt: skip
                around = grey.crop((round(mx * px) - 2, round(my * px) - 2, round(mx * px) + 3, round(my * px) + 3))
                darkest = around.getextrema()[0]
                assert isinstance(darkest, int)  # a greyscale image has one band: (darkest, lightest)
                if darkest >= 240:  # the darkest pixel there: white, no line
                    missing.append((slot, side))

    assert missing == []
