"""Cancelling, refunding and transferring registrations.

Self-cancellation follows the event's fee schedule (e.g. 10 % fee until A, 50 % until B, no refund
after); organizers refund any amount up to what the payment has left (``ledger``). Seats go back at once
(the waitlist sweep offers them on). With the offline test provider a refund succeeds at once; a card
refund is recorded pending and sent by ``refund_sender``. These services never commit: the request does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from events.services import get_event
from podium import audit
from podium.auth.services import normalise_email
from podium.db import begin_write, utcnow
from podium.errors import Conflict, FieldError, InvalidInput
from registration.audit import record
from registration.documents import record_documents
from registration.holds import end_pending, release_registration_seats
from registration.income_groups import discount_pct
from registration.ledger import check_refundable, kept_payment, refundable, refunded_of_payment, sync_refunded
from registration.mail import (
    enqueue_cancellation_mails,
    enqueue_organizer_refund_mail,
    enqueue_transfer_mails,
    enqueue_unpaid_cancelled_mail,
)
from registration.models import (
    ACTIVE_REGISTRATION_STATUSES,
    Cancellation,
    CancellationFeeRule,
    Category,
    Eligibility,
    Order,
    OrderStatus,
    Payment,
    PromoCode,
    Refund,
    RefundStatus,
    Registration,
    RegistrationSettings,
    RegistrationStatus,
)
from registration.order_validation import COMP, access_code_matches, load_catalog, needs_of_registrations
from registration.pricing import Promo, local_date, percent_of, quote_attendee
from registration.receipts import format_money
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
        held = (await db_session.scalars(select(Registration.id).where(Registration.order_id == order.id))).all()
        if registration_ids is not None and set(registration_ids) != set(held):
            raise Conflict("an unpaid order is cancelled as a whole", field="registration_id", code="order_pending")
        if await end_pending(db_session, order.id, OrderStatus.CANCELLED, actor=actor, note="cancelled before payment"):
            await enqueue_unpaid_cancelled_mail(db_session, order, by_organizer=by_organizer)
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
    refund = None
    amount = 0
    payment = await kept_payment(db_session, order.id)
    if payment is not None:
        amount = max(0, min(due - fee, await refundable(db_session, payment)))
        if amount > 0:
            refund = refund_row(order, payment, amount, f"cancellation ({fee_pct} % fee)", actor)
            db_session.add(refund)
            await sync_refunded(db_session, order)
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


async def refund(db_session: AsyncSession, order: Order, *, amount: int, reason: str, actor: str) -> Refund:
    """An organizer's full or partial refund of the order's payment, never more than that payment has left
    (422 ``exceeds_captured`` on ``amount``). The caller commits."""
    await begin_write(db_session)
    locked = await db_session.get(Order, order.id, with_for_update=True, populate_existing=True)
    assert locked is not None
    order = locked
    if order.status != OrderStatus.PAID:
        raise Conflict("only paid orders can be refunded", field="order", code=f"order_{order.status}")
    payment = await kept_payment(db_session, order.id)
    if payment is None:
        raise Conflict("nothing was paid for this order", field="order", code="nothing_captured")
    await check_refundable(db_session, payment, amount)
    row = refund_row(order, payment, amount, reason.strip(), actor)
    db_session.add(row)
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


class TransferRefused(Conflict):
    """A rule of the registration's category that the new person doesn't meet (``code`` names the rule)."""

    title = "Transfer refused"


@dataclass(frozen=True)
class RuleFailure:
    code: str
    field: str
    detail: str


async def transfer_rule_failures(
    db_session: AsyncSession, order: Order, registration: Registration, data: TransferIn
) -> list[RuleFailure]:
    """Every rule of the registration's category the new person fails, in the order a buyer would fix them:
    the category's eligibility (member number, access code, verification) and the price. The price is
    the one the registration was bought at (its price window and the order's promo code) with the new
    person's own income-group discount: a seat bought at a 75 % discount is not someone else's at that
    price. The same rules as placing an order (``order_validation``, ``pricing``)."""
    failures: list[RuleFailure] = []
    category = await db_session.get(Category, registration.category_id)
    assert category is not None
    rule = Eligibility(category.eligibility)
    if rule == Eligibility.MEMBER_NUMBER and not data.member_number:
        failures.append(
            RuleFailure(
                "member_number_required", "member_number", f"the {category.name} category needs a member number"
            )
        )
    if rule == Eligibility.ACCESS_CODE and not access_code_matches(category, data.access_code):
        failures.append(
            RuleFailure(
                "access_code_required", "access_code", f"the {category.name} category needs its valid access code"
            )
        )
    if rule == Eligibility.VERIFICATION:
        failures.append(
            RuleFailure(
                "verification_required",
                "registration_id",
                f"the {category.name} category needs the organizers to verify the new person's eligibility",
            )
        )
    settings = await db_session.scalar(
        select(RegistrationSettings).where(RegistrationSettings.event_id == registration.event_id)
    )
    promo = await _promo_of(db_session, order)
    quote = quote_attendee(
        category_id=str(registration.category_id),
        category_amount=registration.category_amount,
        add_ons=[(str(a.add_on_id), a.amount) for a in registration.add_ons],
        income_discount_pct=discount_pct(settings, data.country),
        promo=promo,
    )
    paid = amount_due(registration)
    if quote.total != paid:
        failures.append(
            RuleFailure(
                "price_differs",
                "country",
                f"the new person's price is {format_money(quote.total, order.currency)},"
                f" the registration was bought for {format_money(paid, order.currency)}",
            )
        )
    return failures


async def _promo_of(db_session: AsyncSession, order: Order) -> Promo | None:
    """The discount the order was priced with: its promo code, or the organizers' comp."""
    if order.promo_code_id is not None:
        promo = await db_session.get(PromoCode, order.promo_code_id)
        if promo is not None:
            return Promo(
                kind=promo.kind,
                value=promo.value,
                category_ids=frozenset(promo.category_ids),
                add_on_ids=frozenset(promo.add_on_ids),
            )
    if order.subtotal > 0 and order.discount_total >= order.subtotal:
        return COMP
    return None


def _holder(registration: Registration) -> dict[str, object]:
    return {
        "email": registration.email,
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "affiliation": registration.affiliation,
        "country": registration.country,
        "member_number": registration.member_number,
    }


async def transfer(
    db_session: AsyncSession,
    order: Order,
    registration_id: UUID,
    data: TransferIn,
    *,
    actor: str,
    override: bool = False,
) -> Registration:
    """Hand a registration to someone else. The category's rules are checked again for the new person
    (``transfer_rule_failures``): the first one failed is refused with 409 naming it, unless an organizer
    overrides (``override``, audited with the rules overridden). The registration's own secret links change,
    so old ones stop working, and from now on the order's link no longer opens it (``registration.link_rule``).
    Both people are mailed. The caller commits."""
    await begin_write(db_session)
    registration = await db_session.get(Registration, registration_id, with_for_update=True)
    if registration is None or registration.order_id != order.id:
        raise InvalidInput("no such registration in this order", field="registration_id")
    if registration.status not in (RegistrationStatus.CONFIRMED, RegistrationStatus.AWAITING_VERIFICATION):
        raise Conflict(f"a {registration.status} registration can't be transferred", field="registration_id")
    failures = await transfer_rule_failures(db_session, order, registration, data)
    if failures and not override:
        first = failures[0]
        raise TransferRefused(
            first.detail,
            field=first.field,
            code=first.code,
            errors=[FieldError(f.field, f"{f.code}: {f.detail}") for f in failures],
        )
    previous_email, previous_name = registration.email, registration.first_name
    before = f"{registration.first_name} {registration.last_name} <{registration.email}>"
    holder_before = _holder(registration)
    registration.email = normalise_email(data.email)
    registration.first_name = data.first_name.strip()
    registration.last_name = data.last_name.strip()
    registration.affiliation = data.affiliation.strip()
    registration.country = data.country
    registration.member_number = data.member_number
    registration.secret_version += 1
    registration.transferred_at = utcnow()
    after = f"{registration.first_name} {registration.last_name} <{registration.email}>"
    note = f"transferred from {before} to {after}"
    holder_after: dict[str, object] = _holder(registration)
    holder_before["holder"], holder_after["holder"] = before, after
    if failures:
        note += "; rules overridden: " + "; ".join(f"{f.code} ({f.detail})" for f in failures)
        holder_after["rules_overridden"] = [f.code for f in failures]
    audit.record_updated(
        db_session,
        "registration",
        registration.id,
        holder_before,
        holder_after,
        actor,
        event_id=registration.event_id,
        action="transferred_with_override" if failures else "transferred",
        note=note,
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
    await db_session.flush()
    return registration
