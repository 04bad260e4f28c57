"""The review list's "refunded" decision: money that came by bank for an order that can't keep it (expired or
cancelled when it arrived) or more than an order's total, which the organizer sent back to the line's sender.

The organizer moves the money themselves (we hold no bank account access): this records that they did, so the
order's ledger shows it as a refund of its bank payment, like any other (``payments.ledger``: never more than the
payment received and has not yet given back), the decision is audited, and the buyer is told once how much went
back and why (the ``payment_refund`` mail, sent once per line). Money for an ended order is first recorded as
received (never applied: the organizer chose to send it back, so it is not honoured late even when seats are
free), then refunded, so received and refunded both show."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from podium import audit
from podium.db import utcnow
from podium.errors import Conflict
from podium.formatting import format_money
from podium.i18n import N_
from registration.bank.payments import bank_money, bank_payment_id, record_bank_payment
from registration.cancellations.services import refund_row
from registration.mail.services import RefundCause, enqueue_payment_refund_mail
from registration.models import LineOutcome, Order, ReviewStatus
from registration.payments.ledger import add_refund, check_refundable, payment_by_provider_id, sync_refunded
from registration.statements.matching import Reason
from registration.statements.review import decide, line_read, open_line
from registration.statements.schemas import StatementLineRead


def refund_kind(line: StatementLineRead) -> Literal["order_closed", "excess"] | None:
    """What sending the line back would refund: all of it (its order had ended), the excess of an over-payment, or
    nothing (the decision is not offered)."""
    if line.order_id is None:
        return None
    if line.outcome == LineOutcome.UNMATCHED.value and line.reason == Reason.ORDER_CLOSED.value:
        return "order_closed"
    return "excess" if line.outcome == LineOutcome.OVER.value and line.excess > 0 else None


def _nothing_to_refund() -> Conflict:
    return Conflict(
        N_("this line brought no money an order can't keep: assign or dismiss it"),
        field="line_id",
        code="nothing_to_refund",
    )


async def refund_line(
    db_session: AsyncSession, event_id: UUID, line_id: UUID, *, note: str, actor: str
) -> StatementLineRead:
    """Record that the line's money (an ended order's) or its excess (an over-payment's) went back to its sender.
    409 ``line_decided`` once decided, ``nothing_to_refund`` for a line that names no order or brought nothing it
    can't keep (an exact or partial payment, a group invoice's, or an excess already sent back)."""
    row = await open_line(db_session, event_id, line_id)
    kind = refund_kind(line_read(row))
    if kind is None or row.order_id is None:
        raise _nothing_to_refund()
    closed = kind == "order_closed"
    order = await db_session.get(Order, row.order_id, with_for_update=True, populate_existing=True)
    assert order is not None  # the line's foreign key
    now = utcnow()
    if closed:  # nothing recorded at import: the money is received first, then sent back
        await record_bank_payment(
            db_session,
            order_id=order.id,
            amount=row.amount,
            currency=row.currency,
            booked_on=row.booked_on,
            source="statement-review",
            source_line_id=row.bank_transaction_id,
            actor=actor,
            note=f"bank statement line {row.position} ({row.counterparty or 'no name'}), sent back",
            now=now,
            to_refund=True,
        )
    payment = await payment_by_provider_id(db_session, bank_payment_id(order.id))
    assert payment is not None  # recorded at import (over-payment) or just now
    _, unkept = await bank_money(db_session, order)
    amount = min(row.amount if closed else row.excess, unkept)
    if amount <= 0:
        raise _nothing_to_refund()
    await check_refundable(db_session, payment, amount)
    to = row.counterparty or "the sender"
    reason = f"bank statement line {row.bank_transaction_id} sent back to {to}" + (f": {note.strip()}" if note else "")
    refund = add_refund(db_session, refund_row(order, payment, amount, reason[:200], actor))
    refunded_before = order.amount_refunded
    await sync_refunded(db_session, order)
    audit.record(
        db_session,
        "order",
        order.id,
        order.status,
        order.status,
        actor,
        f"{format_money(amount, order.currency)} received by bank sent back to {to}" + (f": {note}" if note else ""),
        event_id=order.event_id,
        action="refunded",
        changes={"amount_refunded": [refunded_before, order.amount_refunded], "refund_status": [None, refund.status]},
    )
    decide(db_session, row, ReviewStatus.REFUNDED, note, actor, now)
    cause: RefundCause = kind
    await enqueue_payment_refund_mail(
        db_session,
        order,
        payment_id=row.bank_transaction_id,
        amount=amount,
        currency=order.currency,
        cause=cause,
        refunded_to=row.counterparty,
    )
    await db_session.flush()
    return line_read(row)
