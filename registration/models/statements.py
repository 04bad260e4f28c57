"""Bank statements imported for an event, each of their lines with what matching made of it, and group invoices
(one institution paying several orders with one reference).

A line's bank transaction id is unique per event among the lines that counted (a partial unique index), so the
same bank entry imported twice, even by two imports racing, is recorded once: the loser's line is kept as a
``duplicate`` for the import's report. The same file twice is refused by its digest the same way.
"""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from podium.db import Base
from podium.enums import in_sql


class LineOutcome(enum.StrEnum):
    EXACT = "exact"
    PARTIAL = "partial"
    OVER = "over"
    UNMATCHED = "unmatched"
    DUPLICATE = "duplicate"
    DEBIT = "debit"


class ReviewStatus(enum.StrEnum):
    NONE = "none"  # nothing for a person to do (exact, duplicate, debit)
    OPEN = "open"  # on the review list
    ASSIGNED = "assigned"  # an organizer recorded it against an order
    DISMISSED = "dismissed"  # an organizer set it aside, with a note
    REFUNDED = "refunded"  # an organizer sent the money back (an ended order's, or an over-payment's excess)


_COUNTED_SQL = f"outcome <> '{LineOutcome.DUPLICATE.value}'"


class BankStatement(Base):
    """One uploaded statement file; its lines say what each entry did."""

    __tablename__ = "bank_statement"
    __table_args__ = (UniqueConstraint("event_id", "file_digest", name="uq_bank_statement_file"),)

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(12))
    file_digest: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(340))


class BankStatementLine(Base):
    __tablename__ = "bank_statement_line"
    __table_args__ = (
        CheckConstraint(in_sql("outcome", LineOutcome), name="outcome"),
        CheckConstraint(in_sql("review_status", ReviewStatus), name="review_status"),
        CheckConstraint("amount > 0", name="amount"),
        Index(
            "uq_bank_statement_line_transaction",
            "event_id",
            "bank_transaction_id",
            unique=True,
            postgresql_where=text(_COUNTED_SQL),
            sqlite_where=text(_COUNTED_SQL),
        ),
        Index("ix_bank_statement_line_review", "event_id", "review_status"),
    )

    statement_id: Mapped[UUID] = mapped_column(ForeignKey("bank_statement.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    bank_transaction_id: Mapped[str] = mapped_column(String(200))
    booked_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    direction: Mapped[str] = mapped_column(String(6))
    remittance: Mapped[str] = mapped_column(Text, default="")
    counterparty: Mapped[str] = mapped_column(String(200), default="")
    reference: Mapped[str | None] = mapped_column(String(35), nullable=True)
    outcome: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(24), nullable=True)
    excess: Mapped[int] = mapped_column(Integer, default=0)
    order_id: Mapped[UUID | None] = mapped_column(ForeignKey("reg_order.id", ondelete="SET NULL"), nullable=True)
    group_invoice_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("group_invoice.id", ondelete="SET NULL"), nullable=True
    )
    review_status: Mapped[str] = mapped_column(String(12), default=ReviewStatus.NONE.value)
    review_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str | None] = mapped_column(String(340), nullable=True)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class GroupInvoiceStatus(enum.StrEnum):
    OPEN = "open"
    PAID = "paid"
    CANCELLED = "cancelled"


class GroupInvoice(Base):
    """One invoice to an institution for several pending orders of an event, paid with its own reference."""

    __tablename__ = "group_invoice"
    __table_args__ = (
        CheckConstraint(in_sql("status", GroupInvoiceStatus), name="status"),
        CheckConstraint("total > 0", name="total"),
        Index("uq_group_invoice_payment_reference", "payment_reference", unique=True),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=GroupInvoiceStatus.OPEN.value)
    payment_reference: Mapped[str] = mapped_column(String(35))
    payment_due_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int] = mapped_column(Integer)
    organization: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    tax_id: Mapped[str] = mapped_column(String(40), default="")
    po_number: Mapped[str] = mapped_column(String(60), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    actor: Mapped[str] = mapped_column(String(340))
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    # The language the invoice prints in (the institution's, chosen when it is made).
    locale: Mapped[str] = mapped_column(String(16), default="en", server_default="en")


class GroupInvoiceOrder(DefaultBase):
    """An order on a group invoice; ``open`` while the invoice is, so an order is on at most one open invoice
    (a partial unique index: two organizers racing to invoice the same order can't both succeed)."""

    __tablename__ = "group_invoice_order"
    __table_args__ = (
        Index(
            "uq_group_invoice_order_open",
            "order_id",
            unique=True,
            postgresql_where=text("open"),
            sqlite_where=text("open"),
        ),
    )

    group_invoice_id: Mapped[UUID] = mapped_column(ForeignKey("group_invoice.id", ondelete="CASCADE"), primary_key=True)
    order_id: Mapped[UUID] = mapped_column(ForeignKey("reg_order.id", ondelete="CASCADE"), primary_key=True)
    amount: Mapped[int] = mapped_column(Integer)
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    # The order's hold and due date before the invoice stretched them, to fall back to if it is cancelled
    # (empty for shares invoiced before these were kept: their holds run on).
    hold_before: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    due_before: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
