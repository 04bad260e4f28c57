"""Every kind of writer at once: logins, organizer edits, orders, scans and refunds race each other, and none may
answer 5xx. On SQLite (the README's first command) each changing request takes the write lock when its
transaction begins and waits its turn; before, a transaction that began as a read was refused its upgrade at
once ("database is locked", 500) whenever another request was writing."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import Awaitable
from typing import Any

import httpx
from sqlalchemy import func, select

from events.models import Event, Room
from podium.auth import services as auth_services
from podium.auth.schemas import UserCreate
from podium.settings import Settings
from registration.models import AddOn, Order, Refund
from tests.asgi_client import Client
from tests.badges.conftest import badge_token, checkpoints_of, scan
from tests.badges.factories import add_registration, build_badge_event
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body

PASSWORD = "a-long-enough-password"


async def _organizer_email(settings: Settings) -> str:
    async with db_session_for(settings) as db_session:
        email = f"racer-{secrets.token_hex(4)}@podium.test"
        await auth_services.create_user(
            db_session, UserCreate(email=email, display_name="Racer", password=PASSWORD, role="organizer")
        )
        await db_session.commit()
        return email


async def _paid_orders(client: Client, slug: str, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        placed = await client.post(f"/api/events/{slug}/orders", json=order_body(attendee()))
        assert placed.status_code == 201, placed.text
        order = placed.json()
        paid = await client.post(
            f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]}
        )
        assert paid.status_code == 200, paid.text
        ids.append(order["id"])
    return ids


async def test_logins_edits_orders_scans_and_refunds_racing_never_answer_5xx(
    settings: Settings, client: Client, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    email = await _organizer_email(settings)
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session, workshop_seats=10)
    paid = await _paid_orders(client, catalog.slug, 4)
    badges = await build_badge_event(settings)
    checkpoint = (await checkpoints_of(client, organizer, badges.slug))["entrance"]
    tokens = [
        await badge_token(client, staff, await add_registration(settings, badges, first_name=f"P{i}"))
        for i in range(12)
    ]
    slug = catalog.slug
    login = {"email": email, "password": PASSWORD}
    work: list[tuple[str, Awaitable[httpx.Response]]] = []
    work += [("login", client.post("/api/auth/login", json=login)) for _ in range(16)]
    for i in range(8):
        room: dict[str, Any] = {"name": f"Room {i}", "capacity": 40}
        add_on: dict[str, Any] = {"code": f"extra-{i}", "name": f"Extra {i}", "amount": 1000}
        work += [
            ("event", client.patch(f"/api/events/{slug}", json={"name": f"Meeting {i}"}, headers=organizer)),
            ("room", client.post(f"/api/events/{slug}/rooms", json=room, headers=organizer)),
            ("add_on", client.post(f"/api/events/{slug}/add-ons", json=add_on, headers=organizer)),
        ]
    orders = [order_body(attendee(add_ons=["workshop"])) for _ in range(24)]
    work += [("order", client.post(f"/api/events/{slug}/orders", json=body)) for body in orders]
    scans = [{"scans": [scan(token, checkpoint)]} for token in tokens]
    work += [("scan", client.post("/api/checkins", json=body, headers=staff)) for body in scans]
    refund = {"amount": 100, "reason": "goodwill"}
    work += [("refund", client.post(f"/api/orders/{o}/refunds", json=refund, headers=organizer)) for o in paid]

    responses = await asyncio.gather(*(request for _, request in work))

    outcomes = Counter((kind, response.status_code) for (kind, _), response in zip(work, responses, strict=True))
    assert [r.text for r in responses if r.status_code >= 500] == []
    assert outcomes == {
        ("login", 200): 16,
        ("event", 200): 8,
        ("room", 201): 8,
        ("add_on", 201): 8,
        ("order", 201): 10,
        ("order", 409): 14,
        ("scan", 200): 12,
        ("refund", 201): 4,
    }
    assert {
        r.json()["results"][0]["reason"] for (kind, _), r in zip(work, responses, strict=True) if kind == "scan"
    } == {"admitted"}
    async with db_session_for(settings) as db_session:
        rooms = await db_session.scalar(select(func.count()).select_from(Room).join(Event).where(Event.slug == slug))
        add_ons = await db_session.scalar(
            select(func.count()).select_from(AddOn).where(AddOn.event_id == catalog.event_id)
        )
        refunds = await db_session.scalar(
            select(func.count()).select_from(Refund).join(Order).where(Order.event_id == catalog.event_id)
        )
    assert (rooms, add_ons, refunds) == (8, 8 + 2, 4)
