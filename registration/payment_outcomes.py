"""What a provider's verdict does to an order: confirm it, honour a late payment, or ask for a refund.

Providers (the Stripe webhook, reconciliation) call these with the provider's own ids; each call locks
the order first, so duplicated or concurrent verdicts change it once.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.db import begin_write, utcnow
from registration.audit import record
from registration.holds import expire_holds, take_seats, use_promo
from registration.models import Order, OrderQuota, OrderStatus, PromoCode, Registration, RegistrationStatus
from registration.order_validation import load_catalog, needs_of_registrations
from registration.orders import confirm_order


class Outcome(enum.StrEnum):
    CONFIRMED = "confirmed"  # pending order paid: confirmed
    ALREADY_PAID = "already_paid"  # a duplicate verdict: nothing changed
    HONOURED_LATE = "honoured_late"  # paid after its hold expired, seats were still free: confirmed
    REFUND_NEEDED = "refund_needed"  # paid but can't be honoured (seats gone, cancelled, wrong amount)
    UNKNOWN_ORDER = "unknown_order"


@dataclass(frozen=True)
class PaymentResult:
    outcome: Outcome
    order: Order | None
    reason: str = ""


async def needs_for_order(db_session: AsyncSession, order: Order) -> dict[UUID, int]:
    """The seats an order's registrations need under today's quotas (for re-taking them after expiry)."""
    event = await db_session.get(Event, order.event_id)
    assert event is not None
    catalog = await load_catalog(db_session, event)
    registrations = (await db_session.scalars(select(Registration).where(Registration.order_id == order.id))).all()
    return needs_of_registrations(catalog, registrations)


async def payment_succeeded(
    db_session: AsyncSession,
    *,
    order_id: UUID,
    provider_payment_id: str,
    amount: int,
    currency: str,
    actor: str,
    now: dt.datetime | None = None,
) -> PaymentResult:
    """Money arrived for ``order_id``. Confirm it; if its hold had already expired, take the seats again
    when they are still free, else report that the money must go back (the caller refunds)."""
    now = now or utcnow()
    await begin_write(db_session)
    order = await db_session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        return PaymentResult(Outcome.UNKNOWN_ORDER, None, "no such order")
    if order.status == OrderStatus.PAID:
        if order.provider_payment_id and provider_payment_id != order.provider_payment_id:
            # The buyer paid twice (two tabs, a retried card form): the first payment stands, this one goes back.
            reason = f"a second payment for an order already paid by {order.provider_payment_id}"
            record(
                db_session,
                "order",
                order.id,
                order.status,
                order.status,
                actor,
                f"payment {provider_payment_id}: {reason}; refund",
            )
            await db_session.commit()
            return PaymentResult(Outcome.REFUND_NEEDED, order, reason)
        await db_session.commit()  # nothing changed; ends the transaction and its lock
        return PaymentResult(Outcome.ALREADY_PAID, order)
    order.provider_payment_id = order.provider_payment_id or provider_payment_id
    if amount != order.total or currency.upper() != order.currency.upper():
        record(
            db_session, "order", order.id, order.status, order.status, actor, f"paid {amount} {currency}: wrong amount"
        )
        await db_session.commit()
        return PaymentResult(Outcome.REFUND_NEEDED, order, f"paid {amount} {currency.upper()}, order is {order.total}")
    if order.status == OrderStatus.PENDING:
        await confirm_order(db_session, order, actor=actor, now=now, note=f"payment {provider_payment_id}")
        await db_session.commit()
        return PaymentResult(Outcome.CONFIRMED, order)
    if order.status == OrderStatus.EXPIRED and await _retake_seats(db_session, order, now):
        try:
            await confirm_order(
                db_session,
                order,
                actor=actor,
                now=now,
                note=f"payment {provider_payment_id} after the hold expired; seats were still free",
                registrations_from=RegistrationStatus.EXPIRED,
            )
            await db_session.commit()
            return PaymentResult(Outcome.HONOURED_LATE, order)
        except IntegrityError:  # someone in the order registered again meanwhile
            await db_session.rollback()
    return await _refund_needed(db_session, order_id, actor, provider_payment_id)


async def _retake_seats(db_session: AsyncSession, order: Order, now: dt.datetime) -> bool:
    needs = await needs_for_order(db_session, order)

    async def free_stale_holds() -> bool:
        return await expire_holds(db_session, now=now, event_id=order.event_id, commit=False) > 0

    if await take_seats(db_session, needs, on_shortage=free_stale_holds) is not None:
        return False
    if order.promo_code_id is not None and order.promo_uses:
        promo = await db_session.get(PromoCode, order.promo_code_id)
        if promo is None or not await use_promo(db_session, promo, order.promo_uses):
            return False
    db_session.add_all(OrderQuota(order_id=order.id, quota_id=q, count=n) for q, n in needs.items())
    await db_session.flush()
    return True


async def _refund_needed(db_session: AsyncSession, order_id: UUID, actor: str, payment_id: str) -> PaymentResult:
    """Undo whatever a failed honour attempt did, note why, and tell the caller to refund."""
    await db_session.rollback()
    await begin_write(db_session)
    order = await db_session.get(Order, order_id, with_for_update=True, populate_existing=True)
    assert order is not None
    order.provider_payment_id = order.provider_payment_id or payment_id
    reason = (
        "paid after the hold expired and the seats were gone"
        if order.status == OrderStatus.EXPIRED
        else (f"paid while the order was {order.status}")
    )
    record(db_session, "order", order.id, order.status, order.status, actor, f"payment {payment_id}: {reason}; refund")
    await db_session.commit()
    return PaymentResult(Outcome.REFUND_NEEDED, order, reason)


async def payment_failed(
    db_session: AsyncSession, *, order_id: UUID, provider_payment_id: str, message: str, actor: str
) -> Order | None:
    """A declined card changes nothing but the audit trail: the buyer may retry while the hold lasts."""
    order = await db_session.get(Order, order_id)
    if order is None:
        return None
    record(
        db_session,
        "order",
        order.id,
        order.status,
        order.status,
        actor,
        f"payment {provider_payment_id} failed: {message}",
    )
    await db_session.commit()
    return order
