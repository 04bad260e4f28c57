"""What a provider's verdict does to an order, service by service (the Stripe webhook builds on these)."""

from __future__ import annotations

import asyncio
import datetime as dt

import msgspec
from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from podium.jobs.kicks import register_kicker, unregister_kicker
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.cancellations import services as cancellations
from registration.models import Order, Payment, Quota, Refund, Registration
from registration.orders.holds import expire_holds
from registration.orders.payment_outcomes import Outcome, payment_failed, payment_succeeded
from registration.payments.ledger import SEND_REFUNDS_JOB
from registration.payments.services import OfflineTestProvider
from registration.schemas import OrderCreate
from tests.registration.factories import (
    attendee,
    build_catalog,
    db_session_for,
    order_body,
    outbox_mails,
    place_committed,
)

AGO = dt.timedelta(minutes=30)


async def _place(
    db_session: AsyncSession, slug: str, email: str | None = None, placed_at: dt.datetime | None = None
) -> Order:
    data = msgspec.convert(order_body(attendee(email, add_ons=["workshop"])), OrderCreate)
    order, _ = await place_committed(
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
        await db_session.commit()
        second = await payment_succeeded(
            db_session, order_id=order.id, provider_payment_id="pi_1", amount=52_000, currency="usd", actor="stripe"
        )
        await db_session.commit()

        status = await db_session.scalar(select(Registration.status).where(Registration.order_id == order_id))
    assert (first.outcome, second.outcome) == (Outcome.CONFIRMED, Outcome.ALREADY_PAID)
    assert status == "confirmed"


async def test_late_payment_is_honoured_when_seats_are_still_free(settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session, workshop_seats=5)
        order = await _place(db_session, catalog.slug, placed_at=dt.datetime.now(dt.UTC) - AGO)
        await expire_holds(db_session)
        await db_session.commit()

        result = await payment_succeeded(
            db_session, order_id=order.id, provider_payment_id="pi_2", amount=52_000, currency="USD", actor="stripe"
        )
        await db_session.commit()

        used = (await db_session.scalars(select(Quota.used).where(Quota.id == catalog.workshop_quota_id))).one()
    assert result.outcome == Outcome.HONOURED_LATE
    assert result.order is not None and result.order.status == "paid"
    assert used == 1


async def test_late_payment_is_refunded_when_the_seats_are_gone(settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session, workshop_seats=1)
        quota_id = catalog.workshop_quota_id
        late = await _place(db_session, catalog.slug, placed_at=dt.datetime.now(dt.UTC) - AGO)
        await expire_holds(db_session)
        await db_session.commit()
        await _place(db_session, catalog.slug)  # someone else takes the freed seat

        result = await payment_succeeded(
            db_session, order_id=late.id, provider_payment_id="pi_3", amount=52_000, currency="USD", actor="stripe"
        )
        await db_session.commit()

        used = (await db_session.scalars(select(Quota.used).where(Quota.id == quota_id))).one()
        claims = await _claims(db_session, late.id)
    assert result.outcome == Outcome.REFUND_NEEDED
    assert result.reason == "paid after the hold expired and the seats were gone"
    assert result.order is not None and result.order.status == "expired"
    assert used == 1
    assert claims == ([(52_000, "pending", "pi_3")], ["Test Meeting: your payment of USD 520.00 is being refunded"])


async def test_wrong_amount_is_not_confirmed(settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
        order = await _place(db_session, catalog.slug)

        result = await payment_succeeded(
            db_session, order_id=order.id, provider_payment_id="pi_4", amount=100, currency="USD", actor="stripe"
        )
        await db_session.commit()
        failed = await payment_failed(
            db_session, order_id=order.id, provider_payment_id="pi_4", message="card declined", actor="stripe"
        )
        await db_session.commit()

    assert result.outcome == Outcome.REFUND_NEEDED
    assert result.order is not None and result.order.status == "pending"
    assert failed is not None and failed.status == "pending"


async def _claims(db_session: AsyncSession, order_id: object) -> tuple[list[tuple[int, str, str | None]], list[str]]:
    """The order's refunds (amount, status, refunded intent) and the subjects of the buyer's refund mails."""
    refunds = await db_session.execute(
        select(Refund.amount, Refund.status, case((Payment.kept, None), else_=Payment.provider_payment_id))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.order_id == order_id)
    )
    claims = [tuple(r) for r in refunds.all()]
    mails = await outbox_mails(db_session, OutboxMessage.dedupe_key.like(f"payment-refund:{order_id}:%"))
    return claims, [mail.subject for _, mail in mails]


async def test_second_payment_claims_one_refund_of_what_it_captured(settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
        order = await _place(db_session, catalog.slug)
        order_id = order.id
        await payment_succeeded(
            db_session, order_id=order_id, provider_payment_id="pi_5a", amount=52_000, currency="usd", actor="stripe"
        )
        await db_session.commit()

        second = await payment_succeeded(
            db_session, order_id=order_id, provider_payment_id="pi_5b", amount=30_000, currency="usd", actor="stripe"
        )
        await db_session.commit()
        again = await payment_succeeded(
            db_session, order_id=order_id, provider_payment_id="pi_5b", amount=30_000, currency="usd", actor="stripe"
        )
        await db_session.commit()

        paid = await db_session.get(Order, order_id, populate_existing=True)
        claims = await _claims(db_session, order_id)
    assert (second.outcome, again.outcome) == (Outcome.REFUND_NEEDED, Outcome.ALREADY_REFUNDED)
    assert second.refund_id == again.refund_id
    assert second.reason == "a second payment for an order already paid by pi_5a"
    assert paid is not None
    assert (paid.status, paid.provider_payment_id, paid.amount_refunded) == ("paid", "pi_5a", 0)
    assert claims == (
        [(30_000, "pending", "pi_5b")],
        ["Test Meeting: your second payment of USD 300.00 is being refunded"],
    )


async def test_payments_racing_for_one_order_pay_it_once_and_claim_one_refund(settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
        order_id = (await _place(db_session, catalog.slug)).id

    async def verdict(intent: str) -> Outcome:
        async with db_session_for(settings) as db_session:
            result = await payment_succeeded(
                db_session, order_id=order_id, provider_payment_id=intent, amount=52_000, currency="usd", actor="stripe"
            )
            await db_session.commit()
            return result.outcome

    outcomes = await asyncio.gather(*(verdict(("pi_6a", "pi_6b")[i % 2]) for i in range(10)))

    async with db_session_for(settings) as db_session:
        paid = await db_session.get(Order, order_id)
        refunds, mails = await _claims(db_session, order_id)
    assert paid is not None and paid.status == "paid"
    assert sorted(outcomes) == sorted(
        [Outcome.CONFIRMED, Outcome.REFUND_NEEDED] + [Outcome.ALREADY_PAID] * 4 + [Outcome.ALREADY_REFUNDED] * 4
    )
    other = "pi_6b" if paid.provider_payment_id == "pi_6a" else "pi_6a"
    assert refunds == [(52_000, "pending", other)]
    assert len(mails) == 1


async def test_a_claimed_second_payment_leaves_the_order_fully_refundable(settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
        order = await _place(db_session, catalog.slug)
        order_id = order.id
        for intent in ("pi_7a", "pi_7b"):
            await payment_succeeded(
                db_session, order_id=order_id, provider_payment_id=intent, amount=52_000, currency="usd", actor="stripe"
            )
            await db_session.commit()
        paid = await db_session.get(Order, order_id, populate_existing=True)
        assert paid is not None

        refund = await cancellations.refund(db_session, paid, amount=52_000, reason="goodwill", actor="organizer")
        refunded = await db_session.get_one(Payment, refund.payment_id)

    assert refund.amount == 52_000
    assert (refunded.provider_payment_id, refunded.kept) == ("pi_7a", True)


async def test_a_verdict_its_owner_rolls_back_leaves_nothing(settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
        order_id = (await _place(db_session, catalog.slug)).id
        await payment_succeeded(
            db_session, order_id=order_id, provider_payment_id="pi_8a", amount=52_000, currency="usd", actor="stripe"
        )
        await db_session.commit()

        second = await payment_succeeded(
            db_session, order_id=order_id, provider_payment_id="pi_8b", amount=52_000, currency="usd", actor="stripe"
        )
        await db_session.rollback()

    async with db_session_for(settings) as db_session:
        claims = await _claims(db_session, order_id)
        payments = (
            await db_session.scalars(select(Payment.provider_payment_id).where(Payment.order_id == order_id))
        ).all()
    assert second.outcome == Outcome.REFUND_NEEDED
    assert claims == ([], [])
    assert payments == ["pi_8a"]


async def test_a_claimed_refund_wakes_the_refund_sender_only_once_committed(settings: Settings) -> None:
    woken: list[set[str]] = []
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session)
        order_id = (await _place(db_session, catalog.slug)).id
        await payment_succeeded(
            db_session, order_id=order_id, provider_payment_id="pi_9a", amount=52_000, currency="usd", actor="t"
        )
        await db_session.commit()
        register_kicker(db_session.bind, woken.append)
        try:
            dropped = await payment_succeeded(
                db_session, order_id=order_id, provider_payment_id="pi_9b", amount=52_000, currency="usd", actor="t"
            )
            await db_session.rollback()
            after_rollback = list(woken)
            claimed = await payment_succeeded(
                db_session, order_id=order_id, provider_payment_id="pi_9b", amount=52_000, currency="usd", actor="t"
            )
            await db_session.commit()
        finally:
            unregister_kicker(db_session.bind)

    assert (dropped.outcome, claimed.outcome) == (Outcome.REFUND_NEEDED, Outcome.REFUND_NEEDED)
    assert after_rollback == []
    assert [SEND_REFUNDS_JOB in names for names in woken] == [True]
