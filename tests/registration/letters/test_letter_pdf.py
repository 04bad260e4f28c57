"""The letter's PDF read back as a reader and an embassy's phone would: pdftotext finds the traveller, the event,
the fee and the letterhead; zbarimg decodes the QR code to the public verification URL. The signature upload is
checked (type, size) with the field named."""

from __future__ import annotations

import io
from pathlib import Path

import anyio
from PIL import Image

from events.models import Event
from podium.settings import Settings
from registration.models import SellerDetails
from tests.asgi_client import Client
from tests.pdf_reading import pdf_text, tool
from tests.registration.factories import CatalogFixture, db_session_for
from tests.registration.letters.conftest import NUMBER, PASSPORT, registration_of


async def qr_codes(pdf: bytes, folder: Path) -> list[str]:
    """The page rasterized at 150 dpi and every QR code on it decoded."""
    source = folder / "letter.pdf"
    source.write_bytes(pdf)
    await anyio.run_process(
        [tool("pdftoppm", "poppler-utils"), "-r", "150", "-png", "-singlefile", str(source), str(folder / "p")]
    )
    result = await anyio.run_process(
        [tool("zbarimg", "zbar-tools"), "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(folder / "p.png")],
        check=False,
    )
    return [line for line in result.stdout.decode().split("\n") if line]


def _png(width: int = 300, height: int = 90) -> bytes:
    image = Image.new("RGB", (width, height), "white")
    for x in range(20, width - 20):
        image.putpixel((x, height // 2 + (x % 7) - 3), (10, 10, 80))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def test_letter_pdf_reads_back_and_its_qr_leads_to_the_verification_page(
    client: Client, settings: Settings, catalog: CatalogFixture, organizer: dict[str, str], tmp_path: Path
) -> None:
    async with db_session_for(settings) as db_session:
        db_session.add(SellerDetails(event_id=catalog.event_id, legal_name="Society of Examples", address="1 Main St"))
        event = await db_session.get_one(Event, catalog.event_id)
        event_name = event.name
        await db_session.commit()
    signed = await client.post(
        f"/api/events/{catalog.slug}/letters/signature",
        files={"signature": ("sig.png", _png(), "image/png")},
        data={"signatory": "Grace Hopper", "signatory_title": "Secretary of the Society"},
        headers=organizer,
    )
    registration = await registration_of(client, settings, catalog)
    letter = (
        await client.post(
            f"/api/registrations/{registration['id']}/letter",
            json=PASSPORT,
            headers={"X-Registration-Secret": registration["secret"]},
        )
    ).json()

    pdf = await client.get(
        f"/api/registrations/{registration['id']}/letter/pdf", headers={"X-Registration-Secret": registration["secret"]}
    )

    assert signed.status_code == 200 and signed.json()["has_signature"] is True, signed.text
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'attachment; filename="visa-letter-{letter["code"]}.pdf"'
    text = " ".join((await pdf_text(pdf.content)).split())
    for expected in (
        "Adaeze Okonkwo-Lovelace",
        event_name,
        NUMBER,
        "Nigeria",
        "1991-03-14",
        "Lagos",
        "Society of Examples",
        "Grace Hopper",
        "Secretary of the Society",
        letter["code"],
        "Non-member",
    ):
        assert expected in text, expected
    assert await qr_codes(pdf.content, tmp_path) == [f"{settings.base_url}/letters/{letter['code']}"]


async def test_names_in_other_scripts_print(client: Client, settings: Settings, catalog: CatalogFixture) -> None:
    registration = await registration_of(client, settings, catalog)
    headers = {"X-Registration-Secret": registration["secret"]}
    name = "Алла Пугачёва 李小龍"
    await client.post(
        f"/api/registrations/{registration['id']}/letter", json=PASSPORT | {"passport_name": name}, headers=headers
    )

    pdf = await client.get(f"/api/registrations/{registration['id']}/letter/pdf", headers=headers)

    assert name in " ".join((await pdf_text(pdf.content)).split())


async def test_bad_signatures_are_refused_naming_the_field(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    url = f"/api/events/{catalog.slug}/letters/signature"

    gif = await client.post(url, files={"signature": ("s.gif", b"GIF89a" + b"\0" * 40, "image/gif")}, headers=organizer)
    empty = await client.post(url, files={"signature": ("s.png", b"", "image/png")}, headers=organizer)
    huge = await client.post(
        url,
        files={"signature": ("s.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024 + 10), "image/png")},
        headers=organizer,
    )
    broken = await client.post(
        url, files={"signature": ("s.png", b"\x89PNG\r\n\x1a\nbroken", "image/png")}, headers=organizer
    )
    by_staff = await client.post(url, files={"signature": ("s.png", _png(), "image/png")}, headers=staff)

    assert [(r.status_code, r.json().get("field")) for r in (gif, empty, huge, broken)] == [
        (422, "signature"),
        (422, "signature"),
        (413, "signature"),
        (422, "signature"),
    ]
    assert gif.json()["code"] == "unsupported_signature"
    assert by_staff.status_code == 403
