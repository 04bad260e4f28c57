"""Card refunds reach Stripe once: each is first claimed in the database (a ``pending`` row, by a
cancellation, an organizer, or a payment an order can't keep), then sent under an idempotency key made
from its id, and Stripe's answer recorded. Every worker's refund sender, the webhook that made a claim and
`podium reconcile-payments` all send through ``send_refund``, so they can overlap safely.
"""

from __future__ import annotations

import logging
from uuid import UUID

import stripe
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import begin_write
from podium.formatting import format_money
from registration.audit import record
from registration.mail import enqueue_refund_failed_mail
from registration.models import Order, Refund
from registration.stripe_provider import StripeProvider, refund_status

logger = logging.getLogger("podium.registration.refund_sender")


async def send_pending_refunds(db_session: AsyncSession, provider: StripeProvider) -> int:
    """Send every refund recorded as pending for a card payment to Stripe (see ``send_refund``)."""
    pending = (
        await db_session.scalars(
            select(Refund.id)
            .join(Order, Order.id == Refund.order_id)
            .where(
                Refund.status == "pending",
                Refund.provider_refund_id.is_(None),
                or_(
                    Refund.payment_intent_id.is_not(None),
                    (Order.payment_provider == "stripe") & Order.provider_payment_id.is_not(None),
                ),
            )
        )
    ).all()
    await db_session.commit()
    sent = 0
    for refund_id in pending:
        try:
            sent += await send_refund(db_session, provider, refund_id)
        except stripe.StripeError as exc:  # stays pending; the next run retries with the same key
            await db_session.rollback()
            logger.warning("refund %s could not be sent: %s", refund_id, exc)
    return sent


async def send_refund(db_session: AsyncSession, provider: StripeProvider, refund_id: UUID) -> bool:
    """Send one claimed (pending) refund to Stripe, keyed by its id so a repeat, a racing sender, or a
    crash between Stripe's answer and our commit never refunds twice; False if it was sent already.

    A refund of a payment its order didn't keep goes to that PaymentIntent and leaves the order's
    refunded total alone; any other goes to the payment that paid the order and counts in that total."""
    claim = (
        await db_session.execute(
            select(Refund.order_id, Refund.amount, Refund.payment_intent_id, Order.provider_payment_id)
            .join(Order, Order.id == Refund.order_id)
            .where(Refund.id == refund_id, Refund.status == "pending", Refund.provider_refund_id.is_(None))
        )
    ).one_or_none()
    await db_session.commit()
    if claim is None or (claim.payment_intent_id or claim.provider_payment_id) is None:
        return False
    intent_id = str(claim.payment_intent_id or claim.provider_payment_id)
    stripe_refund = await provider.refund(intent_id, claim.amount, key=f"podium-refund-{refund_id}")
    await begin_write(db_session)
    order = await db_session.get(Order, claim.order_id, with_for_update=True, populate_existing=True)
    row = await db_session.get(Refund, refund_id, with_for_update=True, populate_existing=True)
    assert order is not None and row is not None
    if row.provider_refund_id is not None:  # a racing sender recorded Stripe's answer first
        await db_session.commit()
        return False
    mirrored = await db_session.scalar(select(Refund).where(Refund.provider_refund_id == stripe_refund.id))
    if mirrored is not None:  # a charge.refunded delivery copied this very refund before we recorded it
        await db_session.delete(mirrored)
        await db_session.flush()
    row.provider_refund_id = stripe_refund.id
    row.status = refund_status(stripe_refund.status)
    record(
        db_session,
        "order",
        order.id,
        order.status,
        order.status,
        "system",
        f"refund {stripe_refund.id} of {format_money(stripe_refund.amount, order.currency)} on payment {intent_id}"
        f" sent ({row.status})",
        action="refund_sent",
    )
    if row.status == "failed":
        await enqueue_refund_failed_mail(db_session, order, refund_id=row.id, amount=row.amount)
    if row.status == "succeeded" and row.payment_intent_id is None:
        settled = await db_session.scalar(
            select(func.coalesce(func.sum(Refund.amount), 0)).where(
                Refund.order_id == order.id, Refund.status == "succeeded", Refund.payment_intent_id.is_(None)
            )
        )
        order.amount_refunded = max(order.amount_refunded, int(settled or 0))
    await db_session.commit()
    return True
