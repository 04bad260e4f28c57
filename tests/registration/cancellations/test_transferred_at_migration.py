"""The migration that records transfers fills ``transferred_at`` for registrations transferred before it, from
the audit trail, so those buyers lose access too (its own module: it migrates this module's database down and
up again)."""

from __future__ import annotations

from uuid import UUID

import anyio.to_thread

from podium.main.cli import downgrade, migrate
from podium.settings import Settings
from registration.models import Registration
from tests.asgi_client import Client
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body

BEFORE = "7a2c4e9b1d35"  # the revision before transferred_at


async def test_registrations_transferred_before_the_column_get_their_transfer_time(
    client: Client, settings: Settings
) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee(), attendee()))).json()
    await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    moved, kept = (r["id"] for r in order["registrations"])
    transfer = {
        "email": "otto@example.org",
        "first_name": "Otto",
        "last_name": "Hahn",
        "country": "DE",
        "member_number": "M-1",
    }
    await client.post(
        f"/api/orders/{order['id']}/registrations/{moved}/transfer",
        json=transfer,
        headers={"X-Order-Secret": order["secret"]},
    )

    await anyio.to_thread.run_sync(downgrade, settings, BEFORE)
    await anyio.to_thread.run_sync(migrate, settings, "head")

    async with db_session_for(settings) as db_session:
        moved_row = await db_session.get_one(Registration, UUID(moved))
        kept_row = await db_session.get_one(Registration, UUID(kept))
        assert (moved_row.transferred_at is not None, kept_row.transferred_at) == (True, None)
    buyer = {"X-Registration-Secret": order["secret"]}
    assert (await client.get(f"/api/registrations/{moved}/badge", headers=buyer)).status_code == 404
    assert (await client.get(f"/api/registrations/{kept}/badge", headers=buyer)).status_code == 200
