"""A visa letter in the attendee's language: its sentences, the country's name, dates and fee by that locale,
and what the registration covers as the organizer named it in that language."""

from __future__ import annotations

import datetime as dt
import re
from uuid import UUID

from sqlalchemy import update

from podium.i18n import using_locale
from podium.settings import Settings
from registration.letters.pdf import LetterFacts, render_letter
from registration.letters.sealing import PassportData
from registration.models import AddOn, Category, Registration
from tests.asgi_client import Client
from tests.pdf_reading import pdf_text
from tests.registration.factories import CatalogFixture, db_session_for
from tests.registration.letters.conftest import PASSPORT, registration_of


def _facts(locale: str) -> LetterFacts:
    return LetterFacts(
        seller_name="Society of Examples",
        seller_address="1 Main St",
        event_name="Annual Meeting 2027",
        start_date=dt.date(2027, 6, 7),
        end_date=dt.date(2027, 6, 11),
        venue="Convention Center",
        city="Lisbon",
        brand_colour=None,
        logo_png=None,
        passport=PassportData(
            passport_name="Ana Pérez", nationality="MX", passport_number="X1234567", date_of_birth=dt.date(1990, 2, 3)
        ),
        embassy_city="Mexico City",
        category="Member",
        add_ons=["Workshop"],
        fee_paid=123_450,
        currency="EUR",
        signature_png=None,
        signatory="Grace Hopper",
        code="ABCD-EFGH",
        verify_url="https://example.org/letters/ABCD-EFGH",
        issued_on=dt.date(2027, 3, 1),
        locale=locale,
    )


async def test_a_spanish_letter_reads_spanish_with_local_dates_and_money() -> None:
    with using_locale("en"):  # the organizer downloading it browses in English
        text = " ".join((await pdf_text(render_letter(_facts("es")))).split())

    assert "Carta de invitación para visado" in text
    assert "A la Embajada o el Consulado en Mexico City" in text
    assert "Nacionalidad: México" in text
    assert "Fecha de nacimiento: 3 de febrero de 1990" in text
    assert "Inscripción: Member, con Workshop" in text
    assert re.search(r"Cuota de inscripción pagada: 1\.234,50\s€", text) is not None
    assert "lunes, 7 de junio de 2027" in text
    assert "Visa invitation letter" not in text


async def test_a_chinese_letter_prints_chinese_text() -> None:
    text = "".join((await pdf_text(render_letter(_facts("zh_Hans")))).split())

    assert "签证邀请函" in text
    assert "国籍\N{FULLWIDTH COLON}墨西哥" in text
    assert "护照号码\N{FULLWIDTH COLON}X1234567" in text


async def _letter_in(client: Client, settings: Settings, catalog: CatalogFixture, locale: str) -> bytes:
    """A paid non-member with the workshop, whose registration is in ``locale``, asks for a letter: its PDF."""
    registration = await registration_of(client, settings, catalog, add_ons=["workshop"])
    async with db_session_for(settings) as db_session:
        await db_session.execute(
            update(Registration).where(Registration.id == UUID(registration["id"])).values(locale=locale)
        )
        await db_session.commit()
    secret = {"X-Registration-Secret": registration["secret"]}
    asked = await client.post(f"/api/registrations/{registration['id']}/letter", json=PASSPORT, headers=secret)
    assert asked.status_code == 201, asked.text
    pdf = await client.get(f"/api/registrations/{registration['id']}/letter/pdf", headers=secret)
    assert pdf.status_code == 200, pdf.text
    return pdf.content


async def test_a_letter_names_what_the_registration_covers_in_the_attendees_language(
    client: Client, settings: Settings, catalog: CatalogFixture
) -> None:
    async with db_session_for(settings) as db_session:
        await db_session.execute(
            update(Category)
            .where(Category.id == catalog.non_member.id)
            .values(translations={"es": {"name": "No socio"}})
        )
        await db_session.execute(
            update(AddOn)
            .where(AddOn.id == catalog.workshop.id)
            .values(translations={"es": {"name": "Taller de solicitudes de becas"}})
        )
        await db_session.commit()

    spanish = await _letter_in(client, settings, catalog, "es")
    french = await _letter_in(client, settings, catalog, "fr")

    spanish_text = " ".join((await pdf_text(spanish)).split())
    french_text = " ".join((await pdf_text(french)).split())
    assert "Inscripción: No socio, con Taller de solicitudes de becas" in spanish_text
    assert "Non-member" not in spanish_text
    assert "Non-member" in french_text and "Grant Writing Workshop" in french_text  # no French names: the base ones
