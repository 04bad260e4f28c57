"""A verification decision names the categories in the reader's language: the attendee's mail in the
registration's, the buyer's copy in the order's, each with the base name where the organizer gave no translation."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import update

from podium.i18n import using_locale
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.models import Category, Order, PriceWindow, Registration
from tests.asgi_client import Client
from tests.registration.factories import (
    CatalogFixture,
    attendee,
    build_catalog,
    db_session_for,
    order_body,
    outbox_mails,
)


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    """The usual catalog with the student category named in Spanish (not in French) and a cheaper open
    category, "Exhibit hall only", a rejected student can be moved to."""
    async with db_session_for(settings) as db_session:
        built = await build_catalog(db_session)
        await db_session.execute(
            update(Category)
            .where(Category.id == built.student.id)
            .values(translations={"es": {"name": "Estudiante"}, "pt_BR": {"name": "Estudante"}})
        )
        db_session.add(
            Category(
                event_id=built.event_id,
                code="exhibits",
                name="Exhibit hall only",
                eligibility="open",
                translations={"es": {"name": "Solo zona de exposición"}},
                price_windows=[
                    PriceWindow(label="all", starts_on=dt.date.today() - dt.timedelta(days=60), amount=5_000)
                ],
            )
        )
        await db_session.commit()
        return built


async def _student(client: Client, settings: Settings, slug: str, language: str, buyer_language: str) -> str:
    """A paid order of one student awaiting verification, placed in ``buyer_language``; the attendee's own
    language is ``language`` (as a registration made by someone else's order can be)."""
    student = attendee("student@example.org", category="student", member_number=None, verification_note="PhD")
    body = order_body(student, buyer_email="lab-head@example.org")
    placed = await client.post(f"/api/events/{slug}/orders", json=body, headers={"Accept-Language": buyer_language})
    assert placed.status_code == 201, placed.text
    order = placed.json()
    paid = await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    assert paid.status_code == 200, paid.text
    registration_id = str(order["registrations"][0]["id"])
    async with db_session_for(settings) as db_session:
        await db_session.execute(
            update(Registration).where(Registration.id == UUID(registration_id)).values(locale=language)
        )
        await db_session.commit()
    return registration_id


async def _decide(client: Client, organizer: dict[str, str], slug: str, registration_id: str, **body: Any) -> None:
    answer = await client.post(
        f"/api/events/{slug}/registrations/{registration_id}/verification", json=body, headers=organizer
    )
    assert answer.status_code == 200, answer.text


async def _mails(settings: Settings, registration_id: str) -> dict[str, Any]:
    """The decision's mails by recipient, rendered as the sender would (in English itself)."""
    async with db_session_for(settings) as db_session:
        registration = await db_session.get_one(Registration, UUID(registration_id))
        order = await db_session.get_one(Order, registration.order_id)
        keys = [f"verification:{registration_id}", f"verification-refund:{registration_id}"]
        with using_locale("en"):
            mails = await outbox_mails(db_session, OutboxMessage.dedupe_key.in_(keys))
    by_role = {"attendee": registration.email, "buyer": order.buyer_email}
    return {role: next(mail for row, mail in mails if row.to_address == to) for role, to in by_role.items()}


async def test_a_moved_students_mails_name_both_categories_each_in_its_readers_language(
    client: Client, settings: Settings, organizer: dict[str, str], catalog: CatalogFixture
) -> None:
    registration_id = await _student(client, settings, catalog.slug, language="es", buyer_language="fr")

    await _decide(
        client,
        organizer,
        catalog.slug,
        registration_id,
        decision="reject",
        on_reject="move_category",
        move_to="exhibits",
    )

    mails = await _mails(settings, registration_id)
    attendee_mail, buyer_mail = mails["attendee"], mails["buyer"]
    assert attendee_mail.subject == "Test Meeting: tu inscripción se ha pasado a Solo zona de exposición"
    assert "Estudiante" in attendee_mail.text and "Solo zona de exposición" in attendee_mail.text
    assert "Student / trainee" not in attendee_mail.text and "Exhibit hall only" not in attendee_mail.html
    # The buyer reads French, which the organizer gave no names in: the base names.
    assert buyer_mail.subject == "Test Meeting: votre inscription a été transférée dans Exhibit hall only"
    assert "Student / trainee" in buyer_mail.text and "Estudiante" not in buyer_mail.text


async def test_an_approved_students_mail_names_the_category_in_their_language(
    client: Client, settings: Settings, organizer: dict[str, str], catalog: CatalogFixture
) -> None:
    in_portuguese = await _student(client, settings, catalog.slug, language="pt_BR", buyer_language="en")

    await _decide(client, organizer, catalog.slug, in_portuguese, decision="approve")

    async with db_session_for(settings) as db_session:
        [(_, mail)] = await outbox_mails(db_session, OutboxMessage.dedupe_key == f"verification:{in_portuguese}")
    assert "Estudante" in mail.text and "Student / trainee" not in mail.text
