"""The buyer chooses to pay by bank transfer: the order gets its reference and due date, and its hold is
stretched to that date within the organizer's limits (never shortened: a group invoice may hold it longer). The
seats stay taken throughout (the hold never lapses in between), so capacities stay exact; the hold sweep ends the
order if the money has not come by then."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.audit import record
from podium.db import begin_write, utcnow
from podium.errors import Conflict
from podium.i18n import N_
from registration.bank import PROVIDER
from registration.bank.how_to_pay import enqueue_how_to_pay
from registration.bank.references import new_reference
from registration.bank.settings import settings_for
from registration.models import BankTransferSettings, Order, OrderStatus
from registration.orders.confirmation import HoldExpired
from registration.orders.holds import end_pending

_REFERENCE_TRIES = 5


def latest_due(order: Order, event: Event, rules: BankTransferSettings) -> dt.datetime:
    """The furthest the hold may go: ``latest_days_before_event`` days before the event's first day (its local
    midnight), and ``max_days_from_order`` days after the order was placed, whichever comes first."""
    start = dt.datetime.combine(event.start_date, dt.time(), tzinfo=zoneinfo.ZoneInfo(event.timezone))
    before_event = (start - dt.timedelta(days=rules.latest_days_before_event)).astimezone(dt.UTC)
    from_order = order.created_at + dt.timedelta(days=rules.max_days_from_order)
    return min(before_event, from_order)


def due_date(order: Order, event: Event, rules: BankTransferSettings, now: dt.datetime) -> dt.datetime:
    return min(now + dt.timedelta(days=rules.due_days), latest_due(order, event, rules))


async def offers_bank_transfer(db_session: AsyncSession, order: Order) -> bool:
    """Whether the order page offers the switch: a pending order with something to pay, not on transfer yet, of
    an event that takes transfers (the rest, such as the deadline, is checked when the buyer chooses)."""
    if order.status != OrderStatus.PENDING or order.total == 0 or order.payment_provider == PROVIDER:
        return False
    event = await db_session.get(Event, order.event_id)
    return event is not None and (await settings_for(db_session, event)).enabled


async def choose_bank_transfer(
    db_session: AsyncSession, order: Order, *, actor: str, now: dt.datetime | None = None
) -> Order:
    """Switch a pending order to bank transfer (idempotent: choosing again changes nothing, same reference).

    The caller opened ``order`` with its row locked (``open_order(for_update=True)``) and commits, also when this
    refuses with ``HoldExpired`` (the hold it found lapsed is ended then). 409 for an order that is not pending,
    free, mid card payment, or of an event that doesn't take transfers or whose deadline for them has passed."""
    now = now or utcnow()
    await begin_write(db_session)
    if order.payment_provider == PROVIDER and order.payment_reference and order.status == OrderStatus.PENDING:
        return order
    if order.status != OrderStatus.PENDING:
        raise Conflict(N_("this order is no longer waiting for payment"), field="order", code=f"order_{order.status}")
    if order.hold_expires_at is not None and order.hold_expires_at <= now:
        await end_pending(db_session, order.id, OrderStatus.EXPIRED, actor="system", note="hold expired")
        raise HoldExpired(N_("the hold on these seats expired; please place the order again"), field="order")
    if order.total == 0:
        raise Conflict(N_("this order has nothing to pay"), field="order", code="nothing_to_pay")
    if order.payment_state == "confirming":
        raise Conflict(N_("a card payment for this order is being confirmed"), field="order", code="card_in_flight")
    event = await db_session.get(Event, order.event_id)
    assert event is not None
    rules = await settings_for(db_session, event)
    if not rules.enabled:
        raise Conflict(
            N_("this event does not take bank transfers"), field="payment_method", code="bank_transfer_disabled"
        )
    due = due_date(order, event, rules, now)
    if due <= now + dt.timedelta(days=1):
        raise Conflict(
            N_("it is too late to pay this order by bank transfer"), field="payment_method", code="bank_transfer_closed"
        )
    order.payment_reference = order.payment_reference or await _fresh_reference(db_session, order)
    order.payment_provider = PROVIDER
    order.payment_due_at = due
    # Never shorter than it is: an order on an open group invoice stays held until the invoice's due date
    # (``orders.group_shares``), whatever the buyer's own transfer's is.
    order.hold_expires_at = max(due, order.hold_expires_at or due)
    record(
        db_session,
        "order",
        order.id,
        order.status,
        order.status,
        actor,
        f"chose bank transfer, reference {order.payment_reference}, due {due.isoformat()}",
        event_id=order.event_id,
        action="bank_transfer_chosen",
    )
    await db_session.flush()
    await enqueue_how_to_pay(db_session, order, event, rules)
    return order


async def _fresh_reference(db_session: AsyncSession, order: Order) -> str:
    """A reference no other order has. With 60 random bits a clash is all but impossible; the unique index decides,
    and a clash only retries (in a savepoint, so the order's lock and changes stay)."""
    for _ in range(_REFERENCE_TRIES):
        reference = new_reference()
        try:
            async with db_session.begin_nested():
                order.payment_reference = reference
                await db_session.flush()
        except IntegrityError:
            continue
        return reference
    raise Conflict(N_("could not allocate a payment reference; retry"), field="order", code="retry")
