"""Group invoices: one institution pays for several attendees' pending orders of an event with one reference.

The invoice takes what each order still owes, gets its own payment reference (the same RF form as an order's)
and a due date by the event's bank transfer rules, and stretches every order's hold to that date as a single
transfer order's would be; an order is on at most one open invoice (a partial unique index decides a race). A
statement line carrying the invoice's reference and its whole amount pays every order in it (``payables``).
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium import audit
from podium.db import begin_write, savepoint, utcnow
from podium.errors import Conflict, FieldError, InvalidInput, NotFound
from podium.i18n import LOCALES, N_, gettext
from registration.bank.choosing import due_date
from registration.bank.payments import bank_money
from registration.bank.references import new_reference
from registration.bank.settings import settings_for
from registration.models import GroupInvoice, GroupInvoiceOrder, GroupInvoiceStatus, Order, OrderStatus
from registration.orders.group_shares import lock_group_orders
from registration.statements.group_schemas import GroupInvoiceIn, GroupInvoiceOrderRead, GroupInvoiceRead
from registration.status_words import status_word

_REFERENCE_TRIES = 5
# A group invoice's statuses as words, marked for the catalogs (a refusal names the status it found).
_INVOICE_STATUS_WORDS = {"open": N_("open"), "paid": N_("paid"), "cancelled": N_("cancelled")}


async def create_group_invoice(
    db_session: AsyncSession, event: Event, data: GroupInvoiceIn, *, actor: str, now: dt.datetime | None = None
) -> GroupInvoice:
    """422 naming each order that can't be invoiced (another event's, not pending, its hold over, nothing to pay,
    another currency); 409 for an order already on an open group invoice or an event without bank transfers."""
    now = now or utcnow()
    if data.locale and data.locale not in LOCALES:
        raise InvalidInput(gettext("use one of %(locales)s") % {"locales": ", ".join(LOCALES)}, field="locale")
    await begin_write(db_session)
    rules = await settings_for(db_session, event)
    if not rules.enabled:
        raise Conflict(N_("this event does not take bank transfers"), field="event", code="bank_transfer_disabled")
    orders = await _invoiceable(db_session, event, data.order_ids, now)
    taken = (
        await db_session.scalars(
            select(GroupInvoiceOrder.order_id).where(
                GroupInvoiceOrder.order_id.in_([order.id for order in orders]), GroupInvoiceOrder.open.is_(True)
            )
        )
    ).all()
    if taken:
        raise _on_open_invoice()
    due = min(due_date(order, event, rules, now) for order in orders)
    if due <= now + dt.timedelta(days=1):
        raise Conflict(N_("it is too late to pay these orders by bank transfer"), field="order_ids", code="too_late")
    owed = {order.id: order.total - (await bank_money(db_session, order))[0] for order in orders}
    group = GroupInvoice(
        event_id=event.id,
        status=GroupInvoiceStatus.OPEN.value,
        payment_reference="",
        payment_due_at=due,
        currency=orders[0].currency,
        total=sum(owed.values()),
        organization=data.organization.strip(),
        address=data.address.strip(),
        country=data.country.upper(),
        tax_id=data.tax_id.strip(),
        po_number=data.po_number.strip(),
        contact_email=data.contact_email.strip(),
        actor=actor,
        locale=data.locale or event.default_locale,
    )
    group.payment_reference = await _fresh_reference(db_session, group)
    async with savepoint(db_session, _on_open_invoice()):
        for order in orders:
            db_session.add(
                GroupInvoiceOrder(
                    group_invoice_id=group.id,
                    order_id=order.id,
                    amount=owed[order.id],
                    hold_before=order.hold_expires_at,
                    due_before=order.payment_due_at,
                )
            )
        await db_session.flush()
    for order in orders:
        order.payment_due_at = due
        order.hold_expires_at = max(due, order.hold_expires_at or due)
        audit.record(
            db_session,
            "order",
            order.id,
            order.status,
            order.status,
            actor,
            f"on group invoice {group.payment_reference} to {group.organization}, due {due.isoformat()}",
            event_id=event.id,
            action="group_invoiced",
        )
    audit.record(
        db_session, "group_invoice", group.id, None, group.status, actor, group.organization, event_id=event.id
    )
    await db_session.flush()
    return group


def _on_open_invoice() -> Conflict:
    return Conflict(
        N_("an order is already on an open group invoice"), field="order_ids", code="order_on_group_invoice"
    )


async def _invoiceable(db_session: AsyncSession, event: Event, order_ids: list[UUID], now: dt.datetime) -> list[Order]:
    """The orders, locked in id order (two invoices racing lock alike), or 422 naming each that can't be."""
    errors: list[FieldError] = []
    orders: list[Order] = []
    position = {order_id: index for index, order_id in reversed(list(enumerate(order_ids)))}
    for order_id in sorted(set(order_ids)):
        field = f"order_ids[{position[order_id]}]"
        order = await db_session.get(Order, order_id, with_for_update=True, populate_existing=True)
        if order is None or order.event_id != event.id:
            errors.append(FieldError(field, N_("no such order in this event")))
        elif order.status != OrderStatus.PENDING:
            wording = gettext("the order is %(status)s, not waiting for payment")
            errors.append(FieldError(field, wording % {"status": status_word(order.status)}))
        elif order.hold_expires_at is not None and order.hold_expires_at <= now:
            errors.append(FieldError(field, N_("the order's hold is over")))
        elif order.total == 0:
            errors.append(FieldError(field, N_("the order has nothing to pay")))
        else:
            orders.append(order)
    currencies = {order.currency for order in orders}
    if len(currencies) > 1:
        errors.append(FieldError("order_ids", N_("the orders are in different currencies")))
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)
    return orders


async def _fresh_reference(db_session: AsyncSession, group: GroupInvoice) -> str:
    for _ in range(_REFERENCE_TRIES):
        group.payment_reference = new_reference()
        try:
            async with db_session.begin_nested():
                db_session.add(group)
                await db_session.flush()
        except IntegrityError:
            continue
        return group.payment_reference
    raise Conflict(N_("could not allocate a payment reference; retry"), field="order_ids", code="retry")


async def cancel_group_invoice(
    db_session: AsyncSession, event: Event, group_id: UUID, *, actor: str, note: str
) -> GroupInvoice:
    """Withdraw an open invoice: its orders are free to be paid alone or invoiced again, and each still waiting on
    the due date the invoice gave it falls back to its own hold and due date (a hold already over then ends at the
    next sweep, as it would have without the invoice)."""
    await begin_write(db_session)
    await lock_group_orders(db_session, group_id)
    group = await group_of(db_session, event, group_id, for_update=True)
    if group.status != GroupInvoiceStatus.OPEN:
        raise Conflict(
            gettext("the invoice is %(status)s") % {"status": gettext(_INVOICE_STATUS_WORDS[group.status])},
            field="group_id",
            code=f"group_invoice_{group.status}",
        )
    shares = await _shares(db_session, group.id)
    orders = await db_session.scalars(select(Order).where(Order.id.in_([share.order_id for share in shares])))
    by_id = {order.id: order for order in orders.all()}
    for share in shares:
        share.open = False
        _release(db_session, by_id[share.order_id], share, group, actor)
    group.status = GroupInvoiceStatus.CANCELLED.value
    audit.record(db_session, "group_invoice", group.id, "open", group.status, actor, note, event_id=event.id)
    await db_session.flush()
    return group


def _release(db_session: AsyncSession, order: Order, share: GroupInvoiceOrder, group: GroupInvoice, actor: str) -> None:
    """The order's own hold and due date back, if the invoice's are still what it waits on; an order that chose
    its own transfer since keeps that one's due date, and is held until it (the invoice held it past it)."""
    due = order.payment_due_at
    if share.hold_before is None or order.status != OrderStatus.PENDING or due is None:
        return
    if abs(due - group.payment_due_at) >= dt.timedelta(seconds=1):  # (databases round sub-seconds)
        order.hold_expires_at, order.payment_due_at = due, due
    else:
        order.hold_expires_at = share.hold_before
        order.payment_due_at = share.due_before
    held = order.hold_expires_at.isoformat()
    audit.record(
        db_session,
        "order",
        order.id,
        order.status,
        order.status,
        actor,
        f"group invoice {group.payment_reference} cancelled: held until {held} again",
        event_id=order.event_id,
        action="group_invoice_released",
    )


async def group_of(db_session: AsyncSession, event: Event, group_id: UUID, *, for_update: bool = False) -> GroupInvoice:
    group = await db_session.get(GroupInvoice, group_id, with_for_update=for_update, populate_existing=for_update)
    if group is None or group.event_id != event.id:
        raise NotFound(N_("no such group invoice in this event"), field="group_id")
    return group


async def _shares(db_session: AsyncSession, group_id: UUID) -> list[GroupInvoiceOrder]:
    query = select(GroupInvoiceOrder).where(GroupInvoiceOrder.group_invoice_id == group_id)
    return list((await db_session.scalars(query.order_by(GroupInvoiceOrder.order_id))).all())


async def group_invoice_read(db_session: AsyncSession, event: Event, group_id: UUID) -> GroupInvoiceRead:
    group = await group_of(db_session, event, group_id)
    shares = await _shares(db_session, group.id)
    orders = {
        order.id: order
        for order in (await db_session.scalars(select(Order).where(Order.id.in_([s.order_id for s in shares])))).all()
    }
    return GroupInvoiceRead(
        id=group.id,
        status=group.status,
        reference=group.payment_reference,
        due_at=group.payment_due_at,
        currency=group.currency,
        total=group.total,
        organization=group.organization,
        address=group.address,
        country=group.country,
        tax_id=group.tax_id,
        po_number=group.po_number,
        contact_email=group.contact_email,
        locale=group.locale,
        orders=[
            GroupInvoiceOrderRead(
                order_id=share.order_id,
                buyer_name=orders[share.order_id].buyer_name,
                status=orders[share.order_id].status,
                amount=share.amount,
            )
            for share in shares
        ],
    )


async def group_invoices_of(db_session: AsyncSession, event: Event) -> list[GroupInvoiceRead]:
    ids = (
        await db_session.scalars(
            select(GroupInvoice.id).where(GroupInvoice.event_id == event.id).order_by(GroupInvoice.created_at)
        )
    ).all()
    return [await group_invoice_read(db_session, event, group_id) for group_id in ids]
