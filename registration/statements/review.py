"""The review list: lines a person must look at (partial, over-paid, unmatched), assigned to an order or dismissed
with a note, each decision audited; and the reads of imports and lines."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from podium import audit
from podium.db import begin_write, utcnow
from podium.errors import Conflict, NotFound
from podium.i18n import N_
from registration.bank.payments import Outcome as BankOutcome
from registration.bank.payments import record_bank_payment
from registration.bank.references import normalize_reference
from registration.models import BankStatement, BankStatementLine, LineOutcome, Order, Registration, ReviewStatus
from registration.statements.schemas import OrderMatch, StatementLineRead, StatementRead, StatementSummary


def line_read(row: BankStatementLine) -> StatementLineRead:
    return StatementLineRead(
        id=row.id,
        position=row.position,
        bank_transaction_id=row.bank_transaction_id,
        booked_on=row.booked_on,
        amount=row.amount,
        currency=row.currency,
        direction=row.direction,
        remittance=row.remittance,
        counterparty=row.counterparty,
        reference=row.reference,
        outcome=row.outcome,
        reason=row.reason,
        excess=row.excess,
        order_id=row.order_id,
        group_invoice_id=row.group_invoice_id,
        review_status=row.review_status,
        review_note=row.review_note,
    )


def _counts(rows: list[BankStatementLine]) -> dict[str, int]:
    counts = dict.fromkeys((outcome.value for outcome in LineOutcome), 0)
    for row in rows:
        counts[row.outcome] += 1
    return counts


async def _lines(db_session: AsyncSession, statement_id: UUID) -> list[BankStatementLine]:
    query = (
        select(BankStatementLine)
        .where(BankStatementLine.statement_id == statement_id)
        .order_by(BankStatementLine.position, BankStatementLine.bank_transaction_id)
    )
    return list((await db_session.scalars(query)).all())


async def statement_read(db_session: AsyncSession, event_id: UUID, statement_id: UUID) -> StatementRead:
    statement = await db_session.get(BankStatement, statement_id)
    if statement is None or statement.event_id != event_id:
        raise NotFound(N_("no such statement in this event"), field="statement_id")
    rows = await _lines(db_session, statement.id)
    return StatementRead(
        id=statement.id,
        filename=statement.filename,
        format=statement.format,
        imported_at=statement.created_at,
        actor=statement.actor,
        counts=_counts(rows),
        lines=[line_read(row) for row in rows],
    )


async def statement_summaries(db_session: AsyncSession, event_id: UUID) -> list[StatementSummary]:
    statements = (
        await db_session.scalars(
            select(BankStatement).where(BankStatement.event_id == event_id).order_by(BankStatement.created_at.desc())
        )
    ).all()
    return [
        StatementSummary(
            id=statement.id,
            filename=statement.filename,
            format=statement.format,
            imported_at=statement.created_at,
            counts=_counts(await _lines(db_session, statement.id)),
        )
        for statement in statements
    ]


async def review_list(db_session: AsyncSession, event_id: UUID) -> list[StatementLineRead]:
    rows = (
        await db_session.scalars(
            select(BankStatementLine)
            .where(BankStatementLine.event_id == event_id, BankStatementLine.review_status == ReviewStatus.OPEN.value)
            .order_by(BankStatementLine.booked_on, BankStatementLine.created_at, BankStatementLine.position)
        )
    ).all()
    return [line_read(row) for row in rows]


async def search_orders(db_session: AsyncSession, event_id: UUID, text: str, limit: int = 20) -> list[OrderMatch]:
    """Orders of the event by payment reference (as printed or typed), buyer or attendee name, or email."""
    text = text.strip()
    if not text:
        return []
    reference = normalize_reference(text)
    pattern = f"%{text.lower()}%"
    attendees = select(Registration.order_id).where(
        Registration.event_id == event_id,
        or_(
            Registration.email.ilike(pattern),
            (Registration.first_name + " " + Registration.last_name).ilike(pattern),
        ),
    )
    query = (
        select(Order)
        .where(
            Order.event_id == event_id,
            or_(
                Order.payment_reference == (reference or text.upper().replace(" ", "")),
                Order.buyer_email.ilike(pattern),
                Order.buyer_name.ilike(pattern),
                Order.id.in_(attendees),
            ),
        )
        .order_by(Order.created_at.desc())
        .limit(limit)
    )
    return [
        OrderMatch(
            id=order.id,
            buyer_name=order.buyer_name,
            buyer_email=order.buyer_email,
            status=order.status,
            currency=order.currency,
            total=order.total,
            payment_reference=order.payment_reference,
        )
        for order in (await db_session.scalars(query)).all()
    ]


async def open_line(db_session: AsyncSession, event_id: UUID, line_id: UUID) -> BankStatementLine:
    await begin_write(db_session)
    row = await db_session.get(BankStatementLine, line_id, with_for_update=True, populate_existing=True)
    if row is None or row.event_id != event_id:
        raise NotFound(N_("no such statement line in this event"), field="line_id")
    if row.review_status != ReviewStatus.OPEN.value:
        raise Conflict(
            N_("this line is not on the review list (decided already?)"), field="line_id", code="line_decided"
        )
    return row


def decide(
    db_session: AsyncSession, row: BankStatementLine, status: ReviewStatus, note: str, actor: str, now: dt.datetime
) -> None:
    before = row.review_status
    row.review_status = status.value
    row.review_note = note.strip()
    row.reviewed_by = actor
    row.reviewed_at = now
    audit.record(
        db_session,
        "bank_statement_line",
        row.id,
        before,
        row.review_status,
        actor,
        row.review_note,
        event_id=row.event_id,
    )


async def assign_line(
    db_session: AsyncSession, event_id: UUID, line_id: UUID, order_id: UUID, *, note: str, actor: str
) -> StatementLineRead:
    """Record an unmatched line's money against an order of the event (``record_bank_payment``: it pays the order,
    or leaves it partly paid, or marks it to refund); a partial or over-paid line, whose money is recorded already,
    is acknowledged for that order. 409 once decided; 422 for another currency."""
    row = await open_line(db_session, event_id, line_id)
    order = await db_session.get(Order, order_id)
    if order is None or order.event_id != event_id:
        raise NotFound(N_("no such order in this event"), field="order_id")
    now = utcnow()
    # Money not recorded yet: an unmatched line, or part of a group invoice's amount (a group is paid whole).
    if row.outcome == LineOutcome.UNMATCHED.value or (row.group_invoice_id and row.outcome == LineOutcome.PARTIAL):
        result = await record_bank_payment(
            db_session,
            order_id=order.id,
            amount=row.amount,
            currency=row.currency,
            booked_on=row.booked_on,
            source="statement-review",
            source_line_id=row.bank_transaction_id,
            actor=actor,
            note=f"assigned from a bank statement line ({row.counterparty or 'no name'})"
            + (f": {note}" if note else ""),
        )
        row.order_id = order.id
        if result.outcome in (BankOutcome.CONFIRMED, BankOutcome.HONOURED_LATE):
            row.excess = result.excess
    elif row.order_id != order.id:
        raise Conflict(N_("this line's money is recorded for another order"), field="order_id", code="line_recorded")
    decide(db_session, row, ReviewStatus.ASSIGNED, note, actor, now)
    await db_session.flush()
    return line_read(row)


async def dismiss_line(
    db_session: AsyncSession, event_id: UUID, line_id: UUID, *, note: str, actor: str
) -> StatementLineRead:
    """Take a line off the review list with a note (returned to the sender, not for this event, refunded …)."""
    row = await open_line(db_session, event_id, line_id)
    decide(db_session, row, ReviewStatus.DISMISSED, note, actor, utcnow())
    await db_session.flush()
    return line_read(row)
