"""Letters' fixtures: an event with a catalog, and attendees with paid (confirmed) or unpaid registrations."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from podium.settings import Settings
from registration.links.tokens import registration_secret
from tests.asgi_client import Client
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body

PASSPORT = {
    "passport_name": "Adaeze Okonkwo-Lovelace",
    "nationality": "NG",
    "passport_number": "a 0987 6543 21",
    "date_of_birth": "1991-03-14",
    "embassy_city": "Lagos",
}
NUMBER = "A0987654321"  # the passport number as stored and printed


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session)


async def registration_of(
    client: Client, settings: Settings, catalog: CatalogFixture, *, pay: bool = True, **person: Any
) -> dict[str, str]:
    """A new order of one non-member attendee, paid unless told not to: its registration's id and secret header."""
    body = order_body(attendee(category="non-member", member_number=None, **person))
    placed = await client.post(f"/api/events/{catalog.slug}/orders", json=body)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    if pay:
        paid = await client.post(
            f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]}
        )
        assert paid.status_code == 200, paid.text
    registration_id = order["registrations"][0]["id"]
    secret = registration_secret(settings.secret_key, UUID(registration_id), 1)
    return {"id": registration_id, "secret": secret, "X-Registration-Secret": secret}
