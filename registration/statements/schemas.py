"""Bank statements on the wire: an import's result per line, the review list, and an organizer's decision."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec

from podium.schema import Struct, paragraph


class StatementLineRead(Struct):
    id: UUID
    position: int
    bank_transaction_id: str
    booked_on: dt.date
    amount: int
    currency: str
    direction: str
    remittance: str
    counterparty: str
    reference: str | None
    outcome: str  # exact, partial, over, unmatched, duplicate, debit
    reason: str | None  # why unmatched: no_reference, unknown_reference, wrong_currency, order_closed, already_paid
    excess: int
    order_id: UUID | None
    group_invoice_id: UUID | None
    review_status: str  # none, open, assigned, dismissed, refunded
    review_note: str


class StatementRead(Struct):
    id: UUID
    filename: str
    format: str
    imported_at: dt.datetime
    actor: str
    counts: dict[str, int]
    lines: list[StatementLineRead]


class StatementSummary(Struct):
    id: UUID
    filename: str
    format: str
    imported_at: dt.datetime
    counts: dict[str, int]


class AssignLineIn(Struct):
    """Record an open line's money against an order (found by its reference, buyer or attendee)."""

    order_id: UUID
    note: Annotated[str, paragraph(1000)] = ""


class DismissLineIn(Struct):
    """Set an open line aside; the note says why (returned to the sender, not ours, refunded …)."""

    note: Annotated[str, paragraph(1000), msgspec.Meta(min_length=1)]


class RefundLineIn(Struct):
    """Say that the line's money (or an over-payment's excess) went back to its sender; the note is optional."""

    note: Annotated[str, paragraph(1000)] = ""


class OrderMatch(Struct):
    """An order an organizer may assign a line to."""

    id: UUID
    buyer_name: str
    buyer_email: str
    status: str
    currency: str
    total: int
    payment_reference: str | None
