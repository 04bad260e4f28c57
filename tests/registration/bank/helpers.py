"""Shared steps of the bank transfer tests: an event that takes transfers, an order placed and switched to it."""

from __future__ import annotations

from typing import Any

from podium.settings import Settings
from tests.asgi_client import Client
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body

# A valid IBAN and BIC (the examples of ISO 13616 / SWIFT's documentation).
IBAN = "DE89 3704 0044 0532 0130 00"
BIC = "COBADEFFXXX"  # a real BIC shape: XXX is the primary office's branch code, not a placeholder
BANK = {
    "enabled": True,
    "beneficiary": "Society for Science",
    "iban": IBAN,
    "bic": BIC,
    "bank_name": "Commerzbank",
    "bank_address": "Kaiserplatz, Frankfurt",
    "instructions": "Quote the reference.",
    "due_days": 14,
    "latest_days_before_event": 7,
    "max_days_from_order": 30,
}


async def bank_event(settings: Settings, client: Client, organizer: dict[str, str], **catalog: Any) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        built = await build_catalog(db_session, **catalog)
    response = await client.put(f"/api/events/{built.slug}/bank-transfer", json=BANK, headers=organizer)
    assert response.status_code == 200, response.text
    return built


async def place(client: Client, slug: str, **attendee_fields: Any) -> dict[str, Any]:
    response = await client.post(f"/api/events/{slug}/orders", json=order_body(attendee(**attendee_fields)))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def choose(client: Client, order: dict[str, Any]) -> Any:
    return await client.post(f"/api/orders/{order['id']}/bank-transfer", headers={"X-Order-Secret": order["secret"]})


async def mark(
    client: Client, organizer: dict[str, str], order_id: str, amount: int, key: str | None = None, **extra: Any
) -> Any:
    headers = dict(organizer, **({"Idempotency-Key": key} if key else {}))
    body = {"amount": amount, "booked_on": "2026-12-04", **extra}
    return await client.post(f"/api/orders/{order_id}/bank-payments", json=body, headers=headers)
