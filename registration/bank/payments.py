"""Recording money received by bank transfer for an order: the one rule, for organizers marking a payment and
for the bank statement import alike.

``record_bank_payment(db_session, *, order_id, amount, currency, booked_on, source, source_line_id=None, actor,
note="", now=None) -> BankPaymentOutcome`` (stable; the caller owns and commits the transaction):

- locks the order (``FOR UPDATE``; SQLite's write lock) for the rest of the caller's transaction, so concurrent
  recordings and the hold sweep see each other and each credit counts once;
- ``source`` says where the money was seen (``manual``, ``csv``, ``camt053`` …) and ``source_line_id`` which line
  (a statement line id, or a client's idempotency key): the same (order, source, line) recorded again changes
  nothing and answers ``duplicate=True`` with the first credit;
- adds the credit to the order's one bank ``Payment`` (provider ``bank_transfer``, ``amount_captured`` = the sum
  of its credits), so refunds, receipts and the ledger treat it like any payment;
- then, by what the order is: pending and now fully paid → ``CONFIRMED`` (paid, as a card payment confirms it:
  receipt, mail, badges); pending and short → ``PARTIAL`` (stays pending, "partly paid: X of Y"); already paid →
  ``ALREADY_PAID`` (the money is excess); expired and now fully paid with its seats still free → ``HONOURED_LATE``;
  otherwise (expired with seats gone or short, cancelled) → ``REFUND_NEEDED``: the money is recorded and shown
  as to be refunded. Over-payment pays the order; ``excess`` is what the organizer should send back.
- 422 on ``amount`` (not positive) or ``currency`` (not the order's); an unknown order is ``UNKNOWN_ORDER``.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from podium.audit import record
from podium.db import begin_write, utcnow
from podium.errors import InvalidInput
from podium.formatting import format_money
from podium.i18n import N_
from registration.bank import PROVIDER
from registration.models import BankCredit, Order, OrderStatus, Payment, Refund, RegistrationStatus
from registration.orders.confirmation import confirm_order
from registration.orders.payment_outcomes import retake_seats
from registration.payments.ledger import COMMITTED_REFUND_STATES


class Outcome(enum.StrEnum):
    CONFIRMED = "confirmed"  # fully paid now: the order is paid
    PARTIAL = "partial"  # recorded; the order waits for the rest
    ALREADY_PAID = "already_paid"  # the order was paid before: this money is excess
    HONOURED_LATE = "honoured_late"  # paid in full after the hold ended, seats still free: paid
    REFUND_NEEDED = "refund_needed"  # the order can't take it (expired with seats gone, cancelled): refund it
    UNKNOWN_ORDER = "unknown_order"


@dataclass(frozen=True)
class BankPaymentOutcome:
    outcome: Outcome
    order_id: UUID
    credit_id: UUID | None = None
    duplicate: bool = False  # this (source, line) was recorded before: nothing changed
    received: int = 0  # every credit of the order so far
    total: int = 0
    excess: int = 0  # received beyond what the order keeps, less what already went back: to refund


def bank_payment_id(order_id: UUID) -> str:
    """The order's one bank payment's provider id: all its credits add up on it."""
    return f"bank-{order_id}"


async def record_bank_payment(
    db_session: AsyncSession,
    *,
    order_id: UUID,
    amount: int,
    currency: str,
    booked_on: dt.date,
    source: str,
    source_line_id: str | None = None,
    actor: str,
    note: str = "",
    now: dt.datetime | None = None,
    to_refund: bool = False,
) -> BankPaymentOutcome:
    """Record ``amount`` received for ``order_id`` by transfer and apply it (see the module docstring);
    ``to_refund``: an organizer decided to send it back (``statements.review.refund_line``), so it is recorded
    and never applied, not even honoured late."""
    now = now or utcnow()
    if amount <= 0:
        raise InvalidInput(N_("the amount must be more than zero"), field="amount")
    await begin_write(db_session)
    order = await db_session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        return BankPaymentOutcome(Outcome.UNKNOWN_ORDER, order_id)
    if currency.upper() != order.currency.upper():
        raise InvalidInput(N_("the currency is not the order's"), field="currency", code="wrong_currency")
    if source_line_id is not None:
        known = await db_session.scalar(
            select(BankCredit).where(
                BankCredit.order_id == order.id,
                BankCredit.source == source,
                BankCredit.source_line_id == source_line_id,
            )
        )
        if known is not None:
            return await _outcome(db_session, order, _repeat(order), known.id, duplicate=True)
    payment = await _bank_payment(db_session, order)
    payment.amount_captured += amount
    credit = BankCredit(
        order_id=order.id,
        payment_id=payment.id,
        amount=amount,
        currency=order.currency.upper(),
        booked_on=booked_on,
        source=source[:20],
        source_line_id=source_line_id,
        note=note.strip(),
        actor=actor,
    )
    db_session.add(credit)
    await db_session.flush()
    money = format_money(amount, order.currency)
    where = f"{source}" + (f" line {source_line_id}" if source_line_id else "")
    audit_note = f"bank payment of {money} booked {booked_on.isoformat()} ({where})" + (f": {note}" if note else "")
    if to_refund:
        _note(db_session, order, actor, audit_note + "; to send back")
        outcome = _repeat(order)
    else:
        outcome = await _apply(db_session, order, payment, actor=actor, now=now, note=audit_note)
    return await _outcome(db_session, order, outcome, credit.id, duplicate=False)


async def _bank_payment(db_session: AsyncSession, order: Order) -> Payment:
    provider_id = bank_payment_id(order.id)
    payment = await db_session.scalar(select(Payment).where(Payment.provider_payment_id == provider_id))
    if payment is None:
        payment = Payment(
            order_id=order.id,
            provider=PROVIDER,
            provider_payment_id=provider_id,
            amount_captured=0,
            currency=order.currency.upper(),
            kept=False,
        )
        db_session.add(payment)
        await db_session.flush()
    return payment


async def _apply(
    db_session: AsyncSession, order: Order, payment: Payment, *, actor: str, now: dt.datetime, note: str
) -> Outcome:
    """What the credit (already added to ``payment``) does to the locked ``order``."""
    paid_in_full = payment.amount_captured >= order.total
    if order.status == OrderStatus.PENDING and paid_in_full:
        _keep(order, payment)
        await confirm_order(db_session, order, actor=actor, now=now, note=note)
        return Outcome.CONFIRMED
    if order.status == OrderStatus.PENDING:
        _note(db_session, order, actor, note + f"; {payment.amount_captured} of {order.total} received")
        return Outcome.PARTIAL
    if order.status == OrderStatus.PAID:
        _note(db_session, order, actor, note + "; the order was already paid: excess to refund")
        return Outcome.ALREADY_PAID
    late = order.status == OrderStatus.EXPIRED and paid_in_full
    if late and await _honour_late(db_session, order, payment, actor, now, note):
        return Outcome.HONOURED_LATE
    _note(db_session, order, actor, note + f"; the order is {order.status}: to refund")
    return Outcome.REFUND_NEEDED


def _keep(order: Order, payment: Payment) -> None:
    payment.kept = True
    order.provider_payment_id = payment.provider_payment_id
    order.payment_provider = PROVIDER


async def _honour_late(
    db_session: AsyncSession, order: Order, payment: Payment, actor: str, now: dt.datetime, note: str
) -> bool:
    """Paid in full after the hold ended: confirm if the seats can be taken again, in a savepoint undone alone."""
    try:
        async with db_session.begin_nested():
            if not await retake_seats(db_session, order, now):
                raise _SeatsGone
            _keep(order, payment)
            await confirm_order(
                db_session,
                order,
                actor=actor,
                now=now,
                note=note + "; after the hold expired, seats were still free",
                registrations_from=RegistrationStatus.EXPIRED,
            )
    except (_SeatsGone, IntegrityError):
        await db_session.refresh(order)
        await db_session.refresh(payment)
        return False
    return True


class _SeatsGone(Exception):
    """Ends the savepoint of a late transfer whose seats can't be taken again."""


def _note(db_session: AsyncSession, order: Order, actor: str, note: str) -> None:
    record(
        db_session,
        "order",
        order.id,
        order.status,
        order.status,
        actor,
        note,
        event_id=order.event_id,
        action="bank_payment_received",
    )


def _repeat(order: Order) -> Outcome:
    """The outcome a repeated line reports: what the order is now."""
    if order.status == OrderStatus.PAID:
        return Outcome.ALREADY_PAID
    if order.status == OrderStatus.PENDING:
        return Outcome.PARTIAL
    return Outcome.REFUND_NEEDED


async def bank_money(db_session: AsyncSession, order: Order) -> tuple[int, int]:
    """(received, excess) of the order's bank payment: every credit, and what of it the order doesn't keep
    and hasn't yet gone back (over-payment, or all of it when the order ended unpaid). Money for an order still
    waiting for the rest is not excess: it is kept once the order is paid."""
    payment = await db_session.scalar(select(Payment).where(Payment.provider_payment_id == bank_payment_id(order.id)))
    if payment is None:
        return 0, 0
    back = await db_session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.payment_id == payment.id, Refund.status.in_(COMMITTED_REFUND_STATES)
        )
    )
    kept = order.total if payment.kept or order.status == OrderStatus.PENDING else 0
    return payment.amount_captured, max(0, payment.amount_captured - kept - int(back or 0))


async def _outcome(
    db_session: AsyncSession, order: Order, outcome: Outcome, credit_id: UUID, *, duplicate: bool
) -> BankPaymentOutcome:
    received, excess = await bank_money(db_session, order)
    return BankPaymentOutcome(
        outcome, order.id, credit_id, duplicate=duplicate, received=received, total=order.total, excess=excess
    )
