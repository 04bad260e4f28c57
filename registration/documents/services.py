"""Receipts and credit notes as documents: recorded frozen inside the change that causes them, numbered after.

A change that affects what an order's buyer paid for (payment, transfer, refund, cancellation, category move,
billing details) calls ``record_documents`` inside its own transaction. It compares what a receipt would say
now with the order's live receipt and records what to issue: nothing, a first receipt, or a credit note for
the live one plus, where money remains, a new receipt. Each is stored with everything it prints
(``receipts.DocumentData``), so its PDF never changes afterwards.

Numbers are one series per event shared by receipts and credit notes (``SLUG-000001`` …), without gaps
among issued documents. They are not taken in the change's transaction: that one only records the document
as pending (no number) and queues a job with it (``NUMBER_DOCUMENTS_JOB``, ``registration/tasks.py``).
``registration.documents.numbers`` numbers them in a short transaction of its own: that job's, the hold
sweep's for anything left, or that of whoever needs a number first (``ensure_documents_issued``: the mail
sender, a download). Only that tiny transaction holds the counter's row lock, so a payment never waits on
another payment's receipt; and the request that paid never spends a transaction (six round trips) numbering:
the job numbers a rush's receipts a batch at a time. On SQLite they are numbered in the change's own
transaction.

A receipt that is still pending when the next change comes is rewritten in place (it was never issued, so
nobody holds a copy); a conditional UPDATE on ``number is null`` tells whether the numbering won that race,
in which case the change issues a credit note as for any issued receipt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from functools import partial
from typing import Any, cast
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import anyio.to_thread
import msgspec
from sqlalchemy import CursorResult, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from events.models import Event
from podium.db import end_reads, utcnow
from podium.i18n import current_locale, gettext, using_locale
from podium.jobs import kick_after_commit
from registration.documents.numbers import issue_pending_documents, number_pending
from registration.documents.order_facts import OrderFacts, load_order_facts
from registration.documents.receipts import (
    FEE_LINE,
    REFUNDED_LINE,
    Buyer,
    DocumentData,
    Line,
    Seller,
    event_dates,
    receipt_number,
    render_document,
)
from registration.models import (
    BillingDetails,
    Document,
    DocumentKind,
    Order,
    RegistrationStatus,
    SellerDetails,
)
from registration.payments.ledger import kept_payment, refunded_of_payment

# Numbers what changes recorded pending on PostgreSQL, queued with the change (``registration/tasks.py``).
NUMBER_DOCUMENTS_JOB = "registration.number_documents"
_BILLED = (RegistrationStatus.CONFIRMED.value, RegistrationStatus.AWAITING_VERIFICATION.value)


def order_lines(facts: OrderFacts, statuses: Collection[str]) -> list[Line]:
    """A document's lines: each registration in one of ``statuses`` (its person and category), then its
    add-ons, at the amounts and discounts they were bought at."""
    lines: list[Line] = []
    for registration in facts.registrations:
        if registration.status not in statuses:
            continue
        category = facts.categories[registration.category_id].name
        lines.append(
            Line(
                description=f"{registration.first_name} {registration.last_name}: {category}",
                amount=registration.category_amount,
                discount=registration.discount_amount,
            )
        )
        lines.extend(
            Line(description=f"   + {facts.add_ons[a.add_on_id].name}", amount=a.amount, discount=a.discount_amount)
            for a in registration.add_ons
        )
    return lines


def stored(document: Document) -> DocumentData:
    return msgspec.convert(document.data, DocumentData)


def document_number(event_slug: str, document: Document) -> str | None:
    return receipt_number(event_slug, document.number) if document.number is not None else None


async def refunded_amount(db_session: AsyncSession, order: Order) -> int:
    """Money of the order's own payment given back or on its way back (a refund that failed gave nothing).

    Refunds of a payment the order could not keep (a duplicate, a late one) were never part of the sale."""
    payment = await kept_payment(db_session, order.id)
    return 0 if payment is None else await refunded_of_payment(db_session, payment.id)


def seller_of(row: SellerDetails | None) -> tuple[Seller, str]:
    """The seller a document prints, and its footer (also the bank-transfer invoice's)."""
    if row is None:
        return Seller(), ""
    return Seller(legal_name=row.legal_name, address=row.address, tax_id=row.tax_id), row.footer


def buyer_of(order: Order, billing: BillingDetails | None) -> Buyer:
    """Who a document bills: the buyer, with the order's billing details when given."""
    if billing is None:
        return Buyer(name=order.buyer_name, email=order.buyer_email)
    return Buyer(
        name=order.buyer_name,
        email=order.buyer_email,
        organization=billing.organization,
        address=billing.address,
        country=billing.country,
        tax_id=billing.tax_id,
        po_number=billing.po_number,
    )


async def receipt_now(
    db_session: AsyncSession, order: Order, facts: OrderFacts, *, first: bool = False
) -> DocumentData | None:
    """What the order's receipt says now, or None when the buyer keeps no money in it (unpaid, free, all
    refunded). Lines are the registrations that count; a refund or a fee kept on cancellation that the
    lines don't explain is one more line, so the total is always what the seller keeps. ``first``: the order
    is being paid now, so none of its money has gone back yet. Written in the order's language, whoever's request
    records it."""
    with using_locale(order.locale):
        return await _receipt_now(db_session, order, facts, first=first)


async def _receipt_now(
    db_session: AsyncSession, order: Order, facts: OrderFacts, *, first: bool
) -> DocumentData | None:
    if order.paid_at is None or order.total <= 0:
        return None
    kept = order.total - (0 if first else await refunded_amount(db_session, order))
    if kept <= 0:
        return None
    lines = order_lines(facts, _BILLED)
    net = sum(line.amount - line.discount for line in lines)
    if kept < net:
        lines.append(Line(description=gettext(REFUNDED_LINE), amount=kept - net))
    elif kept > net:
        lines.append(Line(description=gettext(FEE_LINE), amount=kept - net))
    event = facts.event
    seller, footer = seller_of(facts.seller)
    zone_date = order.paid_at.astimezone(ZoneInfo(event.timezone)).date()
    subtotal = sum(line.amount for line in lines)
    discount_total = sum(line.discount for line in lines)
    return DocumentData(
        kind=DocumentKind.RECEIPT.value,
        event_name=event.name,
        event_dates=event_dates(event),
        seller=seller,
        footer=footer,
        buyer=buyer_of(order, facts.billing),
        currency=order.currency,
        lines=lines,
        subtotal=subtotal,
        discount_total=discount_total,
        total=subtotal - discount_total,
        paid_on=zone_date,
        locale=current_locale(),
    )


def credit_note_for(receipt: DocumentData, number: str, *, seller: Seller, footer: str, reason: str) -> DocumentData:
    """The credit note that cancels ``receipt`` (numbered ``number``) in full: the same lines, negated."""
    return DocumentData(
        kind=DocumentKind.CREDIT_NOTE.value,
        event_name=receipt.event_name,
        event_dates=receipt.event_dates,
        seller=seller,
        footer=footer,
        buyer=receipt.buyer,
        currency=receipt.currency,
        lines=[
            Line(description=line.description, amount=-line.amount, discount=-line.discount) for line in receipt.lines
        ],
        subtotal=-receipt.subtotal,
        discount_total=-receipt.discount_total,
        total=-receipt.total,
        corrects=number,
        note=reason,
        locale=receipt.locale,
    )


async def _live_receipt(db_session: AsyncSession, order_id: UUID) -> Document | None:
    """The order's receipt that no credit note cancels yet (at most one)."""
    credit = aliased(Document)
    return await db_session.scalar(
        select(Document)
        .where(
            Document.order_id == order_id,
            Document.kind == DocumentKind.RECEIPT,
            ~exists().where(credit.corrects_id == Document.id),
        )
        .order_by(Document.created_at.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )


def _document(
    order: Order, data: DocumentData, reason: str, now: dt.datetime, corrects: UUID | None = None
) -> Document:
    return Document(
        id=uuid4(),
        order_id=order.id,
        event_id=order.event_id,
        kind=data.kind,
        corrects_id=corrects,
        reason=reason,
        currency=data.currency,
        total=data.total,
        data=msgspec.to_builtins(data),
        created_at=now,
        updated_at=now,
    )


async def record_documents(
    db_session: AsyncSession,
    order: Order,
    *,
    reason: str,
    now: dt.datetime | None = None,
    locked: bool = False,
    first: bool = False,
    number_now: bool | None = None,
    facts: OrderFacts | None = None,
) -> list[Document]:
    """Record, in the caller's transaction, the documents a change of ``order`` needs; returns those added.

    Call it after the change is made (registrations, refunds, billing details written or flushed). Takes the
    order's row lock (``locked``: the caller holds it already), so two changes of one order never both cancel
    its receipt. ``first``: the order is being paid now, so it has no documents and no refunds yet (two
    statements fewer in the payment's transaction). Never commits; on PostgreSQL the numbers come after the
    caller commits (``NUMBER_DOCUMENTS_JOB``). On SQLite they are taken here (``number_now``, default): its one write
    lock is held by this transaction already, so numbering now waits for nothing, where a transaction of its
    own would queue for that lock a second time. ``facts``: the order as the caller read it in this transaction
    (``order_facts``), its registrations changed in place; read here otherwise.
    """
    now = now or utcnow()
    if facts is None:
        await db_session.flush()
    if not locked:
        await db_session.execute(select(Order.id).where(Order.id == order.id).with_for_update())
    facts = facts or await load_order_facts(db_session, order)
    event = facts.event
    desired = await receipt_now(db_session, order, facts, first=first)
    live = None if first else await _live_receipt(db_session, order.id)
    if live is not None and desired is not None and stored(live).content() == desired.content():
        return []
    rewritten = (
        live is not None and live.number is None and await _rewrite_pending(db_session, live, desired, reason, now)
    )
    if rewritten:
        if desired is not None:
            await _after_recording(db_session, order.event_id, now, number_now)
        return []
    added: list[Document] = []
    if live is not None:
        assert live.number is not None
        seller, footer = seller_of(facts.seller)
        note = credit_note_for(
            stored(live), receipt_number(event.slug, live.number), seller=seller, footer=footer, reason=reason
        )
        added.append(_document(order, note, reason, now, corrects=live.id))
    if desired is not None:
        added.append(_document(order, desired, reason, now))
    db_session.add_all(added)
    await _after_recording(db_session, order.event_id, now, number_now)
    return added


async def _rewrite_pending(
    db_session: AsyncSession, live: Document, desired: DocumentData | None, reason: str, now: dt.datetime
) -> bool:
    """Rewrite (or drop) a receipt never issued, so nobody holds a copy; False if the numbering got there first
    (``live`` is then reloaded, numbered, and is corrected like any issued receipt)."""
    pending = Document.id == live.id, Document.number.is_(None)
    if desired is None:
        statement: Any = delete(Document).where(*pending)
    else:
        values = {"data": msgspec.to_builtins(desired), "total": desired.total, "reason": reason, "updated_at": now}
        statement = update(Document).where(*pending).values(**values)
    result = await db_session.execute(statement.execution_options(synchronize_session=False))
    if cast(CursorResult[Any], result).rowcount != 1:
        await db_session.refresh(live)
        return False
    if desired is None:
        db_session.expunge(live)
    return True


async def _after_recording(db_session: AsyncSession, event_id: UUID, now: dt.datetime, number_now: bool | None) -> None:
    if number_now is None:
        number_now = db_session.get_bind().dialect.name == "sqlite"
    if number_now:
        await db_session.flush()
        await number_pending(db_session, event_id, now, wait=True)
    else:
        kick_after_commit(db_session, NUMBER_DOCUMENTS_JOB)


async def ensure_documents_issued(db_session: AsyncSession, order_id: UUID) -> Sequence[Document]:
    """The order's documents, oldest first, every one numbered: pending ones are numbered first, in the
    caller's transaction, which the caller commits at once (``document_numbers``).

    For whoever needs a number now: the mail sender attaching a receipt, a download right after paying."""
    event_id = await db_session.scalar(
        select(Document.event_id).where(Document.order_id == order_id, Document.number.is_(None)).limit(1)
    )
    if event_id is not None:
        await issue_pending_documents(db_session, event_id)
    return await documents_of(db_session, order_id)


async def documents_of(db_session: AsyncSession, order_id: UUID) -> Sequence[Document]:
    return (
        await db_session.scalars(
            select(Document)
            .where(Document.order_id == order_id)
            .order_by(Document.number.is_(None), Document.number, Document.created_at)
        )
    ).all()


def current_receipt(documents: Sequence[Document]) -> Document | None:
    """The issued receipt no credit note cancels, among an order's documents."""
    cancelled = {d.corrects_id for d in documents if d.corrects_id is not None}
    receipts = [d for d in documents if d.kind == DocumentKind.RECEIPT and d.number is not None]
    live = [d for d in receipts if d.id not in cancelled]
    return live[-1] if live else None


def filename_of(document: Document, number: str) -> str:
    return f"{'credit-note' if document.kind == DocumentKind.CREDIT_NOTE else 'receipt'}-{number}.pdf"


async def documents_of_orders(db_session: AsyncSession, order_ids: Collection[UUID]) -> Sequence[Document]:
    """``documents_of`` for many orders in one query (the mail sender's batch), each order's oldest first."""
    return (
        await db_session.scalars(
            select(Document)
            .where(Document.order_id.in_(order_ids))
            .order_by(Document.number.is_(None), Document.number, Document.created_at)
        )
    ).all()


def document_drawing(document: Document, event: Event) -> tuple[Callable[[], bytes], str]:
    """An issued document's PDF as a pure drawing of its stored data (run it off the event loop), and its file
    name: callers read everything first and draw later, outside any transaction."""
    if document.number is None or document.issued_at is None:
        raise ValueError(f"document {document.id} is not issued yet")
    number = receipt_number(event.slug, document.number)
    issued_on = document.issued_at.astimezone(ZoneInfo(event.timezone)).date()
    return partial(render_document, stored(document), number, issued_on), filename_of(document, number)


async def document_pdf(db_session: AsyncSession, document: Document) -> tuple[bytes, str]:
    """An issued document's PDF and file name, drawn off the event loop from its stored data only."""
    draw, filename = document_drawing(document, await db_session.get_one(Event, document.event_id))
    await end_reads(db_session)
    return await anyio.to_thread.run_sync(draw), filename
