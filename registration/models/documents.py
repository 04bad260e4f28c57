"""Receipts and credit notes: the documents, the counter that numbers them, and the seller's and buyer's
details they print."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from podium.db import Base
from podium.enums import in_sql


class DocumentCounter(DefaultBase):
    """The last document number issued per event (receipts and credit notes share one series).

    Locked only by the short numbering transaction (``registration.documents.services``), never by a payment's."""

    __tablename__ = "document_counter"

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class DocumentKind(enum.StrEnum):
    RECEIPT = "receipt"
    CREDIT_NOTE = "credit_note"


class Document(Base):
    """A receipt or credit note of an order, frozen when recorded: ``data`` holds everything it prints.

    Recorded pending (``number`` null) inside the change that causes it; numbered right after that change
    commits. A credit note ``corrects`` the receipt it cancels; a receipt is corrected at most once.
    """

    __tablename__ = "document"
    __table_args__ = (
        UniqueConstraint("event_id", "number", name="uq_document_event_number"),
        UniqueConstraint("corrects_id", name="uq_document_corrects_id"),
        CheckConstraint(in_sql("kind", DocumentKind), name="kind"),
        CheckConstraint("(kind = 'credit_note') = (corrects_id is not null)", name="corrects"),
        CheckConstraint("(number is null) = (issued_at is null)", name="issued"),
        Index("ix_document_order", "order_id", "created_at"),
        Index(
            "ix_document_pending",
            "event_id",
            postgresql_where=text("number is null"),
            sqlite_where=text("number is null"),
        ),
    )

    order_id: Mapped[UUID] = mapped_column(ForeignKey("reg_order.id", ondelete="CASCADE"))
    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    corrects_id: Mapped[UUID | None] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), nullable=True)
    # Why it was recorded: payment, transfer, refund, cancellation, billing, verification, category_move …
    reason: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    # Signed: a credit note's total is negative.
    total: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JsonB)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    issued_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class SellerDetails(Base):
    """Who sells an event's registrations, as printed on its receipts and credit notes."""

    __tablename__ = "seller_details"

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    legal_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    tax_id: Mapped[str] = mapped_column(String(40), default="")
    footer: Mapped[str] = mapped_column(String(500), default="")


class BillingDetails(Base):
    """What the buyer wants on the receipt besides their name: organization, address, tax id, PO number."""

    __tablename__ = "billing_details"

    order_id: Mapped[UUID] = mapped_column(ForeignKey("reg_order.id", ondelete="CASCADE"), unique=True)
    organization: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    tax_id: Mapped[str] = mapped_column(String(40), default="")
    po_number: Mapped[str] = mapped_column(String(60), default="")
