"""What a statement line's reference names (an order, or a group invoice of several), locked and priced for
``matching.classify``, and the money recorded once the verdict says it pays."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from podium import audit
from registration.bank.payments import Outcome as BankOutcome
from registration.bank.payments import bank_money, record_bank_payment
from registration.bank.references import normalize_reference
from registration.models import GroupInvoice, GroupInvoiceOrder, GroupInvoiceStatus, Order, OrderStatus
from registration.orders.group_shares import lock_group_orders
from registration.statements.lines import StatementLine
from registration.statements.matching import Outcome, Payable, Verdict


class FoundReference(msgspec.Struct, frozen=True):
    reference: str | None = None
    kind: Literal["order", "group"] | None = None
    id: UUID | None = None


async def find_payable(db_session: AsyncSession, event_id: UUID, line: StatementLine) -> FoundReference:
    """The reference in the line's remittance text and what of this event carries it (nothing for debits)."""
    if line.direction == "debit":
        return FoundReference()
    reference = normalize_reference(line.remittance)
    if reference is None:
        return FoundReference()
    order_id = await db_session.scalar(
        select(Order.id).where(Order.event_id == event_id, Order.payment_reference == reference)
    )
    if order_id is not None:
        return FoundReference(reference, "order", order_id)
    group_id = await db_session.scalar(
        select(GroupInvoice.id).where(GroupInvoice.event_id == event_id, GroupInvoice.payment_reference == reference)
    )
    if group_id is not None:
        return FoundReference(reference, "group", group_id)
    return FoundReference(reference)


_ORDER_STANDING: dict[str, Literal["pending", "paid", "closed"]] = {
    OrderStatus.PENDING: "pending",
    OrderStatus.PAID: "paid",
}
_GROUP_STANDING: dict[str, Literal["pending", "paid", "closed"]] = {
    GroupInvoiceStatus.OPEN: "pending",
    GroupInvoiceStatus.PAID: "paid",
}


async def lock_payable(db_session: AsyncSession, found: FoundReference) -> Payable | None:
    """The order or group invoice, locked for the rest of the transaction, with what is still due on it."""
    if found.kind == "order" and found.id is not None:
        order = await db_session.get(Order, found.id, with_for_update=True, populate_existing=True)
        if order is None:
            return None
        received, _ = await bank_money(db_session, order)
        standing = _ORDER_STANDING.get(order.status, "closed")
        return Payable(kind="order", id=order.id, status=standing, currency=order.currency, due=order.total - received)
    if found.kind == "group" and found.id is not None:
        await lock_group_orders(db_session, found.id)
        group = await db_session.get(GroupInvoice, found.id, with_for_update=True, populate_existing=True)
        if group is None:
            return None
        standing = _GROUP_STANDING.get(group.status, "closed")
        return Payable(kind="group", id=group.id, status=standing, currency=group.currency, due=group.total)
    return None


async def settle(
    db_session: AsyncSession,
    target: Payable,
    verdict: Verdict,
    line: StatementLine,
    *,
    source: str,
    line_id: str,
    actor: str,
    now: dt.datetime,
) -> Verdict:
    """Record the line's money as the verdict says; the verdict that stands once it is recorded."""
    note = f"bank statement line {line.position} ({line.counterparty or 'no name'})"
    if target.kind == "order":
        result = await record_bank_payment(
            db_session,
            order_id=target.id,
            amount=line.amount,
            currency=line.currency,
            booked_on=line.booked_on,
            source=source,
            source_line_id=line_id,
            actor=actor,
            note=note,
            now=now,
        )
        if result.outcome == BankOutcome.CONFIRMED:
            return Verdict(Outcome.OVER, excess=result.excess) if result.excess else Verdict(Outcome.EXACT)
        return verdict
    if verdict.outcome == Outcome.PARTIAL:
        return verdict  # a group is paid whole: a person decides what a part of it pays
    await pay_group(db_session, target.id, line, source=source, line_id=line_id, actor=actor, now=now, note=note)
    return verdict


async def pay_group(
    db_session: AsyncSession,
    group_id: UUID,
    line: StatementLine,
    *,
    source: str,
    line_id: str,
    actor: str,
    now: dt.datetime,
    note: str,
) -> None:
    """Every order of the (locked, open) group invoice paid with its share of the line; the invoice is paid."""
    group = await db_session.get(GroupInvoice, group_id)
    assert group is not None
    shares = (
        await db_session.scalars(
            select(GroupInvoiceOrder)
            .where(GroupInvoiceOrder.group_invoice_id == group_id)
            .order_by(GroupInvoiceOrder.order_id)
        )
    ).all()
    for share in shares:  # closed first: an order the group pays does not leave it (``orders.group_shares``)
        share.open = False
    await db_session.flush()
    for share in shares:
        await record_bank_payment(
            db_session,
            order_id=share.order_id,
            amount=share.amount,
            currency=line.currency,
            booked_on=line.booked_on,
            source=source,
            source_line_id=line_id,
            actor=actor,
            note=f"{note}; group invoice {group.payment_reference}",
            now=now,
        )
    before = group.status
    group.status = GroupInvoiceStatus.PAID.value
    group.paid_at = now
    audit.record(db_session, "group_invoice", group.id, before, group.status, actor, note, event_id=group.event_id)
