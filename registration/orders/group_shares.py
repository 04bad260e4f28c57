"""An order leaves the open group invoice it was on when it no longer needs the institution's money: paid on its
own (by card, or by its own bank transfer), or ended unpaid (its hold expired, it was cancelled or released). The
invoice's total drops by its share, or the invoice is cancelled when no order is left on it, and its contact is
told (``group_invoice_changed``), so the institution never pays for seats that are gone nor for an order twice.

What an organizer expects of a group invoice is that it holds its orders until its own due date: the institution
was given that date and a total, and its accounts department takes weeks to pay. So creating one stretches every
order's hold to the invoice's due date, and an order's own later choices (a bank transfer of its own) never
shorten it (``bank.choosing``); the expiry sweep ends such an order only when the invoice's due date has passed
unpaid. An order that ends before that was ended by a person (an organizer cancelled it, or the attendee's own new
order released it): it leaves, and the revised invoice (drawn from the shares left, ``statements.group_documents``)
goes to the contact. When the due date passes unpaid, every order on it ends and the invoice with them: the contact
is told it is withdrawn. Several orders leaving in one transaction (the sweep) write one message each, but only
the one describing the invoice as it then stands is sent (its "still true" check), so the contact is told once.

It lives here, beside the confirmation and the hold's end that call it, because ``registration.statements`` (where
group invoices are made and paid) builds on the orders, not the other way round. Locks: the caller holds the
order, and this then takes the invoice's row; every path that holds an invoice and then takes its orders locks
the orders first (``lock_group_orders``), so the two never wait on each other in a loop. A group paying its
orders closes their shares before confirming them, so none of them leaves it."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.formatting import in_fours
from podium.jobs.outbox_drain import StillTrue
from podium.outbox import enqueue
from registration.audit.services import record
from registration.mail.context import event_context
from registration.models import GroupInvoice, GroupInvoiceOrder, GroupInvoiceStatus, Order

TEMPLATE = "group_invoice_changed"
ATTACHMENT = "group_invoice"  # drawn when sent by ``statements.group_documents`` (installed by the composition root)


class LeftBecause(enum.StrEnum):
    PAID = "paid on its own"
    ENDED = "ended unpaid"


async def lock_group_orders(db_session: AsyncSession, group_id: UUID) -> None:
    """Lock the invoice's orders (in id order) before the invoice itself: an order's own payment or end holds the
    order and then takes its invoice (``leave_group_invoice``), so every path takes them in that order (no
    deadlock)."""
    order_ids = (
        await db_session.scalars(
            select(GroupInvoiceOrder.order_id)
            .where(GroupInvoiceOrder.group_invoice_id == group_id)
            .order_by(GroupInvoiceOrder.order_id)
        )
    ).all()
    if order_ids:
        await db_session.execute(select(Order.id).where(Order.id.in_(order_ids)).order_by(Order.id).with_for_update())


async def open_group_of(db_session: AsyncSession, order_id: UUID) -> UUID | None:
    """The open group invoice the order is on, if any (a lock-free look: the caller locks, then acts)."""
    return await db_session.scalar(
        select(GroupInvoiceOrder.group_invoice_id).where(
            GroupInvoiceOrder.order_id == order_id, GroupInvoiceOrder.open.is_(True)
        )
    )


async def leave_group_invoice(db_session: AsyncSession, order: Order, *, actor: str, because: LeftBecause) -> None:
    """Take ``order`` off its open group invoice, if any; the invoice keeps the others (total recomputed), or is
    cancelled when none is left; its contact is mailed the invoice as it now stands."""
    left = (
        await db_session.execute(
            delete(GroupInvoiceOrder)
            .where(GroupInvoiceOrder.order_id == order.id, GroupInvoiceOrder.open.is_(True))
            .returning(GroupInvoiceOrder.group_invoice_id, GroupInvoiceOrder.amount)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if left is None:
        return
    group = await db_session.get(GroupInvoice, left.group_invoice_id, with_for_update=True, populate_existing=True)
    assert group is not None  # the foreign key
    remaining = await db_session.scalar(
        select(func.coalesce(func.sum(GroupInvoiceOrder.amount), 0)).where(
            GroupInvoiceOrder.group_invoice_id == group.id, GroupInvoiceOrder.open.is_(True)
        )
    )
    before = group.status
    note = f"order {order.id} {because.value}: {left.amount} off the invoice"
    if remaining:
        group.total = int(remaining)
    else:
        group.status = GroupInvoiceStatus.CANCELLED.value
        note += "; no order left on it"
    record(db_session, "group_invoice", group.id, before, group.status, actor, note, event_id=group.event_id)
    await _tell_contact(db_session, group)


async def _tell_contact(db_session: AsyncSession, group: GroupInvoice) -> None:
    """The invoice as it now stands, to its contact (none without an address: the organizer sends it by hand).
    The key names the state (the total only ever drops), so a replay writes nothing twice."""
    if not group.contact_email:
        return
    event = await db_session.get(Event, group.event_id)
    assert event is not None  # the foreign key
    withdrawn = group.status == GroupInvoiceStatus.CANCELLED
    await enqueue(
        db_session,
        dedupe_key=f"group-invoice-changed:{group.id}:{'cancelled' if withdrawn else group.total}",
        to=group.contact_email,
        template=TEMPLATE,
        context={
            "event": event_context(event),
            "name": group.organization,
            "locale": group.locale,  # the language the invoice is printed in
            "group_id": group.id,
            "status": group.status,
            "reference": in_fours(group.payment_reference),  # as the invoice prints it
            "po_number": group.po_number,
            "total": group.total,
            "currency": group.currency,
            "due_at": group.payment_due_at,
        },
        attachments=[] if withdrawn else [f"{ATTACHMENT}:{group.id}"],
    )


async def _still_as_told(db_session: AsyncSession, contexts: Sequence[Mapping[str, Any]]) -> list[bool]:
    """True while the invoice still stands as the message says (an open one with that total, or withdrawn)."""
    ids = {UUID(str(context["group_id"])) for context in contexts}
    rows = await db_session.execute(
        select(GroupInvoice.id, GroupInvoice.status, GroupInvoice.total).where(GroupInvoice.id.in_(ids))
    )
    now = {row.id: (row.status, row.total) for row in rows}
    verdicts = []
    for context in contexts:
        status, total = now.get(UUID(str(context["group_id"])), (None, None))
        told = context["status"]
        verdicts.append(status == told and (told == GroupInvoiceStatus.CANCELLED or total == context["total"]))
    return verdicts


# Installed into the outbox's registry by the composition root (``podium.main.mail_wiring``).
STILL_TRUE_CHECKS: Mapping[str, StillTrue] = {TEMPLATE: _still_as_told}
