"""Receipts: sequential numbers per event, issued once per paid order, rendered as PDF on request.

The number comes from one row per event bumped with a single UPDATE … RETURNING inside the confirming
transaction (which holds the order's lock, and on SQLite the write lock), so numbers never repeat or skip,
even with several workers: a transaction that rolls back takes its bump with it.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from registration.models import AddOn, Category, Order, Receipt, ReceiptCounter, Registration

# ISO 4217 currencies whose minor unit is not the cent (the ones Stripe also treats specially); money is
# stored in minor units, so JPY 5000 is 5000 yen and KWD 5000 is 5.000 dinars.
_ZERO_DECIMAL = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THREE_DECIMAL = "BHD IQD JOD KWD LYD OMR TND"
_MINOR_UNIT_DIGITS = dict.fromkeys(_ZERO_DECIMAL.split(), 0) | dict.fromkeys(_THREE_DECIMAL.split(), 3)

# A Unicode TrueType font, so attendees called Łukasz or 李 print as themselves; fpdf2's built-in
# Helvetica only knows Latin-1. Debian/Ubuntu (fonts-dejavu-core), Fedora and Arch paths.
_UNICODE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)


def format_money(amount: int, currency: str) -> str:
    """``52000, "USD"`` → ``"USD 520.00"``; integer arithmetic only, so no float ever rounds a price."""
    digits = _MINOR_UNIT_DIGITS.get(currency.upper(), 2)
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), 10**digits)
    fraction = f".{minor:0{digits}d}" if digits else ""
    return f"{currency.upper()} {sign}{major:,}{fraction}"


def parse_money(text: str, currency: str) -> int:
    """``"120.50", "USD"`` → ``12050``: what a person types in a form, read exactly (no float); ValueError
    for anything else, including more decimals than the currency has."""
    digits = _MINOR_UNIT_DIGITS.get(currency.upper(), 2)
    whole, _, fraction = text.strip().replace(",", "").partition(".")
    if not whole.isdigit() or (fraction and not fraction.isdigit()) or len(fraction) > digits:
        raise ValueError(f"not an amount in {currency}: {text!r}")
    return int(whole) * 10**digits + (int(fraction.ljust(digits, "0")) if digits else 0)


def receipt_number(event_slug: str, number: int) -> str:
    """``AM2027-000123``: the event's slug keeps numbers of different events apart on paper."""
    return f"{event_slug.upper()}-{number:06d}"


async def _bump_counter(db_session: AsyncSession, event_id: object) -> int | None:
    bumped = await db_session.execute(
        update(ReceiptCounter)
        .where(ReceiptCounter.event_id == event_id)
        .values(last_number=ReceiptCounter.last_number + 1)
        .returning(ReceiptCounter.last_number)
    )
    return bumped.scalar_one_or_none()


async def issue_receipt(db_session: AsyncSession, order: Order, now: dt.datetime) -> Receipt:
    """The order's receipt, numbered on the first call (in the caller's transaction); later calls return it.

    The counter row of a new event is created by whichever transaction gets there first; a concurrent
    creator loses on the primary key inside a savepoint and then bumps the winner's row instead.
    """
    existing = await db_session.scalar(select(Receipt).where(Receipt.order_id == order.id))
    if existing is not None:
        return existing
    number = await _bump_counter(db_session, order.event_id)
    if number is None:
        try:
            async with db_session.begin_nested():
                db_session.add(ReceiptCounter(event_id=order.event_id, last_number=1))
            number = 1
        except IntegrityError:
            number = await _bump_counter(db_session, order.event_id)
            if number is None:
                raise
    receipt = Receipt(order_id=order.id, event_id=order.event_id, number=number, issued_at=now)
    db_session.add(receipt)
    return receipt


@dataclass(frozen=True)
class ReceiptLine:
    description: str
    amount: int
    discount: int


@dataclass(frozen=True)
class ReceiptData:
    """Everything printed on a receipt, gathered first so rendering is a pure function of it."""

    number: str
    issued_on: dt.date
    event_name: str
    event_dates: str
    buyer_name: str
    buyer_email: str
    currency: str
    lines: tuple[ReceiptLine, ...]
    subtotal: int
    discount_total: int
    total: int
    refunded: int
    paid_on: dt.date | None = None


def _unicode_font() -> Path | None:
    return next((path for path in _UNICODE_FONTS if path.is_file()), None)


def _latin1(text: str) -> str:
    """Without a Unicode font: drop accents where that keeps the letter, else print a question mark."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return folded.encode("latin-1", "replace").decode("latin-1")


def render_receipt(data: ReceiptData) -> bytes:
    """A one-page PDF receipt; pure (no I/O but reading a font), so it is tested directly and run off
    the event loop by callers."""
    pdf = FPDF(format="A4")
    font_path = _unicode_font()
    if font_path is not None:
        pdf.add_font("Body", "", str(font_path))
        bold = font_path.with_name("DejaVuSans-Bold.ttf")
        pdf.add_font("Body", "B", str(bold if bold.is_file() else font_path))
        family, clean = "Body", str
    else:
        family, clean = "Helvetica", _latin1

    def row(label: str, amount: str = "", *, style: str = "", size: int = 11, border: str | int = 0) -> None:
        pdf.set_font(family, style, size)
        pdf.cell(130, 7, clean(label), border=border)
        pdf.cell(0, 7, clean(amount), border=border, align="R", new_x="LMARGIN", new_y="NEXT")

    def money(amount: int) -> str:
        return format_money(amount, data.currency)

    pdf.set_title(clean(f"Receipt {data.number}"))
    pdf.set_author(clean(data.event_name))
    # Dated by the receipt, not the clock: the same receipt always renders to the same bytes.
    pdf.set_creation_date(dt.datetime.combine(data.issued_on, dt.time(), tzinfo=dt.UTC))
    pdf.add_page()
    pdf.set_font(family, "B", 18)
    pdf.cell(0, 10, clean(data.event_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 11)
    pdf.cell(0, 6, clean(data.event_dates), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(family, "B", 14)
    pdf.cell(0, 9, clean(f"Receipt {data.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 11)
    for text in (
        f"Date: {data.issued_on:%Y-%m-%d}",
        f"Billed to: {data.buyer_name} <{data.buyer_email}>",
    ):
        pdf.cell(0, 6, clean(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    row("Item", "Amount", style="B", border="B")
    for line in data.lines:
        row(line.description[:80], money(line.amount))
        if line.discount:
            row("      discount", money(-line.discount))
    pdf.ln(2)
    row("Subtotal", money(data.subtotal), border="T")
    if data.discount_total:
        row("Discounts", money(-data.discount_total))
    row("Total", money(data.total), style="B", size=12)
    paid = f"PAID on {data.paid_on:%Y-%m-%d}" if data.paid_on else "PAID"
    row(paid, money(data.total), style="B")
    if data.refunded:
        row("Refunded", money(-data.refunded))
        row("Net paid", money(data.total - data.refunded), style="B")
    return bytes(pdf.output())


async def receipt_data(db_session: AsyncSession, order: Order) -> ReceiptData | None:
    """What the order's receipt says, or None when it has none (unpaid, or nothing to pay)."""
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
            ReceiptLine(f"{who}: {categories.get(r.category_id, 'Registration')}", r.category_amount, r.discount_amount)
        )
        lines.extend(
            ReceiptLine(f"   + {add_ons.get(a.add_on_id, 'Add-on')}", a.amount, a.discount_amount) for a in r.add_ons
        )
    zone = ZoneInfo(event.timezone)
    return ReceiptData(
        number=receipt_number(event.slug, receipt.number),
        issued_on=receipt.issued_at.astimezone(zone).date(),
        event_name=event.name,
        event_dates=event_dates(event),
        buyer_name=order.buyer_name,
        buyer_email=order.buyer_email,
        currency=order.currency,
        lines=tuple(lines),
        subtotal=order.subtotal,
        discount_total=order.discount_total,
        total=order.total,
        refunded=order.amount_refunded,
        paid_on=order.paid_at.astimezone(zone).date() if order.paid_at else None,
    )


def event_dates(event: Event) -> str:
    """The event's local calendar days spelled out (``Monday June 7, 2027 to ...``): unambiguous anywhere."""
    start, end = event.start_date, event.end_date
    first = f"{start:%A} {start:%B} {start.day}, {start.year}"
    if end == start:
        return first
    return f"{first} to {end:%A} {end:%B} {end.day}, {end.year}"
