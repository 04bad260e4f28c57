"""Unpaid holds can't be used against people: a hold under someone's email gives way to their own order
(seats given back once, both told by mail), a paid registration still blocks, and open holds are capped."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter

import httpx
from sqlalchemy import func, select

from podium.main.app import create_app
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.models import Order, Quota, Registration
from tests.asgi_client import Client, app_client
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body, outbox_mails


async def place(client: Client, slug: str, body: dict[str, object]) -> httpx.Response:
    return await client.post(f"/api/events/{slug}/orders", json=body)


async def pay(client: Client, order: dict[str, object]) -> httpx.Response:
    return await client.post(
        f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": str(order["secret"])}
    )


async def test_hold_under_someones_email_does_not_block_their_order(settings: Settings, client: Client) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session, workshop_seats=1)
    squatter = (
        await place(
            client,
            catalog.slug,
            order_body(
                attendee("ada@example.org", add_ons=["workshop"]),
                attendee("bystander@example.org"),
                buyer_email="squatter@example.net",
            ),
        )
    ).json()

    own = await place(
        client,
        catalog.slug,
        order_body(attendee("Ada@Example.org", add_ons=["workshop"]), buyer_email="ada@example.org"),
    )

    assert own.status_code == 201
    async with db_session_for(settings) as db_session:
        released = await db_session.get(Order, squatter["id"])
        statuses = dict(
            (
                await db_session.execute(
                    select(Registration.email, Registration.status).where(Registration.order_id == squatter["id"])
                )
            )
            .tuples()
            .all()
        )
        workshop_used = await db_session.scalar(select(Quota.used).where(Quota.id == catalog.workshop_quota_id))
        active = await db_session.scalar(
            select(func.count()).where(
                Registration.event_id == catalog.event_id,
                Registration.email == "ada@example.org",
                Registration.status.in_(["held", "confirmed", "awaiting_verification"]),
            )
        )
        mails = [
            (row.to_address, mail.subject)
            for row, mail in await outbox_mails(
                db_session, OutboxMessage.dedupe_key.like(f"hold-released%{squatter['id']}%")
            )
        ]
    assert released is not None and released.status == "cancelled"
    assert statuses == {"ada@example.org": "cancelled", "bystander@example.org": "cancelled"}
    assert workshop_used == 1  # the squatter's seat came back once and is now Ada's
    assert active == 1
    assert sorted(mails) == [
        ("ada@example.org", "Test Meeting: an unpaid order under your email was released"),
        ("squatter@example.net", "Test Meeting: your unpaid order was cancelled"),
    ]


async def test_paid_registration_still_answers_already_registered(settings: Settings, client: Client) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    first = (await place(client, catalog.slug, order_body(attendee("grace@example.org")))).json()
    await pay(client, first)

    again = await place(client, catalog.slug, order_body(attendee("grace@example.org"), buyer_email="x@example.net"))

    assert again.status_code == 409
    assert again.json()["code"] == "already_registered"
    async with db_session_for(settings) as db_session:
        paid = await db_session.get(Order, first["id"])
    assert paid is not None and paid.status == "paid"


async def test_two_orders_for_one_email_at_once_leave_one_active_registration(
    settings: Settings, client: Client
) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session, workshop_seats=20)
    await place(
        client, catalog.slug, order_body(attendee("race@example.org", add_ons=["workshop"]), buyer_email="s@x.net")
    )
    bodies = [order_body(attendee("race@example.org", add_ons=["workshop"]), buyer_email="race@example.org")] * 8

    responses = await asyncio.gather(*(place(client, catalog.slug, body) for body in bodies))

    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}
    assert statuses[201] >= 1
    assert {r.json()["code"] for r in responses if r.status_code == 409} <= {"already_registered"}
    async with db_session_for(settings) as db_session:
        active = await db_session.scalar(
            select(func.count()).where(
                Registration.event_id == catalog.event_id, Registration.status.in_(["held", "confirmed"])
            )
        )
        pending = await db_session.scalar(
            select(func.count()).where(Order.event_id == catalog.event_id, Order.status == "pending")
        )
        workshop_used = await db_session.scalar(select(Quota.used).where(Quota.id == catalog.workshop_quota_id))
    assert (active, pending, workshop_used) == (1, 1, 1)


async def test_open_holds_are_capped_per_buyer_email(settings: Settings) -> None:
    strict = dataclasses.replace(settings, open_holds_per_email=2)
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    async with app_client(create_app(strict)) as client:
        held = [
            (await place(client, catalog.slug, order_body(buyer_email="hoarder@example.net"))).json() for _ in range(2)
        ]
        refused = await place(client, catalog.slug, order_body(buyer_email="HOARDER@example.net"))
        await pay(client, held[0])
        after_paying = await place(client, catalog.slug, order_body(buyer_email="hoarder@example.net"))

    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_holds"
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60 + 1
    assert after_paying.status_code == 201


async def test_open_holds_are_capped_per_address(settings: Settings) -> None:
    strict = dataclasses.replace(settings, open_holds_per_address=2)
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    async with app_client(create_app(strict), peer=("192.0.2.99", 5000)) as client:
        statuses = [
            (await place(client, catalog.slug, order_body(buyer_email=f"b{i}@example.net"))).status_code
            for i in range(3)
        ]
    async with app_client(create_app(strict), peer=("192.0.2.100", 5000)) as elsewhere:
        other_address = await place(elsewhere, catalog.slug, order_body(buyer_email="b9@example.net"))

    assert statuses == [201, 201, 429]
    assert other_address.status_code == 201
    async with db_session_for(settings) as db_session:
        addresses = Counter(
            (await db_session.scalars(select(Order.client_address).where(Order.event_id == catalog.event_id))).all()
        )
    assert addresses == {"192.0.2.99": 2, "192.0.2.100": 1}
