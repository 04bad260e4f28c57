"""Each order and registration keeps the language it was made in, and its mails go out in it, whatever
language the request, job or sender writing them runs in; and the buyer's time zone, so its mails show their own
clock beside the event's."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, update

from podium.db import utcnow
from podium.i18n import using_locale
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.mail.held import enqueue_held_mails
from registration.mail.services import HELD_MAIL_DELAY
from registration.models import Category, Order, Registration
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
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session)


async def place(client: Client, slug: str, language: str | None, zone: str | None = None) -> httpx.Response:
    headers = {"Accept-Language": language} if language else {}
    if zone is not None:
        headers["Cookie"] = f"podium_tz={zone}"
    body = order_body(attendee(), attendee(first_name="Alan"), buyer_email=f"buyer-{language}@example.org")
    response = await client.post(f"/api/events/{slug}/orders", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response


async def write_held_mails(settings: Settings) -> None:
    """The sweep's "pay by" mails, as a job writes them: in whatever language the worker runs in."""
    async with db_session_for(settings) as db_session:
        with using_locale("es"):
            await enqueue_held_mails(db_session, now=utcnow() + HELD_MAIL_DELAY)
        await db_session.commit()


async def test_an_order_placed_in_spanish_keeps_spanish_for_its_mails(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    placed = (await place(client, catalog.slug, "es-ES,es;q=0.9")).json()

    paid = await client.post(
        f"/api/orders/{placed['id']}/offline-payment", headers={"X-Order-Secret": placed["secret"]}
    )

    assert paid.status_code == 200, paid.text
    async with db_session_for(settings) as db_session:
        order = await db_session.get_one(Order, placed["id"])
        locales = set(await db_session.scalars(select(Registration.locale).where(Registration.order_id == order.id)))
        keys = [f"receipt:{order.id}", *(f"confirmation:{r['id']}" for r in placed["registrations"])]
        with using_locale("fr"):  # the sender's own language never leaks into the mail
            mails = await outbox_mails(db_session, OutboxMessage.dedupe_key.in_(keys))
    by_template = {row.template: mail for row, mail in mails}
    assert (order.locale, locales) == ("es", {"es"})
    confirmed = by_template["order_confirmed"]
    assert confirmed.subject == "Test Meeting: tu recibo (800,00 US$)"
    assert (
        "Hola, Grace Hopper:" in confirmed.text
        and "Gracias: tu pedido para Test Meeting está confirmado." in confirmed.text
    )
    assert "Total pagado: 800,00\xa0US$" in confirmed.text and "El equipo de Test Meeting" in confirmed.text
    assert '<html lang="es">' in confirmed.html and "Total pagado:" in confirmed.html
    registered = by_template["registered"]
    assert registered.subject == "Test Meeting: ya estás inscrito"
    assert "Hola, Alan:" in registered.text


async def test_a_registrants_mail_and_order_name_the_category_in_their_language(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    async with db_session_for(settings) as db_session:
        await db_session.execute(
            update(Category)
            .where(Category.event_id == catalog.event_id, Category.code == "member")
            .values(translations={"es": {"name": "Miembro"}, "fr": {"name": "Membre"}})
        )
        await db_session.commit()
    placed = (await place(client, catalog.slug, "es")).json()

    paid = await client.post(
        f"/api/orders/{placed['id']}/offline-payment",
        headers={"X-Order-Secret": placed["secret"], "Accept-Language": "es"},
    )
    in_english = await client.get(f"/api/orders/{placed['id']}", headers={"X-Order-Secret": placed["secret"]})

    assert paid.status_code == 200, paid.text
    assert [r["category_name"] for r in paid.json()["registrations"]] == ["Miembro", "Miembro"]
    assert [r["category_name"] for r in in_english.json()["registrations"]] == ["Member", "Member"]
    async with db_session_for(settings) as db_session:
        keys = [f"confirmation:{r['id']}" for r in placed["registrations"]]
        mails = await outbox_mails(db_session, OutboxMessage.dedupe_key.in_(keys))
    registered = [mail.text for row, mail in mails if row.template == "registered"]
    assert len(registered) == 2
    assert all("Miembro" in text and "Member" not in text for text in registered)


async def test_an_order_placed_without_a_language_mails_in_english(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    placed = (await place(client, catalog.slug, None)).json()
    await write_held_mails(settings)

    async with db_session_for(settings) as db_session:
        order = await db_session.get_one(Order, placed["id"])
        with using_locale("es"):
            mails = await outbox_mails(db_session, OutboxMessage.dedupe_key == f"order-held:{order.id}")

    assert order.locale == "en"
    ((_, held),) = mails
    assert held.subject.startswith("Test Meeting: your places are held until ")
    assert "Hello Grace Hopper," in held.text and "To pay: USD 800.00" in held.text


async def test_an_order_keeps_the_buyers_time_zone_and_its_hold_mail_shows_their_clock(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    from_tokyo = (await place(client, catalog.slug, None, "Asia/Tokyo")).json()
    from_nowhere = (await place(client, catalog.slug, None, "Nowhere/Atlantis")).json()
    await write_held_mails(settings)

    async with db_session_for(settings) as db_session:
        zones = {
            placed["id"]: (
                (await db_session.get_one(Order, placed["id"])).time_zone,
                set(
                    await db_session.scalars(
                        select(Registration.time_zone).where(Registration.order_id == placed["id"])
                    )
                ),
            )
            for placed in (from_tokyo, from_nowhere)
        }
        keys = [f"order-held:{from_tokyo['id']}", f"order-held:{from_nowhere['id']}"]
        held = {
            row.dedupe_key: mail for row, mail in await outbox_mails(db_session, OutboxMessage.dedupe_key.in_(keys))
        }

    assert zones[from_tokyo["id"]] == ("Asia/Tokyo", {"Asia/Tokyo"})
    assert zones[from_nowhere["id"]] == (None, {None})
    tokyo_mail, plain_mail = held[keys[0]], held[keys[1]]
    assert "your time, Asia/Tokyo)" in tokyo_mail.text and "your time, Asia/Tokyo)" in tokyo_mail.html
    assert "your time" not in plain_mail.text and "your time" not in plain_mail.html
