"""Where an order stands, in one word and its figures: the rule behind the buyer's page and
``GET /api/orders/{id}/status``, so the two can never tell different stories.

The order's own status says too little: a paid order whose every registration was cancelled is still
``paid`` in its row, a card payment Stripe.js confirmed looks ``pending`` until the webhook arrives, and an
expired order may have had a late payment refunded. ``decide`` reads the facts (the order, its refunds and
cancellations, and what is known of the payment in flight) and names one standing; ``in_flight`` says
whether waiting will change it (a payment being confirmed, a refund on its way), which is when the page
keeps asking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import utcnow
from podium.errors import Conflict
from podium.i18n import N_
from registration.audit.services import record
from registration.models import (
    ACTIVE_REGISTRATION_STATUSES,
    Cancellation,
    Order,
    OrderStatus,
    Payment,
    Refund,
    RefundStatus,
    Registration,
)
from registration.payments.ledger import order_money
from registration.schemas import CancellationLine, OrderStanding, PaymentRead, RefundLine, Standing

CONFIRMING = "confirming"
FAILED = "failed"
# Refunds that are (or will be) money back; a failed one never will.
_LIVE_REFUNDS = ("pending", "sending", "succeeded")
_ON_ITS_WAY = ("pending", "sending")
EVENT_CLOCK_GRAIN = dt.timedelta(seconds=1)
# How long the page's "confirming" report stands against a PaymentIntent that shows no payment (see
# ``PaymentFacts.report_outdated``).
REPORT_PATIENCE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class PaymentFacts:
    """What is known of the order's card payment: recorded on the order (the page's report, a webhook), and,
    when the caller just asked the provider (the page does), the PaymentIntent's own word."""

    state: str | None = None  # "confirming" | "failed" | None, from the order row
    failure: str | None = None
    intent_in_flight: bool = False  # the PaymentIntent is processing or succeeded, no verdict applied yet
    intent_failure: str | None = None  # the PaymentIntent's last error, if its last attempt was declined
    # The page's "confirming" report is long past and the PaymentIntent, just asked, shows no payment at all:
    # the report was wrong (Stripe says "succeeded" as soon as Stripe.js confirms), so the pay form returns.
    report_outdated: bool = False


@dataclass(frozen=True)
class Facts:
    status: str
    kept_paid: int  # what the payment the order kept captured (``ledger``); 0 unpaid or free
    registrations: int
    active_registrations: int
    refunds: Sequence[RefundLine]
    cancellations: Sequence[CancellationLine]
    payment: PaymentFacts


def decide(facts: Facts) -> tuple[Standing, str | None, bool]:
    """(standing, failure reason, in flight) from the facts; pure, so every case is tested without a database."""
    live = [r for r in facts.refunds if r.status in _LIVE_REFUNDS]
    refunds_on_the_way = any(r.status in _ON_ITS_WAY for r in facts.refunds)
    payment = facts.payment
    if facts.status == OrderStatus.PENDING:
        if payment.intent_in_flight:
            return "confirming", None, True
        if payment.intent_failure:
            return "failed", payment.intent_failure, False
        if payment.state == CONFIRMING and not payment.report_outdated:
            return "confirming", None, True
        if payment.state == FAILED:
            return "failed", payment.failure or "the payment was declined", False
        return "pending", None, False
    if facts.status == OrderStatus.EXPIRED:
        # A payment confirmed before the hold ran out may still be honoured (seats free) or refunded: until
        # one of the two shows, it is in flight.
        confirming = (payment.state == CONFIRMING or payment.intent_in_flight) and not live
        return "expired", None, confirming or refunds_on_the_way
    if facts.status == OrderStatus.CANCELLED:
        return "cancelled", None, refunds_on_the_way
    # Paid: the money kept may since have gone back in part or whole, or every registration been cancelled.
    kept_back = sum(r.amount for r in live if not r.of_other_payment)
    if facts.registrations and not facts.active_registrations:
        return "cancelled", None, refunds_on_the_way
    if facts.kept_paid and kept_back >= facts.kept_paid:
        return "refunded", None, refunds_on_the_way
    if kept_back:
        return "partially_refunded", None, refunds_on_the_way
    return "paid", None, refunds_on_the_way


def payment_facts(order: Order, payment: PaymentRead | None = None, *, now: dt.datetime | None = None) -> PaymentFacts:
    """The order row's word and, if the caller asked the provider (``payment`` with a client secret: its
    PaymentIntent was just read), the PaymentIntent's."""
    asked = payment is not None and payment.client_secret is not None
    idle = asked and payment is not None and not payment.in_flight and not payment.last_error
    reported_at = order.payment_state_at
    outdated = bool(
        idle and order.payment_state == CONFIRMING and reported_at and (now or utcnow()) - reported_at > REPORT_PATIENCE
    )
    return PaymentFacts(
        state=order.payment_state,
        failure=order.payment_failure,
        intent_in_flight=bool(payment and payment.in_flight),
        intent_failure=payment.last_error if payment else None,
        report_outdated=outdated,
    )


async def _refunds_and_cancellations(
    db_session: AsyncSession, order_id: UUID
) -> tuple[list[RefundLine], list[CancellationLine]]:
    """The order's refunds (each saying whether it gave back a payment the order kept) and cancellations, oldest
    first."""
    refund_rows = (
        await db_session.execute(
            select(Refund, Payment.kept)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(Refund.order_id == order_id)
            .order_by(Refund.created_at)
        )
    ).all()
    cancellation_rows = (
        await db_session.scalars(
            select(Cancellation).where(Cancellation.order_id == order_id).order_by(Cancellation.created_at)
        )
    ).all()
    refunds = [
        RefundLine(
            amount=r.amount,
            reason=r.reason,
            status=RefundStatus(r.status),
            of_other_payment=not kept,
            created_at=r.created_at,
        )
        for r, kept in refund_rows
    ]
    cancellations = [
        CancellationLine(
            registrations=c.registrations, fee_pct=c.fee_pct, fee=c.fee, refund=c.refund_amount, created_at=c.created_at
        )
        for c in cancellation_rows
    ]
    return refunds, cancellations


async def _registration_counts(db_session: AsyncSession, order_id: UUID) -> tuple[int, int]:
    """(all, still active) registrations of the order."""
    active = Registration.status.in_(ACTIVE_REGISTRATION_STATUSES)
    counted = (
        await db_session.execute(
            select(func.count(), func.count().filter(active)).where(Registration.order_id == order_id)
        )
    ).one()
    return int(counted[0]), int(counted[1])


async def order_standing(
    db_session: AsyncSession, order: Order, *, payment: PaymentRead | None = None
) -> OrderStanding:
    """The standing of ``order`` from the database (and ``payment``, the provider's word, when the caller has
    it); the money from ``ledger``. A few small indexed reads, cheap enough for a page that polls."""
    refunds, cancellations = await _refunds_and_cancellations(db_session, order.id)
    counted = await _registration_counts(db_session, order.id)
    money = await order_money(db_session, order.id)
    facts = Facts(
        status=order.status,
        kept_paid=money.paid,
        registrations=counted[0],
        active_registrations=counted[1],
        refunds=refunds,
        cancellations=cancellations,
        payment=payment_facts(order, payment),
    )
    standing, reason, in_flight = decide(facts)
    return OrderStanding(
        order_id=order.id,
        standing=standing,
        order_status=OrderStatus(order.status),
        currency=order.currency,
        total=order.total,
        # Every payment captured, the ones the order could not keep included: what the buyer sent.
        amount_paid=money.captured,
        amount_refunded=money.refunded,
        refund_pending=money.refund_pending,
        fee=sum(c.fee for c in cancellations),
        refunds=refunds,
        cancellations=cancellations,
        failure_reason=reason,
        hold_expires_at=order.hold_expires_at if order.status == OrderStatus.PENDING else None,
        in_flight=in_flight,
    )


async def card_payment_confirmed(db_session: AsyncSession, order: Order, payment_intent: str) -> bool:
    """``note_confirming`` and its audit entry (once: a page reporting again changes nothing)."""
    before = order.payment_state
    if not note_confirming(order, payment_intent) or before == CONFIRMING:
        return False
    note = f"card payment {payment_intent} confirmed in the browser; awaiting the provider's verdict"
    buyer = f"buyer:{order.buyer_email}"
    record(db_session, "order", order.id, order.status, order.status, buyer, note, action="payment_confirming")
    return True


def note_confirming(order: Order, payment_intent: str, *, now: dt.datetime | None = None) -> bool:
    """The buyer's page reports that Stripe.js confirmed ``payment_intent``: the order shows "confirming" until
    the webhook's verdict. Only the order's own PaymentIntent counts; an order no longer open is left as it is
    (False). Display only: no seat or money rule reads it, so a page that says so falsely fools itself alone."""
    if order.payment_provider != "stripe":
        raise Conflict(N_("this order is not paid by card"), field="provider", code="wrong_provider")
    if not order.provider_payment_id or payment_intent != order.provider_payment_id:
        raise Conflict(N_("this is not the order's payment"), field="payment_intent", code="unknown_payment")
    if order.status not in (OrderStatus.PENDING, OrderStatus.EXPIRED):
        return False
    order.payment_state = CONFIRMING
    order.payment_state_at = now or utcnow()
    order.payment_failure = None
    return True


def note_failed(order: Order, payment_intent: str, reason: str, *, occurred_at: dt.datetime) -> bool:
    """A provider's verdict that ``payment_intent`` was declined, kept for the page with its reason. A verdict
    older than a confirmation recorded since (webhooks arrive in any order; the buyer retried with another
    card) is ignored, as is one for another intent or an order no longer waiting (False). Stripe stamps events
    in whole seconds, so "older" means by more than that second."""
    if payment_intent != order.provider_payment_id or order.status != OrderStatus.PENDING:
        return False
    confirmed_at = order.payment_state_at
    if order.payment_state == CONFIRMING and confirmed_at and confirmed_at > occurred_at + EVENT_CLOCK_GRAIN:
        return False
    order.payment_state = FAILED
    order.payment_state_at = occurred_at
    order.payment_failure = reason[:300]
    return True
