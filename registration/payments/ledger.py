"""Money of an order, derived from its ``Payment`` and ``Refund`` rows, in one place.

What a payment captured, what has gone back on it, what may still go back, and the order's and the
event's totals are all sums over those rows; nothing else adds money up. ``Order.amount_refunded`` is a
stored copy of ``refunded`` (succeeded refunds of all the order's payments, automatic ones included), and
only ``sync_refunded`` writes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from podium.errors import InvalidInput
from podium.i18n import gettext
from podium.jobs import kick_after_commit
from registration.models import Order, OrderStatus, Payment, Refund, RefundStatus

# A refund in these states is money that went or is going back: it counts against what can still go back.
COMMITTED_REFUND_STATES = (RefundStatus.PENDING, RefundStatus.SENDING, RefundStatus.SUCCEEDED)
IN_FLIGHT_REFUND_STATES = (RefundStatus.PENDING, RefundStatus.SENDING)
OFFLINE_PREFIX = "offline-"
# The job that sends pending card refunds (registration/tasks.py), under the name it was first queued as.
SEND_REFUNDS_JOB = "registration.send_refunds"


class ExceedsCaptured(InvalidInput):
    """A refund above what its payment has left: refused before anything is recorded."""

    code = "exceeds_captured"
    title = "More than was captured"


def add_refund(db_session: AsyncSession, refund: Refund) -> Refund:
    """Record ``refund``. One still to be sent to the provider (pending) wakes the refund sender when this
    transaction commits, never for one rolled back, so it goes out now rather than at the sender's next run."""
    db_session.add(refund)
    if refund.status == RefundStatus.PENDING:
        kick_after_commit(db_session, SEND_REFUNDS_JOB)
    return refund


@dataclass(frozen=True)
class OrderMoney:
    paid: int  # captured by the order's kept payment
    captured: int  # captured by all its payments, kept or not
    refunded: int  # succeeded refunds of all its payments
    refund_pending: int  # refunds recorded or being sent, not yet succeeded


def offline_payment_id(order_id: UUID) -> str:
    """The offline test provider has no ids of its own; one per order, as it takes one payment."""
    return f"{OFFLINE_PREFIX}{order_id}"


def record_payment(
    db_session: AsyncSession,
    order: Order,
    *,
    provider: str,
    provider_payment_id: str,
    amount: int,
    currency: str,
    kept: bool,
) -> Payment:
    """Record money a provider captured for ``order`` (the caller holds the order's lock)."""
    payment = Payment(
        order_id=order.id,
        provider=provider,
        provider_payment_id=provider_payment_id,
        amount_captured=amount,
        currency=currency.upper(),
        kept=kept,
    )
    db_session.add(payment)
    return payment


async def payment_by_provider_id(db_session: AsyncSession, provider_payment_id: str) -> Payment | None:
    return await db_session.scalar(select(Payment).where(Payment.provider_payment_id == provider_payment_id))


async def kept_payment(db_session: AsyncSession, order_id: UUID) -> Payment | None:
    """The payment that paid the order (none for a free or unpaid order)."""
    return await db_session.scalar(select(Payment).where(Payment.order_id == order_id, Payment.kept.is_(True)))


async def payments_of(db_session: AsyncSession, order_id: UUID) -> list[Payment]:
    rows = await db_session.scalars(
        select(Payment).where(Payment.order_id == order_id).order_by(Payment.created_at, Payment.id)
    )
    return list(rows.all())


@dataclass(frozen=True)
class PaymentMoney:
    payment: Payment
    refunded: int  # succeeded refunds of it
    refund_pending: int  # its refunds recorded or being sent


async def payment_money(db_session: AsyncSession, order_id: UUID) -> list[PaymentMoney]:
    """Each payment of an order with its refunded and pending sums, oldest first, in one query."""
    rows = (
        await db_session.execute(
            select(
                Payment,
                func.coalesce(func.sum(Refund.amount).filter(Refund.status == RefundStatus.SUCCEEDED), 0),
                func.coalesce(func.sum(Refund.amount).filter(Refund.status.in_(IN_FLIGHT_REFUND_STATES)), 0),
            )
            .outerjoin(Refund, Refund.payment_id == Payment.id)
            .where(Payment.order_id == order_id)
            .group_by(Payment.id)
            .order_by(Payment.created_at, Payment.id)
        )
    ).all()
    return [PaymentMoney(payment, int(refunded), int(pending)) for payment, refunded, pending in rows]


async def refunded_of_payment(db_session: AsyncSession, payment_id: UUID) -> int:
    """Refunds of one payment that went or are going back (everything but failed ones)."""
    await db_session.flush()
    total = await db_session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.payment_id == payment_id, Refund.status.in_(COMMITTED_REFUND_STATES)
        )
    )
    return int(total or 0)


async def refundable(db_session: AsyncSession, payment: Payment) -> int:
    """What may still go back on ``payment``: its capture less every refund not failed."""
    return max(0, payment.amount_captured - await refunded_of_payment(db_session, payment.id))


async def check_refundable(db_session: AsyncSession, payment: Payment, amount: int) -> None:
    """Refuse (422 ``exceeds_captured`` on ``amount``) a refund above what ``payment`` has left."""
    left = await refundable(db_session, payment)
    if amount > left:
        raise ExceedsCaptured(
            gettext("at most %(left)d can still be refunded on this payment (captured %(captured)d)")
            % {"left": left, "captured": payment.amount_captured},
            field="amount",
        )


async def order_money(db_session: AsyncSession, order_id: UUID) -> OrderMoney:
    await db_session.flush()
    captured = (
        await db_session.execute(
            select(
                func.coalesce(func.sum(Payment.amount_captured).filter(Payment.kept.is_(True)), 0),
                func.coalesce(func.sum(Payment.amount_captured), 0),
            ).where(Payment.order_id == order_id)
        )
    ).one()
    refunds = (
        await db_session.execute(
            select(
                func.coalesce(func.sum(Refund.amount).filter(Refund.status == RefundStatus.SUCCEEDED), 0),
                func.coalesce(func.sum(Refund.amount).filter(Refund.status.in_(IN_FLIGHT_REFUND_STATES)), 0),
            ).where(Refund.order_id == order_id)
        )
    ).one()
    return OrderMoney(
        paid=int(captured[0]), captured=int(captured[1]), refunded=int(refunds[0]), refund_pending=int(refunds[1])
    )


async def sync_refunded(db_session: AsyncSession, order: Order) -> int:
    """Set ``order.amount_refunded`` from its succeeded refunds (call after any refund changes state)."""
    order.amount_refunded = (await order_money(db_session, order.id)).refunded
    return order.amount_refunded


@dataclass(frozen=True)
class EventMoney:
    paid_orders: int
    gross: int  # captured by every payment, kept or not
    refunded: int  # every succeeded refund, automatic ones included
    refund_pending: int


async def event_money(db_session: AsyncSession, event_id: UUID) -> EventMoney:
    """The organizer's figures: money in (every capture) and back out (every refund), by the rows."""
    paid_orders = await db_session.scalar(
        select(func.count()).where(Order.event_id == event_id, Order.status == OrderStatus.PAID)
    )
    gross = await db_session.scalar(
        select(func.coalesce(func.sum(Payment.amount_captured), 0))
        .join(Order, Order.id == Payment.order_id)
        .where(Order.event_id == event_id)
    )
    refunds = (
        await db_session.execute(
            select(
                func.coalesce(func.sum(Refund.amount).filter(Refund.status == RefundStatus.SUCCEEDED), 0),
                func.coalesce(func.sum(Refund.amount).filter(Refund.status.in_(IN_FLIGHT_REFUND_STATES)), 0),
            )
            .join(Order, Order.id == Refund.order_id)
            .where(Order.event_id == event_id)
        )
    ).one()
    return EventMoney(
        paid_orders=int(paid_orders or 0),
        gross=int(gross or 0),
        refunded=int(refunds[0]),
        refund_pending=int(refunds[1]),
    )
