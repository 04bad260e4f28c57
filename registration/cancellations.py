"""Cancelling, refunding and transferring registrations.

Self-cancellation follows the event's fee schedule (e.g. 10 % fee until A, 50 % until B, no refund
after); organizers refund any amount up to what was paid. Seats go back at once (the waitlist sweep
offers them on). With the offline test provider a refund succeeds at once; a card refund is recorded as
pending until the provider confirms it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from events.services import get_event
from podium import audit
from podium.auth.services import normalise_email
from podium.db import begin_write, utcnow
from podium.errors import Conflict, InvalidInput
from registration.audit import record
from registration.documents import issue_recorded, record_documents
from registration.holds import end_pending, release_registration_seats
from registration.mail import enqueue_cancellation_mails, enqueue_organizer_refund_mail, enqueue_transfer_mails
from registration.models import (
    ACTIVE_REGISTRATION_STATUSES,
    Cancellation,
    CancellationFeeRule,
    Category,
    Eligibility,
    Order,
    OrderStatus,
    Refund,
    Registration,
    RegistrationStatus,
)
from registration.order_validation import load_catalog, needs_of_registrations
from registration.pricing import local_date, percent_of
from registration.schemas import CancellationPolicy, FeeRule, TransferIn

INSTANT_REFUND_PROVIDERS = ("offline", "none")


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


def amount_due(registration: Registration) -> int:
    lines = registration.category_amount - registration.discount_amount
    return lines + sum(a.amount - a.discount_amount for a in registration.add_ons)


async def get_policy(db_session: AsyncSession, event_slug: str) -> CancellationPolicy:
    event = await get_event(db_session, event_slug, with_children=False)
    rows = await db_session.scalars(
        select(CancellationFeeRule).where(CancellationFeeRule.event_id == event.id).order_by(CancellationFeeRule.until)
    )
    return CancellationPolicy(rules=[FeeRule(until=r.until, fee_pct=r.fee_pct) for r in rows.all()])


async def set_policy(db_session: AsyncSession, event_slug: str, policy: CancellationPolicy) -> CancellationPolicy:
    event = await get_event(db_session, event_slug, with_children=False)
    days = [r.until for r in policy.rules]
    if len(set(days)) != len(days):
        raise InvalidInput("two rules end on the same day", field="rules")
    fees = [r.fee_pct for r in sorted(policy.rules, key=lambda r: r.until)]
    if fees != sorted(fees):
        raise InvalidInput("fees can only grow as the event comes closer", field="rules")
    before = (await get_policy(db_session, event_slug)).rules
    await db_session.execute(delete(CancellationFeeRule).where(CancellationFeeRule.event_id == event.id))
    db_session.add_all(CancellationFeeRule(event_id=event.id, until=r.until, fee_pct=r.fee_pct) for r in policy.rules)
    # One entry for the whole schedule (the rules are replaced together), keyed by the event.
    audit.record_updated(
        db_session,
        "cancellation_fee_rule",
        event.id,
        {"rules": [[r.until, r.fee_pct] for r in before]},
        {"rules": [[r.until, r.fee_pct] for r in sorted(policy.rules, key=lambda r: r.until)]},
        None,
        event_id=event.id,
    )
    await db_session.commit()
    return await get_policy(db_session, event_slug)


async def _fee_pct(db_session: AsyncSession, event: Event, now: dt.datetime) -> int:
    rules = (
        await db_session.execute(
            select(CancellationFeeRule.until, CancellationFeeRule.fee_pct).where(
                CancellationFeeRule.event_id == event.id
            )
        )
    ).all()
    return fee_pct_for([(u, f) for u, f in rules], local_date(now, event.timezone), event.start_date)


def refund_row(order: Order, amount: int, reason: str, actor: str) -> Refund:
    """A refund row; the offline provider's money 'moves' at once, a card refund waits for the provider."""
    status = "succeeded" if order.payment_provider in INSTANT_REFUND_PROVIDERS else "pending"
    if status == "succeeded":
        order.amount_refunded += amount
    return Refund(order_id=order.id, amount=amount, reason=reason, status=status, actor=actor)


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
    organizers), one refund for the rest. A pending order is simply cancelled and its hold released.
    Returns (cancelled ids, fee percent, fee, refund)."""
    now = now or utcnow()
    await begin_write(db_session)
    order = await db_session.get(Order, order.id, with_for_update=True, populate_existing=True)
    assert order is not None
    event = await db_session.get(Event, order.event_id)
    assert event is not None
    if order.status == OrderStatus.PENDING:
        held = (await db_session.scalars(select(Registration.id).where(Registration.order_id == order.id))).all()
        if registration_ids is not None and set(registration_ids) != set(held):
            raise Conflict("an unpaid order is cancelled as a whole", field="registration_id", code="order_pending")
        await end_pending(db_session, order.id, OrderStatus.CANCELLED, actor=actor, note="cancelled before payment")
        await db_session.commit()
        return list(held), 0, 0, None
    if order.status != OrderStatus.PAID:
        raise Conflict(f"the order is {order.status}", field="order", code=f"order_{order.status}")
    query = select(Registration).where(
        Registration.order_id == order.id, Registration.status.in_(ACTIVE_REGISTRATION_STATUSES)
    )
    if registration_ids is not None:
        query = query.where(Registration.id.in_(registration_ids))
    registrations = (await db_session.scalars(query)).all()
    if not registrations:
        raise Conflict("nothing left to cancel", field="registration_id", code="already_cancelled")
    fee_pct = 0 if by_organizer else await _fee_pct(db_session, event, now)
    catalog = await load_catalog(db_session, event)
    due = 0
    for registration in registrations:
        await release_registration_seats(db_session, order.id, needs_of_registrations(catalog, [registration]))
        record(db_session, "registration", registration.id, registration.status, RegistrationStatus.CANCELLED, actor)
        registration.status = RegistrationStatus.CANCELLED.value
        due += amount_due(registration)
    fee = percent_of(due, fee_pct)
    refundable = min(due - fee, order.total - order.amount_refunded)
    refund = None
    if refundable > 0:
        refund = refund_row(order, refundable, f"cancellation ({fee_pct} % fee)", actor)
        db_session.add(refund)
    cancellation = Cancellation(
        order_id=order.id,
        registrations=len(registrations),
        amount_due=due,
        fee_pct=fee_pct,
        fee=fee,
        refund_amount=max(refundable, 0),
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
        refund=max(refundable, 0),
        by_organizer=by_organizer,
        change=str(cancellation.id),
    )
    await record_documents(db_session, order, reason="cancellation", now=now)
    await db_session.commit()
    await issue_recorded(db_session)
    return [r.id for r in registrations], fee_pct, fee, refund


async def pending_refunds(db_session: AsyncSession, order: Order) -> int:
    """What is promised back from the payment ``order`` kept and not yet sent."""
    return sum(
        (
            await db_session.scalars(
                # Refunds of a payment the order didn't keep (a second one) are not of this money.
                select(Refund.amount).where(
                    Refund.order_id == order.id, Refund.status == "pending", Refund.payment_intent_id.is_(None)
                )
            )
        ).all()
    )


async def refund(db_session: AsyncSession, order: Order, *, amount: int, reason: str, actor: str) -> Refund:
    """An organizer's full or partial refund, never more than what is left of the payment."""
    await begin_write(db_session)
    order = await db_session.get(Order, order.id, with_for_update=True, populate_existing=True)
    assert order is not None
    if order.status != OrderStatus.PAID:
        raise Conflict("only paid orders can be refunded", field="order", code=f"order_{order.status}")
    pending = await pending_refunds(db_session, order)
    left = order.total - order.amount_refunded - pending
    if amount > left:
        raise InvalidInput(f"at most {left} can still be refunded", field="amount")
    row = refund_row(order, amount, reason.strip(), actor)
    db_session.add(row)
    record(
        db_session,
        "order",
        order.id,
        order.status,
        order.status,
        actor,
        f"refund {amount}: {reason.strip()}",
        action="refunded",
    )
    await record_documents(db_session, order, reason="refund")
    await db_session.flush()
    await enqueue_organizer_refund_mail(
        db_session,
        order,
        refund_id=row.id,
        amount=amount,
        reason=reason.strip(),
        refunded_total=order.amount_refunded + pending + (amount if row.status == "pending" else 0),
    )
    await db_session.commit()
    await issue_recorded(db_session)
    return row


async def transfer(
    db_session: AsyncSession, order: Order, registration_id: UUID, data: TransferIn, *, actor: str
) -> Registration:
    """Hand a registration to someone else. Their category's eligibility still applies (a member seat needs a
    member number); the registration's own secret links change, so old ones stop working, and from now on the
    order's link no longer opens it (``registration.portal``). Both people are mailed."""
    await begin_write(db_session)
    registration = await db_session.get(Registration, registration_id, with_for_update=True)
    if registration is None or registration.order_id != order.id:
        raise InvalidInput("no such registration in this order", field="registration_id")
    if registration.status not in (RegistrationStatus.CONFIRMED, RegistrationStatus.AWAITING_VERIFICATION):
        raise Conflict(f"a {registration.status} registration can't be transferred", field="registration_id")
    category = await db_session.get(Category, registration.category_id)
    if category is not None and category.eligibility == Eligibility.MEMBER_NUMBER and not data.member_number:
        raise InvalidInput(f"the {category.name} category needs a member number", field="member_number")
    previous_email, previous_name = registration.email, registration.first_name
    before = f"{registration.first_name} {registration.last_name} <{registration.email}>"
    registration.email = normalise_email(data.email)
    registration.first_name = data.first_name.strip()
    registration.last_name = data.last_name.strip()
    registration.affiliation = data.affiliation.strip()
    registration.country = data.country
    registration.member_number = data.member_number
    registration.secret_version += 1
    registration.transferred_at = utcnow()
    after = f"{registration.first_name} {registration.last_name} <{registration.email}>"
    record(
        db_session,
        "registration",
        registration.id,
        registration.status,
        registration.status,
        actor,
        f"transferred from {before} to {after}",
        action="transferred",
        changes={"holder": [before, after]},
    )
    try:
        await db_session.flush()
    except IntegrityError as exc:
        await db_session.rollback()
        raise Conflict(
            f"{data.email} is already registered for this event", field="email", code="already_registered"
        ) from exc
    await enqueue_transfer_mails(db_session, order, registration, previous_email, previous_name)
    await record_documents(db_session, order, reason="transfer")
    await db_session.commit()
    await issue_recorded(db_session)
    return registration
