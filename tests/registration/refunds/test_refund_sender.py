"""The app's own background step sends pending card refunds to Stripe (real SDK, localstripe): an organizer's
partial refund and an attendee's cancellation reach Stripe once each, without anyone running a command."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import stripe
from sqlalchemy import select

from podium.settings import Settings
from registration.models import Refund
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for
from tests.registration.payments.test_stripe import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    Stack,
    _register_webhook,
    order_status,
    pay,
    wait_until,
)
from tests.registration.payments.test_stripe import place as place_order
from tests.servers import localstripe_server, podium_server


@pytest.fixture(scope="module")
def stack(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir: Path = tmp_path_factory.mktemp("stripe-refunds")

    async def catalog() -> CatalogFixture:
        async with db_session_for(settings) as db_session:
            return await build_catalog(db_session, workshop_seats=50)

    with localstripe_server(workdir) as stripe_api:
        env = {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": "pk_test_podium",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": stripe_api,
            "PODIUM_REFUND_SEND_SECONDS": "0.3",
        }
        with podium_server(settings, workdir, **env) as podium:
            _register_webhook(stripe_api, f"{podium}/api/payments/stripe/webhook")
            http_client = stripe.HTTPXClient(allow_sync_methods=True)
            client = stripe.StripeClient(
                SECRET_KEY, base_addresses={"api": stripe_api}, max_network_retries=0, http_client=http_client
            )
            try:
                yield Stack(podium, stripe_api, settings, asyncio.run(catalog()), client)
            finally:
                http_client.close()


def _refunds(stack: Stack, order_id: str) -> list[tuple[int, str, bool]]:
    async def read() -> list[tuple[int, str, bool]]:
        async with db_session_for(stack.settings) as db_session:
            rows = await db_session.execute(
                select(Refund.amount, Refund.status, Refund.provider_refund_id).where(Refund.order_id == order_id)
            )
            return sorted((a, s, p is not None) for a, s, p in rows.all())

    return asyncio.run(read())


def test_refunds_reach_stripe_without_a_command(stack: Stack, organizer: dict[str, str]) -> None:
    order = place_order(stack, attendee(), attendee(first_name="Second"))
    intent_id = pay(stack, order)
    wait_until(lambda: order_status(stack, order) == "paid")

    partial = httpx.post(
        f"{stack.podium}/api/orders/{order['id']}/refunds",
        json={"amount": 5_000, "reason": "parking"},
        headers=organizer,
    )
    assert partial.status_code in (200, 201), partial.text
    second = order["registrations"][1]["id"]
    cancelled = httpx.post(
        f"{stack.podium}/api/orders/{order['id']}/registrations/{second}/cancel",
        headers={"X-Order-Secret": order["secret"]},
    )
    assert cancelled.status_code == 200, cancelled.text

    wait_until(lambda: all(status == "succeeded" and sent for _, status, sent in _refunds(stack, order["id"])))
    at_stripe = stack.client.v1.refunds.list(params={"payment_intent": intent_id})
    stored = _refunds(stack, order["id"])
    assert len(stored) == 2
    assert sorted(r.amount for r in at_stripe.data) == sorted(amount for amount, _, _ in stored)
