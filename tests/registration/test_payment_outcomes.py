"""What a provider's verdict does to an order, service by service (the Stripe webhook builds on these)."""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from podium.settings import Settings
from registration import orders
from registration.models import Quota, Registration
from registration.payment_outcomes import Outcome, payment_failed, payment_succeeded
from registration.payments import OfflineTestProvider
from registration.schemas import OrderCreate
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body

AGO = dt.timedelta(minutes=30)


async def _place(
    db_session: AsyncSession, slug: str, email: str | None = None, placed_at: dt.datetime | None = None
) -> orders.Order:
    data = msgspec.convert(order_body(attendee(email, add_ons=["workshop"])), OrderCreate)
    order, _ = await orders.place_order(
        db_session, event_slug=slug, data=data, provider=OfflineTestProvider(), now=placed_at
    )
    return order


async def test_payment_confirms_a_pending_order_once(settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session, workshop_seats=5)
        order = await _place(db_session, catalog.slug)
        order_id = order.id

        first = await payment_succeeded(
            db_session, order_id=order.id, provider_payment_id="pi_1", amount=52_000, currency="usd", actor="stripe"
        )
        second = await payment_succeeded(
            db_session, order_id=order.id, provider_payment_id="pi_1", amount=52_000, currency="usd", actor="stripe"
        )

        status = await db_session.scalar(select(Registration.status).where(Registration.order_id == order_id))
    assert (first.outcome, second.outcome) == (Outcome.CONFIRMED, Outcome.ALREADY_PAID)
    assert status == "confirmed"


async def test_late_payment_is_honoured_when_seats_are_still_free(settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session, workshop_seats=5)
        order = await _place(db_session, catalog.slug, placed_at=dt.datetime.now(dt.UTC) - AGO)
        await orders.expire_holds(db_session)

        result = await payment_succeeded(
            db_session, order_id=order.id, provider_payment_id="pi_2", amount=52_000, currency="USD", actor="stripe"
        )

        used = await db_session.scalar(select(Quota.used).where(Quota.id == catalog.workshop_quota.id))
    assert result.outcome == Outcome.HONOURED_LATE
    assert result.order.status == "paid"
    assert used == 1


async def test_late_payment_is_refunded_when_the_seats_are_gone(settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session, workshop_seats=1)
        quota_id = catalog.workshop_quota.id
        late = await _place(db_session, catalog.slug, placed_at=dt.datetime.now(dt.UTC) - AGO)
        await orders.expire_holds(db_session)
        await _place(db_session, catalog.slug)  # someone else takes the freed seat

        result = await payment_succeeded(
            db_session, order_id=late.id, provider_payment_id="pi_3", amount=52_000, currency="USD", actor="stripe"
        )

        used = await db_session.scalar(select(Quota.used).where(Quota.id == quota_id))
    assert result.outcome == Outcome.REFUND_NEEDED
    assert result.reason == "paid after the hold expired and the seats were gone"
    assert result.order.status == "expired"
    assert used == 1


async def test_wrong_amount_is_not_confirmed(settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
        order = await _place(db_session, catalog.slug)

        result = await payment_succeeded(
            db_session, order_id=order.id, provider_payment_id="pi_4", amount=100, currency="USD", actor="stripe"
        )
        failed = await payment_failed(
            db_session, order_id=order.id, provider_payment_id="pi_4", message="card declined", actor="stripe"
        )

    assert result.outcome == Outcome.REFUND_NEEDED
    assert result.order.status == "pending"
    assert failed.status == "pending"
