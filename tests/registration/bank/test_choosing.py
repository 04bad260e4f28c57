"""Choosing bank transfer: a reference and due date, the hold stretched within the organizer's limits, the seats
still held; idempotent; refused (409) for orders no longer pending and events that don't take transfers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from podium.settings import Settings
from registration.bank.references import is_valid
from registration.models import Order, Quota
from tests.asgi_client import Client
from tests.registration.bank.helpers import BANK, bank_event, choose, place
from tests.registration.factories import build_catalog, db_session_for


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
