"""What a provider's verdict does to an order: confirm it, honour a late payment, or claim a refund.

Providers (the Stripe webhook, reconciliation) call these with the provider's own ids, inside a transaction
their caller owns and commits; each call locks the order first and keeps the lock to that commit, so
duplicated or concurrent verdicts change it once. Whichever payment succeeds first pays the order; every
other payment for it is refunded in full (what it captured), through one claim per payment: a pending
refund written in the same transaction, which the caller sends after its commit (``refund_sender``).
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
from podium.formatting import format_money
from registration.audit.services import record
from registration.mail.services import RefundCause, enqueue_payment_refund_mail
from registration.models import (
    Order,
    OrderQuota,
    OrderStatus,
    Payment,
    PromoCode,
    Refund,
    RefundStatus,
    Registration,
    RegistrationStatus,
)
from registration.orders.confirmation import confirm_order
from registration.orders.holds import expire_holds, take_seats, use_promo
from registration.orders.standing import note_failed
from registration.orders.validation import load_catalog, needs_of_registrations
from registration.payments.ledger import add_refund, payment_by_provider_id, record_payment


class Outcome(enum.StrEnum):
    CONFIRMED = "confirmed"  # pending order paid: confirmed
    ALREADY_PAID = "already_paid"  # a duplicate verdict: nothing changed
    HONOURED_LATE = "honoured_late"  # paid after its hold expired, seats were still free: confirmed
    REFUND_NEEDED = "refund_needed"  # can't be kept (a second payment, seats gone, wrong amount…): refund claimed
    ALREADY_REFUNDED = "already_refunded"  # this payment's refund was claimed before: nothing changed
    UNKNOWN_ORDER = "unknown_order"


@dataclass(frozen=True)
class Captured:
    """One payment as the provider reports it: its id and the money it actually captured."""

    payment_id: str
    amount: int
    currency: str


@dataclass(frozen=True)
class PaymentResult:
    outcome: Outcome
    order: Order | None
    reason: str = ""
    refund_id: UUID | None = None  # the refund claimed for this payment, for the caller to send


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
    """Money arrived for ``order_id`` (``amount`` is what was captured). The first payment that succeeds
    pays the order, also after its hold expired if the seats are still free; any other (a second payment,
    seats gone, the order closed, the wrong amount) is claimed for a refund, once per payment."""
    now = now or utcnow()
    captured = Captured(provider_payment_id, amount, currency)
    await begin_write(db_session)
    order = await db_session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        return PaymentResult(Outcome.UNKNOWN_ORDER, None, "no such order")
    known = await payment_by_provider_id(db_session, provider_payment_id)
    if known is not None:  # a verdict for this payment was given before: nothing changes
        if known.kept:
            return PaymentResult(Outcome.ALREADY_PAID, order)
        return _already_refunded(order, await _claim_of(db_session, known))
    if order.status == OrderStatus.PAID:
        # Two tabs, a retried card form, an intent from an earlier attempt: the first payment stands.
        reason = f"a second payment for an order already paid by {order.provider_payment_id or 'another payment'}"
        return await _claim_refund(db_session, order, captured, actor, reason, "duplicate")
    order.provider_payment_id = order.provider_payment_id or provider_payment_id
    if amount != order.total or currency.upper() != order.currency.upper():
        reason = f"paid {amount} {currency.upper()}, order is {order.total}"
        return await _claim_refund(db_session, order, captured, actor, reason, "wrong_amount")
    if order.status == OrderStatus.PENDING:
        order.provider_payment_id = provider_payment_id  # the order names the payment it kept
        _keep(db_session, order, captured)
        await confirm_order(db_session, order, actor=actor, now=now, note=f"payment {provider_payment_id}")
        return PaymentResult(Outcome.CONFIRMED, order)
    if order.status == OrderStatus.EXPIRED and await _honour_late(db_session, order, captured, actor, now):
        return PaymentResult(Outcome.HONOURED_LATE, order)
    return await _refund_needed(db_session, order_id, actor, captured)


class _SeatsGone(Exception):
    """Ends the savepoint of a late payment whose seats can't be taken again, undoing what it took."""


async def _honour_late(
    db_session: AsyncSession, order: Order, captured: Captured, actor: str, now: dt.datetime
) -> bool:
    """Confirm an order paid after its hold expired, if its seats (and promo uses) can be taken again.

    Tried in a savepoint: seats taken for part of the order, stale holds ended to make room, or a registration
    that collides with one made meanwhile are undone alone, and the order stays locked for the refund claim."""
    try:
        async with db_session.begin_nested():
            if not await retake_seats(db_session, order, now):
                raise _SeatsGone
            order.provider_payment_id = captured.payment_id
            _keep(db_session, order, captured)
            await confirm_order(
                db_session,
                order,
                actor=actor,
                now=now,
                note=f"payment {captured.payment_id} after the hold expired; seats were still free",
                registrations_from=RegistrationStatus.EXPIRED,
            )
    except (_SeatsGone, IntegrityError):  # seats gone, or someone in the order registered again meanwhile
        return False
    return True


async def retake_seats(db_session: AsyncSession, order: Order, now: dt.datetime) -> bool:
    """Take an expired order's seats and promo uses again; False if any is gone (the caller's savepoint undoes
    the rest). Also what a late bank transfer tries (``registration.bank.payments``)."""
    needs = await needs_for_order(db_session, order)

    async def free_stale_holds() -> bool:
        return await expire_holds(db_session, now=now, event_id=order.event_id) > 0

    if await take_seats(db_session, needs, on_shortage=free_stale_holds) is not None:
        return False
    if order.promo_code_id is not None and order.promo_uses:
        promo = await db_session.get(PromoCode, order.promo_code_id)
        if promo is None or not await use_promo(db_session, promo, order.promo_uses):
            return False
    db_session.add_all(OrderQuota(order_id=order.id, quota_id=q, count=n) for q, n in needs.items())
    await db_session.flush()
    return True


async def _refund_needed(db_session: AsyncSession, order_id: UUID, actor: str, captured: Captured) -> PaymentResult:
    """Claim the refund of a payment its order, still locked, can't keep: expired with its seats gone, or
    closed. Read again, as a failed honour attempt's savepoint left it."""
    order = await db_session.get(Order, order_id, with_for_update=True, populate_existing=True)
    assert order is not None
    order.provider_payment_id = order.provider_payment_id or captured.payment_id
    cause: RefundCause
    if order.status == OrderStatus.EXPIRED:
        reason, cause = "paid after the hold expired and the seats were gone", "seats_gone"
    else:
        reason, cause = f"paid while the order was {order.status}", "order_closed"
    return await _claim_refund(db_session, order, captured, actor, reason, cause)


def _already_refunded(order: Order, claimed: Refund | None) -> PaymentResult:
    if claimed is None:
        return PaymentResult(Outcome.ALREADY_REFUNDED, order)
    return PaymentResult(Outcome.ALREADY_REFUNDED, order, claimed.reason, claimed.id)


def _keep(db_session: AsyncSession, order: Order, captured: Captured) -> None:
    record_payment(
        db_session,
        order,
        provider=order.payment_provider,
        provider_payment_id=captured.payment_id,
        amount=captured.amount,
        currency=captured.currency,
        kept=True,
    )


async def _claim_of(db_session: AsyncSession, payment: Payment) -> Refund | None:
    """The automatic refund of a payment its order didn't keep (its first refund: there is only one)."""
    return await db_session.scalar(
        select(Refund).where(Refund.payment_id == payment.id).order_by(Refund.created_at).limit(1)
    )


async def _claim_refund(
    db_session: AsyncSession, order: Order, captured: Captured, actor: str, reason: str, cause: RefundCause
) -> PaymentResult:
    """Record the payment ``order`` can't keep and claim its refund, of exactly what it captured, before
    anything is sent: the payment row (unique per provider id, so a second claim is impossible), a pending
    refund of it, the audit entry and the buyer's mail, all in the caller's transaction. The caller holds the
    order's lock, so a verdict already given is seen here."""
    known = await payment_by_provider_id(db_session, captured.payment_id)
    if known is not None:
        return _already_refunded(order, await _claim_of(db_session, known))
    payment = record_payment(
        db_session,
        order,
        provider=order.payment_provider,
        provider_payment_id=captured.payment_id,
        amount=captured.amount,
        currency=captured.currency,
        kept=False,
    )
    await db_session.flush()
    refund: Refund | None = None
    if captured.amount > 0:
        refund = Refund(
            order_id=order.id,
            payment_id=payment.id,
            amount=captured.amount,
            reason=f"automatic: {reason}"[:200],
            status=RefundStatus.PENDING.value,
            actor=actor,
        )
        add_refund(db_session, refund)
    money = format_money(captured.amount, captured.currency)
    note = f"payment {captured.payment_id}: {reason}; refund of {money} claimed"
    record(db_session, "order", order.id, order.status, order.status, actor, note, action="refund_claimed")
    await enqueue_payment_refund_mail(
        db_session,
        order,
        payment_id=captured.payment_id,
        amount=captured.amount,
        currency=captured.currency,
        cause=cause,
    )
    await db_session.flush()
    return PaymentResult(Outcome.REFUND_NEEDED, order, reason, refund.id if refund is not None else None)


async def payment_failed(
    db_session: AsyncSession,
    *,
    order_id: UUID,
    provider_payment_id: str,
    message: str,
    actor: str,
    occurred_at: dt.datetime | None = None,
) -> Order | None:
    """A declined card changes no seat or money, only the audit trail and what the order page says (the
    reason, and the pay form again): the buyer may retry while the hold lasts."""
    order = await db_session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        return None
    note_failed(order, provider_payment_id, message, occurred_at=occurred_at or utcnow())
    record(
        db_session,
        "order",
        order.id,
        order.status,
        order.status,
        actor,
        f"payment {provider_payment_id} failed: {message}",
        action="payment_failed",
    )
    return order
