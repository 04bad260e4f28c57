"""The organizers' decision on a registration awaiting verification (a student, a patient advocate …).

Approved: the registration counts (→ confirmed) and the attendee gets their link and badge. Rejected: the
organizer says what happens to the money, so nobody stays charged for a seat they don't have:
``cancel_and_refund`` cancels it (seats back) and refunds what it cost, in full; ``move_category`` moves it to
a category the person is eligible for (``move_to``, by code) and refunds the difference. Either way the
person is mailed once, saying which, and how much goes back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.db import begin_write, utcnow
from podium.errors import Conflict, InvalidInput, NotFound
from podium.i18n import N_, gettext
from podium.translated import translated_text
from registration.audit.services import record
from registration.cancellations.services import refund_row
from registration.catalog.pricing import Window, amount_due, current_window, local_date, percent_of
from registration.documents.services import record_documents
from registration.income_groups import discount_pct
from registration.letters.follow import registrations_ended
from registration.mail.services import enqueue_verification_mail
from registration.models import (
    Category,
    Eligibility,
    Order,
    OrderQuota,
    OrderStatus,
    Registration,
    RegistrationStatus,
    RevokedBecause,
)
from registration.orders.holds import release_registration_seats, take_seats
from registration.orders.uploads import documents_of
from registration.orders.validation import CatalogView, SoldOut, load_catalog, needs_of_registrations
from registration.payments.ledger import add_refund, kept_payment, refundable, sync_refunded
from registration.status_words import status_word

RejectionOutcome = Literal["cancel_and_refund", "move_category"]


async def decide(
    db_session: AsyncSession,
    event: Event,
    registration_id: UUID,
    *,
    approve: bool,
    note: str,
    actor: str,
    on_reject: RejectionOutcome = "cancel_and_refund",
    move_to: str | None = None,
    now: dt.datetime | None = None,
) -> Registration:
    """Approve (→ confirmed) or reject a registration awaiting verification; see the module for the choices.
    The caller commits the decision with its mail (a refusal leaves nothing to commit)."""
    registration = await _awaiting(db_session, event, registration_id)
    category = await db_session.get(Category, registration.category_id)
    category_name = category.name if category is not None else "Registration"  # the audit's, in the base language
    if approve:
        await _approve(db_session, registration, note=note, actor=actor)
    else:
        rejection = _Rejection(on_reject, move_to, note, actor, registration.category_id, category_name)
        await _reject(db_session, event, registration, rejection, now or utcnow())
    return registration


async def _awaiting(db_session: AsyncSession, event: Event, registration_id: UUID) -> Registration:
    """The registration, locked, if it is this event's and still awaits a decision."""
    await begin_write(db_session)
    registration = await db_session.get(Registration, registration_id, with_for_update=True, populate_existing=True)
    if registration is None or registration.event_id != event.id:
        raise NotFound(N_("no such registration at this event"), field="registration_id")
    if registration.status != RegistrationStatus.AWAITING_VERIFICATION:
        raise Conflict(
            gettext("the registration is %(status)s, not awaiting verification")
            % {"status": status_word(registration.status)},
            field="registration_id",
            code="not_awaiting_verification",
        )
    return registration


async def _approve(db_session: AsyncSession, registration: Registration, *, note: str, actor: str) -> None:
    """Confirmed, once there is something to have verified: a stated reason or an uploaded document."""
    if not (registration.verification_note or "").strip() and not await documents_of(db_session, [registration.id]):
        raise Conflict(
            N_("there is nothing to verify yet: no reason stated and no document uploaded"),
            field="registration_id",
            code="nothing_to_verify",
        )
    registration.status = RegistrationStatus.CONFIRMED.value
    _record(db_session, registration, RegistrationStatus.CONFIRMED, actor, "verification approved", note)
    await enqueue_verification_mail(db_session, registration, approved=True, category_id=registration.category_id)


@dataclass(frozen=True)
class _Rejection:
    outcome: RejectionOutcome
    move_to: str | None
    note: str
    actor: str
    category_id: UUID  # the category that was checked (a move changes the registration's)
    category_name: str


async def _reject(
    db_session: AsyncSession, event: Event, registration: Registration, rejection: _Rejection, now: dt.datetime
) -> None:
    """Cancel or move the registration, refund what it no longer costs, mail the person, correct the receipt."""
    actor = rejection.actor
    order = await db_session.get(Order, registration.order_id, with_for_update=True, populate_existing=True)
    assert order is not None  # the foreign key
    catalog = await load_catalog(db_session, event)
    if rejection.outcome == "move_category":
        moved_to, refund = await _move(db_session, event, catalog, order, registration, rejection.move_to, now)
        target = RegistrationStatus.CONFIRMED
        verdict = f"verification rejected, moved from {rejection.category_name} to {moved_to}"
    else:
        if rejection.move_to:
            raise InvalidInput(N_("move_to goes with on_reject move_category"), field="move_to")
        await release_registration_seats(db_session, order.id, needs_of_registrations(catalog, [registration]))
        refund = await _refundable(db_session, order, amount_due(registration))
        moved_to, target = "", RegistrationStatus.CANCELLED
        registration.status = target.value
        await registrations_ended(db_session, [registration], RevokedBecause.CANCELLED, actor=actor)
        verdict = "verification rejected, cancelled"
    payment = await kept_payment(db_session, order.id)
    if refund and payment is not None:
        add_refund(db_session, refund_row(order, payment, refund, f"{verdict}"[:200], actor))
        await sync_refunded(db_session, order)
        record(db_session, "order", order.id, order.status, order.status, actor, f"refund {refund}: {verdict}")
    _record(db_session, registration, target, actor, verdict, rejection.note)
    await enqueue_verification_mail(
        db_session,
        registration,
        approved=False,
        category_id=rejection.category_id,
        note=rejection.note.strip(),
        outcome=rejection.outcome,
        moved_to_id=registration.category_id if rejection.outcome == "move_category" else None,
        refund=refund,
    )
    # The order changed (a registration cancelled or repriced): a credit note and, where money remains, a new
    # receipt are recorded now and numbered after commit (``registration.documents.services``).
    reason = "category move" if rejection.outcome == "move_category" else "verification rejected"
    await record_documents(db_session, order, reason=reason, now=now)


def _record(
    db_session: AsyncSession,
    registration: Registration,
    target: RegistrationStatus,
    actor: str,
    verdict: str,
    note: str,
) -> None:
    text = f"{verdict}: {note.strip()}" if note.strip() else verdict
    record(db_session, "registration", registration.id, RegistrationStatus.AWAITING_VERIFICATION, target, actor, text)


async def _refundable(db_session: AsyncSession, order: Order, amount: int) -> int:
    """``amount``, but never more than what is left of the order's payment (earlier refunds count)."""
    payment = await kept_payment(db_session, order.id)
    if order.status != OrderStatus.PAID or payment is None:
        return 0
    return max(0, min(amount, await refundable(db_session, payment)))


async def _move(
    db_session: AsyncSession,
    event: Event,
    catalog: CatalogView,
    order: Order,
    registration: Registration,
    move_to: str | None,
    now: dt.datetime,
) -> tuple[str, int]:
    """Move ``registration`` to the category coded ``move_to`` at the price it had when the order was placed
    (with the person's income-group discount, as then): seats change category, the difference is refunded.
    Returns the category's name and the refund."""
    if not move_to:
        raise InvalidInput(N_("say which category to move the registration to"), field="move_to")
    target = catalog.categories.get(move_to)
    if target is None or not target.is_active:
        raise InvalidInput(gettext("no category %(code)s at this event") % {"code": repr(move_to)}, field="move_to")
    if target.id == registration.category_id:
        raise InvalidInput(N_("that is the category being rejected"), field="move_to")
    rule = Eligibility(target.eligibility)
    if rule in (Eligibility.VERIFICATION, Eligibility.ACCESS_CODE) or (
        rule == Eligibility.MEMBER_NUMBER and not registration.member_number
    ):
        raise Conflict(
            gettext("the person is not eligible for %(category)s (%(rule)s rule)")
            % {"category": translated_text(target, "name"), "rule": rule.value},
            field="move_to",
            code="not_eligible",
        )
    windows = [Window(w.label, w.starts_on, w.amount) for w in target.price_windows]
    ordered_on = local_date(order.created_at or now, event.timezone)
    window = current_window(windows, ordered_on) or current_window(windows, local_date(now, event.timezone))
    if window is None:
        raise Conflict(
            gettext("%(category)s has no price yet") % {"category": translated_text(target, "name")},
            field="move_to",
            code="not_on_sale",
        )
    income = percent_of(window.amount, discount_pct(catalog.settings, registration.country))
    paid = registration.category_amount - registration.discount_amount
    new_due = window.amount - income
    if new_due > paid:
        raise Conflict(
            gettext("%(category)s costs more than was paid for this registration")
            % {"category": translated_text(target, "name")},
            field="move_to",
            code="costs_more",
        )
    before = needs_of_registrations(catalog, [registration])
    async with db_session.begin_nested():  # a shortage (SoldOut) undoes the move and any seats it took
        registration.category_id = target.id
        after = needs_of_registrations(catalog, [registration])
        to_take = {q: n - before.get(q, 0) for q, n in after.items() if n > before.get(q, 0)}
        if await take_seats(db_session, to_take) is not None:
            raise SoldOut(
                gettext("%(category)s is full") % {"category": translated_text(target, "name")}, field="move_to"
            )
    to_give = {q: n - after.get(q, 0) for q, n in before.items() if n > after.get(q, 0)}
    await _hold(db_session, order.id, to_take)
    await release_registration_seats(db_session, order.id, to_give)
    registration.category_amount = window.amount
    registration.discount_amount = income
    registration.status = RegistrationStatus.CONFIRMED.value
    return target.name, await _refundable(db_session, order, paid - new_due)


async def _hold(db_session: AsyncSession, order_id: UUID, taken: dict[UUID, int]) -> None:
    """Add seats just taken to the order's record of what it holds (so cancelling it gives them back)."""
    for quota_id in sorted(taken, key=str):
        changed = await db_session.execute(
            update(OrderQuota)
            .where(OrderQuota.order_id == order_id, OrderQuota.quota_id == quota_id)
            .values(count=OrderQuota.count + taken[quota_id])
            .execution_options(synchronize_session=False)
        )
        if not changed.rowcount:  # type: ignore[attr-defined]  # a DML result has a rowcount
            db_session.add(OrderQuota(order_id=order_id, quota_id=quota_id, count=taken[quota_id]))
