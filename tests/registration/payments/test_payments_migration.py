"""The migration that brings payment rows fills them from what was stored before: each paid order's payment
(its PaymentIntent, or ``offline-<order>``), each refunded payment an order couldn't keep (the refund's
``payment_intent_id``), every refund pointing to its payment, and ``amount_refunded`` counted from the
succeeded refunds (its own module: it migrates this module's database down and up again)."""

from __future__ import annotations

from uuid import UUID

import anyio.to_thread
import msgspec
from sqlalchemy import select

from podium.main.cli import downgrade, migrate
from podium.settings import Settings
from registration.models import Order, Payment, Refund
from registration.orders.payment_outcomes import payment_succeeded
from registration.payments.services import OfflineTestProvider
from registration.schemas import OrderCreate
from tests.asgi_client import Client
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body, place_committed

BEFORE = "688a9180fcfe"  # the revision before payment rows


async def test_payments_and_refund_links_are_backfilled(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
        data = msgspec.convert(order_body(attendee(add_ons=["workshop"])), OrderCreate)
        card, _ = await place_committed(db_session, event_slug=catalog.slug, data=data, provider=OfflineTestProvider())
        card_id = card.id
        for intent in ("pi_mig_a", "pi_mig_b"):  # the second is claimed for a refund of what it captured
            await payment_succeeded(
                db_session, order_id=card_id, provider_payment_id=intent, amount=52_000, currency="usd", actor="t"
            )
            await db_session.commit()
    offline = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    await client.post(f"/api/orders/{offline['id']}/offline-payment", headers={"X-Order-Secret": offline["secret"]})
    refunded = await client.post(
        f"/api/orders/{offline['id']}/refunds", json={"amount": 2_500, "reason": "parking"}, headers=organizer
    )
    assert refunded.status_code == 201, refunded.text

    await anyio.to_thread.run_sync(downgrade, settings, BEFORE)
    await anyio.to_thread.run_sync(migrate, settings, "head")

    async with db_session_for(settings) as db_session:
        payments = (
            await db_session.execute(
                select(Payment.order_id, Payment.provider_payment_id, Payment.amount_captured, Payment.kept).where(
                    Payment.order_id.in_([card_id, UUID(offline["id"])])
                )
            )
        ).all()
        refunds = (
            await db_session.execute(
                select(Refund.amount, Refund.status, Payment.provider_payment_id, Payment.kept)
                .join(Payment, Payment.id == Refund.payment_id)
                .where(Refund.order_id.in_([card_id, UUID(offline["id"])]))
            )
        ).all()
        refunded_totals = (
            await db_session.execute(
                select(Order.id, Order.amount_refunded).where(Order.id.in_([card_id, UUID(offline["id"])]))
            )
        ).all()
    assert sorted((str(o), p, a, k) for o, p, a, k in payments) == sorted(
        [
            (str(card_id), "pi_mig_a", 52_000, True),
            (str(card_id), "pi_mig_b", 52_000, False),
            (offline["id"], f"offline-{offline['id']}", 40_000, True),
        ]
    )
    assert sorted(tuple(r) for r in refunds) == [
        (2_500, "succeeded", f"offline-{offline['id']}", True),
        (52_000, "pending", "pi_mig_b", False),
    ]
    assert dict((str(o), a) for o, a in refunded_totals) == {str(card_id): 0, offline["id"]: 2_500}
