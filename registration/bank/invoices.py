"""Gathering an order's bank-transfer invoice: what it prints is read here (in the order's language), drawn off
the event loop by ``invoice_pdf.render_invoice``; the page download and the "how to pay" mail share it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from zoneinfo import ZoneInfo

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import end_reads
from podium.errors import Conflict
from podium.formatting import in_fours
from podium.i18n import N_, current_locale, using_locale
from registration.bank import PROVIDER
from registration.bank.invoice_pdf import InvoiceSheet, render_invoice
from registration.bank.payments import bank_money
from registration.bank.settings import bank_details, settings_for
from registration.documents.order_facts import load_order_facts
from registration.documents.receipts import event_dates
from registration.documents.services import buyer_of, order_lines, seller_of
from registration.models import Order, RegistrationStatus

# What the invoice bills: every registration still on the order (the transfer pays for those awaiting payment).
_ON_ORDER = tuple(status.value for status in RegistrationStatus if status != RegistrationStatus.CANCELLED)


def has_invoice(order: Order) -> bool:
    """An order paying by bank transfer: it chose it, and no card payment took over since."""
    return bool(order.payment_reference) and order.payment_provider == PROVIDER and order.payment_due_at is not None


async def invoice_sheet(db_session: AsyncSession, order: Order) -> InvoiceSheet:
    """What the invoice prints, in the order's language; 409 for an order not paid by bank transfer."""
    if not has_invoice(order):
        raise Conflict(N_("this order is not paid by bank transfer"), field="order", code="not_bank_transfer")
    with using_locale(order.locale):
        return await _sheet(db_session, order)


async def _sheet(db_session: AsyncSession, order: Order) -> InvoiceSheet:
    assert order.payment_reference is not None and order.payment_due_at is not None
    facts = await load_order_facts(db_session, order)
    event = facts.event
    lines = order_lines(facts, _ON_ORDER)
    rules = await settings_for(db_session, event)
    received, _ = await bank_money(db_session, order)
    seller, footer = seller_of(facts.seller)
    zone = ZoneInfo(event.timezone)
    return InvoiceSheet(
        event_name=event.name,
        event_dates=event_dates(event),
        seller=seller,
        footer=footer,
        buyer=buyer_of(order, facts.billing),
        currency=order.currency,
        lines=lines,
        total=order.total,
        received=min(received, order.total),
        reference=in_fours(order.payment_reference),
        due_on=order.payment_due_at.astimezone(zone).date(),
        issued_on=order.created_at.astimezone(zone).date(),
        bank=bank_details(rules),
        locale=current_locale(),
    )


def invoice_filename(order: Order) -> str:
    return f"invoice-{order.payment_reference}.pdf"


async def invoice_drawing(db_session: AsyncSession, order: Order) -> tuple[Callable[[], bytes], str]:
    """The invoice as a pure drawing (run it off the event loop) and its file name."""
    return partial(render_invoice, await invoice_sheet(db_session, order)), invoice_filename(order)


async def invoice_pdf(db_session: AsyncSession, order: Order) -> tuple[bytes, str]:
    """The invoice's PDF and file name, drawn off the event loop after the reads end."""
    draw, filename = await invoice_drawing(db_session, order)
    await end_reads(db_session)
    return await anyio.to_thread.run_sync(draw), filename
