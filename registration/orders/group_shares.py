"""An order paid on its own (by card, or by its own bank transfer) leaves the open group invoice it was on, and the
invoice's total drops by its share, so the institution is not asked for it and the order is never paid twice.

It lives here, beside the confirmation every payment calls, because ``registration.statements`` (where group
invoices are made and paid) builds on the orders, not the other way round. Locks: the caller holds the order, and
this then takes the invoice's row; every path that holds an invoice and then takes its orders locks the orders
first (``statements.groups.lock_group_orders``), so the two never wait on each other in a loop.
A group paying its orders closes their shares before confirming them, so none of them leaves it."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from registration.audit.services import record
from registration.models import GroupInvoice, GroupInvoiceOrder, GroupInvoiceStatus, Order


async def leave_group_invoice(db_session: AsyncSession, order: Order, *, actor: str) -> None:
    """Take ``order`` off its open group invoice, if any; the invoice keeps the others (total recomputed), or is
    cancelled when none is left."""
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
    note = f"order {order.id} paid on its own: {left.amount} off the invoice"
    if remaining:
        group.total = int(remaining)
    else:
        group.status = GroupInvoiceStatus.CANCELLED.value
        note += "; no order left on it"
    record(db_session, "group_invoice", group.id, before, group.status, actor, note, event_id=group.event_id)
