"""Receipts: sequential numbers per event, issued once per paid order, rendered as PDF on request.

The number comes from one row per event bumped with a single UPDATE inside the confirming transaction
(which holds the order's lock), so numbers never repeat or skip, even with several workers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fpdf import FPDF
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from registration.models import AddOn, Category, Order, Receipt, ReceiptCounter, Registration


async def issue_receipt(db_session: AsyncSession, order: Order, now: dt.datetime) -> Receipt:
    """The order's receipt, numbered on first call (in the caller's transaction)."""
    existing = await db_session.scalar(select(Receipt).where(Receipt.order_id == order.id))
    if existing is not None:
        return existing
    bumped = await db_session.execute(
        update(ReceiptCounter)
        .where(ReceiptCounter.event_id == order.event_id)
        .values(last_number=ReceiptCounter.last_number + 1)
        .returning(ReceiptCounter.last_number)
    )
    number = bumped.scalar_one_or_none()
    if number is None:
        try:
            async with db_session.begin_nested():
                db_session.add(ReceiptCounter(event_id=order.event_id, last_number=1))
            number = 1
        except IntegrityError:  # another transaction created the counter first: take the next number
            bumped = await db_session.execute(
                update(ReceiptCounter)
                .where(ReceiptCounter.event_id == order.event_id)
                .values(last_number=ReceiptCounter.last_number + 1)
                .returning(ReceiptCounter.last_number)
            )
            number = bumped.scalar_one()
    receipt = Receipt(order_id=order.id, event_id=order.event_id, number=number, issued_at=now)
    db_session.add(receipt)
    return receipt


def receipt_number(event_slug: str, number: int) -> str:
    return f"{event_slug.upper()}-{number:06d}"


@dataclass(frozen=True)
class ReceiptLine:
    description: str
    amount: int
    discount: int


@dataclass(frozen=True)
class ReceiptData:
    number: str
    issued_on: dt.date
    event_name: str
    event_dates: str
    buyer_name: str
    buyer_email: str
    currency: str
    lines: tuple[ReceiptLine, ...]
    total: int
    refunded: int


def money(amount: int, currency: str) -> str:
    return f"{currency} {amount / 100:,.2f}"


def render_receipt(data: ReceiptData) -> bytes:
    """A one-page PDF receipt; pure (no I/O), so it is tested directly and run off the event loop."""
    pdf = FPDF(format="A4")
    pdf.set_title(f"Receipt {data.number}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, "Receipt", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for text in (
        f"Number: {data.number}",
        f"Date: {data.issued_on:%Y-%m-%d}",
        f"Event: {data.event_name} ({data.event_dates})",
        f"Billed to: {data.buyer_name} <{data.buyer_email}>",
    ):
        pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(120, 8, "Item", border="B")
    pdf.cell(0, 8, "Amount", border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for line in data.lines:
        pdf.cell(120, 7, line.description[:70])
        pdf.cell(0, 7, money(line.amount, data.currency), align="R", new_x="LMARGIN", new_y="NEXT")
        if line.discount:
            pdf.cell(120, 7, "   discount")
            pdf.cell(0, 7, "-" + money(line.discount, data.currency), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(120, 9, "Total paid", border="T")
    pdf.cell(0, 9, money(data.total, data.currency), border="T", align="R", new_x="LMARGIN", new_y="NEXT")
    if data.refunded:
        pdf.set_font("Helvetica", "", 11)
        pdf.cell(120, 7, "Refunded")
        pdf.cell(0, 7, "-" + money(data.refunded, data.currency), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


async def receipt_data(db_session: AsyncSession, order: Order) -> ReceiptData | None:
    receipt = await db_session.scalar(select(Receipt).where(Receipt.order_id == order.id))
    event = await db_session.get(Event, order.event_id)
    if receipt is None or event is None:
        return None
    registrations = (
        await db_session.scalars(
            select(Registration).where(Registration.order_id == order.id).order_by(Registration.position)
        )
    ).all()
    categories = {
        c.id: c.name for c in (await db_session.scalars(select(Category).where(Category.event_id == event.id))).all()
    }
    add_ons = {a.id: a.name for a in (await db_session.scalars(select(AddOn).where(AddOn.event_id == event.id))).all()}
    lines: list[ReceiptLine] = []
    for r in registrations:
        who = f"{r.first_name} {r.last_name}"
        lines.append(
            ReceiptLine(f"{categories.get(r.category_id, 'Registration')}: {who}", r.category_amount, r.discount_amount)
        )
        lines.extend(
            ReceiptLine(f"  {add_ons.get(a.add_on_id, 'Add-on')}", a.amount, a.discount_amount) for a in r.add_ons
        )
    dates = f"{event.start_date:%Y-%m-%d}" + (
        f" to {event.end_date:%Y-%m-%d}" if event.end_date != event.start_date else ""
    )
    return ReceiptData(
        number=receipt_number(event.slug, receipt.number),
        issued_on=receipt.issued_at.date(),
        event_name=event.name,
        event_dates=dates,
        buyer_name=order.buyer_name,
        buyer_email=order.buyer_email,
        currency=order.currency,
        lines=tuple(lines),
        total=order.total,
        refunded=order.amount_refunded,
    )
