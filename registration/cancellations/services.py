"""Cancelling and refunding registrations (handing one to someone else: ``registration.cancellations.transfers``).

Self-cancellation follows the event's fee schedule (e.g. 10 % fee until A, 50 % until B, no refund
after); organizers refund any amount up to what the payment has left (``ledger``). Seats go back at once
(the waitlist sweep offers them on). With the offline test provider a refund succeeds at once; a card
refund is recorded pending and sent by ``refund_sender``. These services never commit: the request does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium import audit
from podium.db import begin_write, utcnow
from podium.errors import Conflict
from podium.i18n import N_, gettext
from registration.audit.services import record
from registration.catalog.pricing import amount_due, local_date, percent_of
from registration.documents.services import record_documents
from registration.letters.follow import registrations_ended
from registration.mail.services import (
    enqueue_cancellation_mails,
    enqueue_organizer_refund_mail,
    enqueue_unpaid_cancelled_mail,
)
from registration.models import (
    ACTIVE_REGISTRATION_STATUSES,
    Cancellation,
    CancellationFeeRule,
    Order,
    OrderStatus,
    Payment,
    Refund,
    RefundStatus,
    Registration,
    RegistrationStatus,
    RevokedBecause,
)
from registration.orders.holds import end_pending, release_registration_seats
from registration.orders.validation import load_catalog, needs_of_registrations
from registration.payments.ledger import (
    add_refund,
    check_refundable,
    kept_payment,
    refundable,
    refunded_of_payment,
    sync_refunded,
)
from registration.status_words import status_word

# A bank transfer back is made by the organizer, outside Podium: recording it is its being sent.
INSTANT_REFUND_PROVIDERS = ("offline", "none", "bank_transfer")


def fee_pct_for(rules: Sequence[tuple[dt.date, int]], today: dt.date, event_start: dt.date) -> int:
    """The fee for cancelling on ``today`` (event-local): the first rule not yet passed; 100 % (no refund)
    after the last one; with no schedule, free until the event starts and no refund after."""
    ordered = sorted(rules)
    if not ordered:
        return 0 if today < event_start else 100
    for until, fee_pct in ordered:
        if today <= until:
            return fee_pct
    return 100


async def _fee_pct(db_session: AsyncSession, event: Event, now: dt.datetime) -> int:
    rules = (
        await db_session.execute(
            select(CancellationFeeRule.until, CancellationFeeRule.fee_pct).where(
                CancellationFeeRule.event_id == event.id
            )
        )
    ).all()
    return fee_pct_for([(u, f) for u, f in rules], local_date(now, event.timezone), event.start_date)


def refund_row(order: Order, payment: Payment, amount: int, reason: str, actor: str) -> Refund:
    """A refund row of ``payment`` (the caller checked it has ``amount`` left: ``ledger.check_refundable``);
    the offline provider's money 'moves' at once, a card refund is sent by ``refund_sender``. The caller
    adds it and brings the order's refunded total up to date (``ledger.sync_refunded``)."""
    instant = payment.provider in INSTANT_REFUND_PROVIDERS
    return Refund(
        order_id=order.id,
        payment_id=payment.id,
        amount=amount,
        reason=reason,
        status=RefundStatus.SUCCEEDED.value if instant else RefundStatus.PENDING.value,
        actor=actor,
    )


async def cancel(
    db_session: AsyncSession,
    order: Order,
    *,
    registration_ids: Sequence[UUID] | None,
    actor: str,
    by_organizer: bool = False,
    now: dt.datetime | None = None,
) -> tuple[list[UUID], int, int, Refund | None]:
    """Cancel some (or all) active registrations of ``order``: seats back, fee per the schedule (waived for
    organizers), one refund of the order's payment for the rest, never more than it has left. A pending
    order is simply cancelled and its hold released. The caller commits.
    Returns (cancelled ids, fee percent, fee, refund)."""
    now = now or utcnow()
    await begin_write(db_session)
    locked = await db_session.get(Order, order.id, with_for_update=True, populate_existing=True)
    assert locked is not None
    order = locked
    event = await db_session.get(Event, order.event_id)
    assert event is not None
    if order.status == OrderStatus.PENDING:
        return await _cancel_unpaid(db_session, order, registration_ids, actor=actor, by_organizer=by_organizer)
    if order.status != OrderStatus.PAID:
        raise Conflict(
            gettext("the order is %(status)s") % {"status": status_word(order.status)},
            field="order",
            code=f"order_{order.status}",
        )
    registrations = await _active(db_session, order, registration_ids)
    fee_pct = 0 if by_organizer else await _fee_pct(db_session, event, now)
    due = await _cancel_each(db_session, event, order, registrations, actor)
    fee = percent_of(due, fee_pct)
    refund = await _refund_rest(db_session, order, due - fee, f"cancellation ({fee_pct} % fee)", actor)
    amount = refund.amount if refund is not None else 0
    cancellation = Cancellation(
        order_id=order.id,
        registrations=len(registrations),
        amount_due=due,
        fee_pct=fee_pct,
        fee=fee,
        refund_amount=amount,
        actor=actor,
    )
    db_session.add(cancellation)
    await db_session.flush()
    await enqueue_cancellation_mails(
        db_session,
        order,
        registrations,
        fee_pct=fee_pct,
        fee=fee,
        due=due,
        refund=amount,
        by_organizer=by_organizer,
        change=str(cancellation.id),
    )
    await record_documents(db_session, order, reason="cancellation", now=now)
    await db_session.flush()
    return [r.id for r in registrations], fee_pct, fee, refund


async def _cancel_unpaid(
    db_session: AsyncSession, order: Order, registration_ids: Sequence[UUID] | None, *, actor: str, by_organizer: bool
) -> tuple[list[UUID], int, int, Refund | None]:
    """An unpaid order is cancelled whole: its hold ends (seats back), nothing to refund."""
    held = (await db_session.scalars(select(Registration.id).where(Registration.order_id == order.id))).all()
    if registration_ids is not None and set(registration_ids) != set(held):
        raise Conflict(N_("an unpaid order is cancelled as a whole"), field="registration_id", code="order_pending")
    if await end_pending(db_session, order.id, OrderStatus.CANCELLED, actor=actor, note="cancelled before payment"):
        await enqueue_unpaid_cancelled_mail(db_session, order, by_organizer=by_organizer)
    return list(held), 0, 0, None


async def _cancel_each(
    db_session: AsyncSession, event: Event, order: Order, registrations: Sequence[Registration], actor: str
) -> int:
    """Cancel each registration (its seats back, audited); returns what they cost, the refund's base."""
    catalog = await load_catalog(db_session, event)
    due = 0
    for registration in registrations:
        await release_registration_seats(db_session, order.id, needs_of_registrations(catalog, [registration]))
        record(db_session, "registration", registration.id, registration.status, RegistrationStatus.CANCELLED, actor)
        registration.status = RegistrationStatus.CANCELLED.value
        due += amount_due(registration)
    await registrations_ended(db_session, registrations, RevokedBecause.CANCELLED, actor=actor)
    return due


async def _active(
    db_session: AsyncSession, order: Order, registration_ids: Sequence[UUID] | None
) -> Sequence[Registration]:
    """The order's active registrations (those of ``registration_ids``, if given); 409 if none is left."""
    query = select(Registration).where(
        Registration.order_id == order.id, Registration.status.in_(ACTIVE_REGISTRATION_STATUSES)
    )
    if registration_ids is not None:
        query = query.where(Registration.id.in_(registration_ids))
    registrations = (await db_session.scalars(query)).all()
    if not registrations:
        raise Conflict(N_("nothing left to cancel"), field="registration_id", code="already_cancelled")
    return registrations


async def _refund_rest(db_session: AsyncSession, order: Order, owed: int, reason: str, actor: str) -> Refund | None:
    """A refund of ``owed``, never more than the order's payment has left; None when there is nothing to give."""
    payment = await kept_payment(db_session, order.id)
    if payment is None:
        return None
    amount = max(0, min(owed, await refundable(db_session, payment)))
    if amount <= 0:
        return None
    refund = add_refund(db_session, refund_row(order, payment, amount, reason, actor))
    await sync_refunded(db_session, order)
    return refund


async def refund(db_session: AsyncSession, order: Order, *, amount: int, reason: str, actor: str) -> Refund:
    """An organizer's full or partial refund of the order's payment, never more than that payment has left
    (422 ``exceeds_captured`` on ``amount``). The caller commits."""
    await begin_write(db_session)
    locked = await db_session.get(Order, order.id, with_for_update=True, populate_existing=True)
    assert locked is not None
    order = locked
    if order.status != OrderStatus.PAID:
        raise Conflict(N_("only paid orders can be refunded"), field="order", code=f"order_{order.status}")
    payment = await kept_payment(db_session, order.id)
    if payment is None:
        raise Conflict(N_("nothing was paid for this order"), field="order", code="nothing_captured")
    await check_refundable(db_session, payment, amount)
    row = add_refund(db_session, refund_row(order, payment, amount, reason.strip(), actor))
    refunded_before = order.amount_refunded
    await sync_refunded(db_session, order)
    await record_documents(db_session, order, reason="refund")
    audit.record(
        db_session,
        "order",
        order.id,
        order.status,
        order.status,
        actor,
        f"refund {amount}: {reason.strip()}",
        event_id=order.event_id,
        action="refunded",
        changes={"amount_refunded": [refunded_before, order.amount_refunded], "refund_status": [None, row.status]},
    )
    await db_session.flush()
    await enqueue_organizer_refund_mail(
        db_session,
        order,
        refund_id=row.id,
        amount=amount,
        reason=reason.strip(),
        refunded_total=await refunded_of_payment(db_session, payment.id),
    )
    return row
