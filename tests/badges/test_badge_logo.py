"""Badges carry the event's logo: on every layout, in the header beside the event's name, inside its box
(measured from the PDF: however wide or tall the logo, undistorted, 6 mm clear of the edge, clear of every
word and of the QR code); every QR still decodes and every name reads back; a batch decodes the logo once;
an event without a logo prints no image at all."""

from __future__ import annotations

import html
import io
import re
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import anyio
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from badges.logo import MAX_PIXELS, BadgeLogo, prepare_logo
from badges.pdf import LOGO_HEADER, LOGO_SHARE, PAD, SHEETS, BadgeCard, Layout, render_badges
from badges.printing import registration_cards
from events import brand
from events.models import Event
from podium.settings import Settings
from registration.models import Registration
from tests.badges.conftest import Client
from tests.badges.factories import BadgeEvent, add_registration
from tests.badges.test_badge_documents import _secrets, read_qr_codes
from tests.badges.test_badge_scripts import _badge_text, _normalized
from tests.pdf_reading import tool
from tests.registration.factories import db_session_for

LAYOUTS: tuple[Layout, ...] = ("4x3", "a6", "letter-6up", "a4-4up")
MM = 72 / 25.4  # points per millimetre
EPSILON = 0.02  # mm: the PDF writes points to two decimals
PEOPLE = (
    ("Christoph", "Müller-Lüdenscheidt", "Max-Planck-Institut für Molekulare Zellbiologie und Genetik"),
    ("Aiyana", "Whitehorse", "University of New Mexico"),
    ("José", "Ñúñez", "Universidad de Buenos Aires"),
    ("Olamide", "Adeyemi", "University of Ibadan"),
    ("Siobhán", "O'Callaghan", "Trinity College Dublin"),
    ("Margarethe", "Vandenberghe-Oosterhuis", "Katholieke Universiteit Leuven"),
)


def logo_png(size: tuple[int, int], *, transparent: bool = False) -> bytes:
    """A red logo with a blue disc, as ``events/brand.py`` stores one (PNG, RGBA)."""
    image = Image.new("RGBA", size, (0, 0, 0, 0) if transparent else (200, 30, 30, 255))
    ImageDraw.Draw(image).ellipse((0, 0, size[0] - 1, size[1] - 1), fill=(20, 20, 160, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _card(index: int, logo: BadgeLogo | None) -> BadgeCard:
    first, last, affiliation = PEOPLE[index]
    return BadgeCard(
        first_name=first, last_name=last, affiliation=affiliation, category="Member", ribbon="#1F6FB2",
        event_name="Annual Meeting of the International Society for Long Event Names 2027",
        event_dates="12-16 April 2027", serial=f"LOGO{index:04d}", token=f"PODIUM-LOGO-TEST-{index:02d}",
        version=1, brand_colour="#0b3d91" if index % 2 else None, logo=logo,
    )  # fmt: skip


def _cards(logo: BadgeLogo | None, count: int) -> list[BadgeCard]:
    """One badge per person, every other one in the event's colour."""
    return [_card(index, logo) for index in range(count)]


def _per_page(layout: Layout) -> int:
    return SHEETS[layout].columns * SHEETS[layout].rows


@dataclass(frozen=True)
class Box:
    """A rectangle on the page in mm, from its top-left corner."""

    x: float
    y: float
    w: float
    h: float

    def inside(self, other: Box) -> bool:
        return (
            self.x >= other.x - EPSILON
            and self.y >= other.y - EPSILON
            and self.x + self.w <= other.x + other.w + EPSILON
            and self.y + self.h <= other.y + other.h + EPSILON
        )

    def meets(self, other: Box) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )


def _first_page(pdf: bytes) -> bytes:
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            return zlib.decompress(match.group(1))
        except zlib.error:
            continue
    raise AssertionError("no page content")


def _placed(pdf: bytes, layout: Layout) -> tuple[list[Box], list[Box]]:
    """Where page 1 draws its images (``w 0 0 h x y cm /I Do``) and its QR codes (their white square), in mm."""
    content = _first_page(pdf).decode("latin-1")
    height = SHEETS[layout].page[1]
    number = r"(-?[\d.]+)"
    images = [
        Box(float(x) / MM, height - (float(y) + float(h)) / MM, float(w) / MM, float(h) / MM)
        for w, h, x, y in re.findall(rf"q {number} 0 0 {number} {number} {number} cm /I\d+ Do Q", content)
    ]
    squares = [
        Box(float(x) / MM, height - float(y) / MM, float(w) / MM, -float(h) / MM)
        for x, y, w, h in re.findall(rf"1 1 1 rg\n{number} {number} {number} {number} re f", content)
    ]
    return images, squares


async def _words(pdf: bytes) -> dict[str, list[Box]]:
    """Every word on page 1 and its box, in mm (pdftotext -bbox)."""
    pdftotext = tool("pdftotext", "poppler-utils")
    result = await anyio.run_process([pdftotext, "-bbox", "-f", "1", "-l", "1", "-", "-"], input=pdf)
    words: dict[str, list[Box]] = {}
    for attributes, word in re.findall(r"<word ([^>]*)>([^<]*)</word>", result.stdout.decode()):
        corners = dict(re.findall(r'(\w+)="([\d.]+)"', attributes))
        x0, y0, x1, y1 = (float(corners[name]) / MM for name in ("xMin", "yMin", "xMax", "yMax"))
        words.setdefault(html.unescape(word), []).append(Box(x0, y0, x1 - x0, y1 - y0))
    return words


async def _image_list(pdf: bytes) -> list[dict[str, str]]:
    """``pdfimages -list``: one row per image drawn (an image drawn on six badges is six rows, one object)."""
    pdfimages = tool("pdfimages", "poppler-utils")
    result = await anyio.run_process([pdfimages, "-list", "-"], input=pdf)
    header, _rule, *rows = result.stdout.decode().splitlines()
    names = header.split()  # "object ID" is two columns: the object's number and generation
    return [dict(zip(names, row.split(), strict=False)) for row in rows if row.split()[2] == "image"]


def _header_boxes(layout: Layout) -> list[Box]:
    """The logo's box on each badge of a page: PAD inside the badge, LOGO_SHARE of the width, the header's height."""
    sheet = SHEETS[layout]
    width, height = sheet.badge
    inner = width - 2 * PAD
    header = LOGO_HEADER[1] if height > width else LOGO_HEADER[0]
    return [
        Box(sheet.left + column * width + PAD, sheet.top + row * height + PAD, inner * LOGO_SHARE, header)
        for row in range(sheet.rows)
        for column in range(sheet.columns)
    ]


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_every_layout_prints_the_logo_and_still_reads_back(layout: Layout, tmp_path: Path) -> None:
    logo = prepare_logo(logo_png((800, 400), transparent=True))
    cards = _cards(logo, _per_page(layout))

    pdf = render_badges(cards, layout)
    images = await _image_list(pdf)
    codes = await read_qr_codes(pdf, tmp_path)
    # pdftotext joins a name wrapped after its hyphen without the hyphen: compare without hyphens.
    texts = [_normalized(_badge_text(pdf, layout, index)).replace("-", "") for index in range(len(cards))]

    assert [image["page"] for image in images] == ["1"] * len(cards)
    assert {image["object"] for image in images} == {images[0]["object"]}  # one image, drawn on every badge
    assert sorted(codes) == sorted(card.token for card in cards)
    assert [
        part
        for card, text in zip(cards, texts, strict=True)
        for part in (card.first_name, card.last_name, card.affiliation, card.event_name)
        if _normalized(part).replace("-", "") not in text
    ] == []
    assert [text for text in texts if "…" in text or "..." in text] == []


async def test_a_badge_without_a_logo_has_no_image(tmp_path: Path) -> None:
    for layout in LAYOUTS:
        cards = _cards(None, _per_page(layout))

        pdf = render_badges(cards, layout)

        assert await _image_list(pdf) == [], layout
        assert sorted(await read_qr_codes(pdf, tmp_path)) == sorted(card.token for card in cards), layout


@pytest.mark.parametrize("size", [(2000, 40), (40, 2000), (1, 1), (300, 300)], ids=["wide", "tall", "dot", "square"])
@pytest.mark.parametrize("layout", LAYOUTS)
async def test_the_logo_stays_in_its_box_undistorted_and_clear_of_text_and_qr(
    layout: Layout, size: tuple[int, int], tmp_path: Path
) -> None:
    logo = prepare_logo(logo_png(size))
    cards = _cards(logo, _per_page(layout))
    page_width, page_height = SHEETS[layout].page

    pdf = render_badges(cards, layout)
    images, qr_codes = _placed(pdf, layout)
    words = [box for boxes in (await _words(pdf)).values() for box in boxes]
    codes = await read_qr_codes(pdf, tmp_path)

    assert logo.width <= MAX_PIXELS[0] and logo.height <= MAX_PIXELS[1]
    assert abs(logo.width * size[1] - logo.height * size[0]) <= max(size)  # proportions kept, to a pixel
    assert len(images) == len(cards) and len(qr_codes) == len(cards)
    for image, header in zip(images, _header_boxes(layout), strict=True):
        assert image.inside(header), (image, header)
        assert image.x >= 6 - EPSILON and image.y >= 6 - EPSILON
        assert image.x + image.w <= page_width - 6 + EPSILON and image.y + image.h <= page_height - 6 + EPSILON
        assert image.w / image.h == pytest.approx(logo.width / logo.height, rel=0.01)
        # As large as the box allows: it fills the box's width or its height.
        assert image.w == pytest.approx(header.w, abs=EPSILON) or image.h == pytest.approx(header.h, abs=EPSILON)
        assert not [word for word in words if word.meets(image)]
        assert not [qr for qr in qr_codes if qr.meets(image)]
    assert sorted(codes) == sorted(card.token for card in cards)


async def test_a_batch_decodes_the_logo_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """fpdf2 keeps the image by its bytes: the second badge on finds it there, undecoded."""
    logo = prepare_logo(logo_png((800, 400), transparent=True))
    cards = [replace(card, serial=f"LOGO{index:04d}") for index in range(4) for card in _cards(logo, 6)]
    opened: list[object] = []
    real_open = Image.open

    def counting_open(*args: Any, **kwargs: Any) -> Image.Image:
        opened.append(args[0])
        return real_open(*args, **kwargs)

    monkeypatch.setattr(Image, "open", counting_open)
    pdf = render_badges(cards, "letter-6up")
    monkeypatch.undo()
    images = await _image_list(pdf)

    assert len(opened) == 1
    assert len(images) == 24
    assert len({image["object"] for image in images}) == 1


async def _give_logo(settings: Settings, badge_event: BadgeEvent, png: bytes) -> str:
    async with db_session_for(settings) as db_session:
        event = await brand.set_logo(db_session, badge_event.slug, png)
        digest = event.logo_digest
        await db_session.commit()
    assert digest is not None
    return digest


async def test_cards_share_the_events_logo_prepared_once(settings: Settings, badge_event: BadgeEvent) -> None:
    first = await add_registration(settings, badge_event, first_name="Ada", last_name="Lovelace")
    second = await add_registration(settings, badge_event, first_name="Mary", last_name="Somerville")
    digest = await _give_logo(settings, badge_event, logo_png((1600, 400)))

    async with db_session_for(settings) as db_session:
        registrations = (
            await db_session.scalars(select(Registration).where(Registration.id.in_([first, second])))
        ).all()
        cards = await registration_cards(db_session, registrations, settings.secret_key)
        again = await registration_cards(db_session, registrations, settings.secret_key)

    [logo] = {id(card.logo): card.logo for card in [*cards, *again]}.values()
    assert logo is not None
    assert (logo.digest, logo.width, logo.height) == (digest, 480, 120)


async def test_cards_of_an_event_without_a_logo_carry_none(settings: Settings, badge_event: BadgeEvent) -> None:
    registration_id = await add_registration(settings, badge_event)

    async with db_session_for(settings) as db_session:
        event = await db_session.get_one(Event, badge_event.event_id)
        registration = await db_session.get_one(Registration, registration_id)
        cards = await registration_cards(db_session, [registration], settings.secret_key)

    assert event.logo_digest is None
    assert [card.logo for card in cards] == [None]


async def test_the_attendees_badge_and_a_print_batch_carry_the_logo(
    settings: Settings, client: Client, organizer: dict[str, str], badge_event: BadgeEvent, tmp_path: Path
) -> None:
    people = [("Al", "Adams"), ("Bea", "Brown"), ("Cy", "Clark")]
    ids = [await add_registration(settings, badge_event, first_name=first, last_name=last) for first, last in people]
    await _give_logo(settings, badge_event, logo_png((600, 600), transparent=True))
    own_secret, _ = await _secrets(settings, ids[0])

    single = await client.get(f"/api/registrations/{ids[0]}/badge.pdf", params={"secret": own_secret, "layout": "a6"})
    batch = await client.post(
        f"/api/events/{badge_event.slug}/badges/print", json={"layout": "letter-6up"}, headers=organizer
    )

    assert single.status_code == 200 and batch.status_code == 200
    assert len(await _image_list(single.content)) == 1
    assert len(await read_qr_codes(single.content, tmp_path)) == 1
    images = await _image_list(batch.content)
    assert len(images) == 3 and len({image["object"] for image in images}) == 1
    assert len(await read_qr_codes(batch.content, tmp_path)) == 3
    texts = [_normalized(_badge_text(batch.content, "letter-6up", index)) for index in range(3)]
    assert texts == [text for text in texts if any(_normalized(first + last) in text for first, last in people)]
    assert all(any(_normalized(first + last) in text for text in texts) for first, last in people)
