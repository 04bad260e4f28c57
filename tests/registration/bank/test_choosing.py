"""Choosing bank transfer: a reference and due date, the hold stretched within the organizer's limits, the seats
still held; idempotent; refused (409) for orders no longer pending and events that don't take transfers."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from events.models import Event
from podium.formatting import format_money
from podium.i18n import using_locale
from podium.settings import Settings
from registration.bank.references import is_valid
from registration.documents.receipts import document_day
from registration.models import Order, Quota
from tests.asgi_client import Client
from tests.pdf_reading import pdf_text
from tests.registration.bank.helpers import BANK, bank_event, choose, place
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body


async def test_choosing_gives_a_reference_and_stretches_the_hold_to_the_due_date(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    catalog = await bank_event(settings, client, organizer, workshop_seats=3)
    order = await place(client, catalog.slug, add_ons=["workshop"])

    first = await choose(client, order)
    second = await choose(client, order)

    async with db_session_for(settings) as db_session:
        row = await db_session.get(Order, order["id"])
        used = await db_session.scalar(select(Quota.used).where(Quota.id == catalog.workshop_quota_id))
    body = first.json()
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["reference"] == body["reference"]
    assert is_valid(body["reference"])
    assert (body["amount_due"], body["received"], body["bank"]["iban"]) == (order["total"], 0, "DE89370400440532013000")
    assert row is not None and row.payment_provider == "bank_transfer"
    assert row.hold_expires_at == row.payment_due_at
    assert row.payment_due_at is not None
    assert abs(row.payment_due_at - (dt.datetime.now(dt.UTC) + dt.timedelta(days=14))) < dt.timedelta(minutes=5)
    assert used == 1


async def test_due_date_stops_at_the_organizers_limit(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    catalog = await bank_event(settings, client, organizer)
    limited = dict(BANK, due_days=30, max_days_from_order=5)
    await client.put(f"/api/events/{catalog.slug}/bank-transfer", json=limited, headers=organizer)
    order = await place(client, catalog.slug)

    chosen = await choose(client, order)

    async with db_session_for(settings) as db_session:
        row = await db_session.get(Order, order["id"])
    assert chosen.status_code == 200
    assert row is not None and row.payment_due_at == row.created_at + dt.timedelta(days=5)


async def test_choosing_is_refused_for_paid_expired_and_disabled(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    catalog = await bank_event(settings, client, organizer)
    paid = await place(client, catalog.slug)
    await client.post(f"/api/orders/{paid['id']}/offline-payment", headers={"X-Order-Secret": paid["secret"]})
    lapsed = await place(client, catalog.slug)
    async with db_session_for(settings) as db_session:
        await db_session.execute(
            update(Order).where(Order.id == lapsed["id"]).values(hold_expires_at=dt.datetime.now(dt.UTC))
        )
        await db_session.commit()
        plain = await build_catalog(db_session)
    elsewhere = await place(client, plain.slug)

    refusals = [await choose(client, paid), await choose(client, lapsed), await choose(client, elsewhere)]
    no_secret = await client.post(f"/api/orders/{elsewhere['id']}/bank-transfer")

    assert [(r.status_code, r.json()["code"]) for r in refusals] == [
        (409, "order_paid"),
        (409, "hold_expired"),
        (409, "bank_transfer_disabled"),
    ]
    assert no_secret.status_code == 404
    async with db_session_for(settings) as db_session:
        status = await db_session.scalar(select(Order.status).where(Order.id == lapsed["id"]))
    assert status == "expired"


def _spaced(text: str) -> str:
    """Spaces as pdftotext gives them back: narrow and no-break spaces (French money and dates) as plain ones."""
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


async def test_the_invoice_prints_reference_iban_amount_and_due_date_in_the_orders_language(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    catalog = await bank_event(settings, client, organizer)
    response = await client.post(
        f"/api/events/{catalog.slug}/orders", json=order_body(attendee()), headers={"Accept-Language": "fr"}
    )
    order = response.json()
    chosen = (await choose(client, order)).json()

    by_secret = await client.get(f"/api/orders/{order['id']}/bank-transfer/invoice.pdf?secret={order['secret']}")
    by_organizer = await client.get(f"/api/orders/{order['id']}/bank-transfer/invoice.pdf", headers=organizer)
    page = await client.get(f"/orders/{order['id']}?secret={order['secret']}")

    async with db_session_for(settings) as db_session:
        row = await db_session.get_one(Order, order["id"])
        event = await db_session.get_one(Event, row.event_id)
    assert row.payment_due_at is not None
    with using_locale("fr"):
        amount = format_money(order["total"], order["currency"])
        due = document_day(row.payment_due_at.astimezone(ZoneInfo(event.timezone)).date())
    text = _spaced(await pdf_text(by_secret.content))
    assert (by_secret.status_code, by_organizer.status_code) == (200, 200)
    assert by_secret.headers["content-type"] == "application/pdf"
    assert by_organizer.content == by_secret.content
    assert chosen["reference_printed"] in text
    assert "IBAN: DE89 3704 0044 0532 0130 00" in text
    assert _spaced(amount) in text
    assert _spaced(due) in text
    assert "Facture" in text
    assert f'href="/api/orders/{order["id"]}/bank-transfer/invoice.pdf?secret={order["secret"]}"' in page.text


async def test_the_invoice_is_refused_to_another_buyer_and_for_an_order_not_paid_by_transfer(
    settings: Settings, client: Client, organizer: dict[str, str]
) -> None:
    catalog = await bank_event(settings, client, organizer)
    mine = await place(client, catalog.slug)
    theirs = await place(client, catalog.slug)
    await choose(client, mine)

    stolen = await client.get(f"/api/orders/{mine['id']}/bank-transfer/invoice.pdf?secret={theirs['secret']}")
    no_transfer = await client.get(f"/api/orders/{theirs['id']}/bank-transfer/invoice.pdf?secret={theirs['secret']}")

    assert (stolen.status_code, stolen.headers["content-type"]) == (404, "application/problem+json")
    assert (no_transfer.status_code, no_transfer.json()["code"]) == (409, "not_bank_transfer")
