"""Badges carry the event's colour: a band behind the event's name, the name in the ink that reads on it; the
badge still reads back (pdftotext for the text, zbar for the QR) with the band there."""

from __future__ import annotations

from pathlib import Path

import anyio
from PIL import Image
from sqlalchemy import select, update

from badges.pdf import BadgeCard, render_badges
from badges.printing import registration_cards
from events.models import Event
from podium.settings import Settings
from registration.models import Registration
from tests.badges.factories import BadgeEvent, add_registration
from tests.badges.test_badge_documents import read_qr_codes
from tests.pdf_reading import pdf_text, tool
from tests.registration.factories import db_session_for

TOKEN = "6BFOXN%TS3DH"


def _card(brand_colour: str | None) -> BadgeCard:
    return BadgeCard(
        first_name="Christoph", last_name="Müller", affiliation="Université de Genève", category="Member",
        ribbon="#FFE08A", event_name="Annual Meeting 2027", event_dates="12-16 April 2027", serial="ABCDEFGH",
        token=TOKEN, version=1, brand_colour=brand_colour,
    )  # fmt: skip


async def _pixel(pdf: bytes, workdir: Path, x_mm: float, y_mm: float) -> tuple[int, int, int]:
    source = workdir / "brand.pdf"
    await anyio.Path(source).write_bytes(pdf)
    await anyio.run_process(
        [tool("pdftoppm", "poppler-utils"), "-r", "150", "-png", "-singlefile", str(source), str(workdir / "b")]
    )
    with Image.open(workdir / "b.png") as image:
        pixel = image.convert("RGB").getpixel((round(x_mm / 25.4 * 150), round(y_mm / 25.4 * 150)))
    assert isinstance(pixel, tuple)  # an RGB image's pixel is a tuple of channels
    red, green, blue = pixel
    return red, green, blue


async def test_branded_badge_shows_the_colour_and_still_reads_back(tmp_path: Path) -> None:
    pdf = render_badges([_card("#0b3d91")])

    text = await pdf_text(pdf)
    codes = await read_qr_codes(pdf, tmp_path)
    band = await _pixel(pdf, tmp_path, 4 * 25.4 - 8, 8.5)  # the band's right end, past the event's name
    plain = await _pixel(render_badges([_card(None)]), tmp_path, 4 * 25.4 - 8, 8.5)

    assert "Annual Meeting 2027" in text and "Christoph" in text and "Müller" in text and "MEMBER" in text
    assert codes == [TOKEN]
    assert band == (11, 61, 145)
    assert plain == (255, 255, 255)


async def test_cards_take_the_events_colour(settings: Settings, badge_event: BadgeEvent) -> None:
    registration_id = await add_registration(settings, badge_event)
    async with db_session_for(settings) as db_session:
        await db_session.execute(update(Event).where(Event.id == badge_event.event_id).values(brand_colour="#0b3d91"))
        await db_session.commit()

    async with db_session_for(settings) as db_session:
        registration = (await db_session.scalars(select(Registration).where(Registration.id == registration_id))).one()
        cards = await registration_cards(db_session, [registration], settings.secret_key)

    assert [card.brand_colour for card in cards] == ["#0b3d91"]
