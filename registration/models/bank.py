"""Paying by bank transfer (``registration.bank``): each event's bank details and limits, and every credit an
organizer or a bank statement reported for an order.

The money itself is a ``Payment`` row per order (provider ``bank_transfer``) whose ``amount_captured`` is the sum
of the order's credits, so the ledger, refunds and receipts work on it as on a card payment; the credits say
where each part came from and make recording one twice impossible (one source line, or one client key, per order).
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from podium.db import Base


class BankTransferSettings(Base):
    """One event's bank transfer rules: whether buyers may choose it, where the money goes, and how long a
    hold may be stretched for it (``due_days`` after choosing, never past ``latest_days_before_event`` days
    before the event starts nor ``max_days_from_order`` days after the order was placed)."""

    __tablename__ = "bank_transfer_settings"
    __table_args__ = (
        CheckConstraint("due_days between 1 and 90", name="due_days"),
        CheckConstraint("latest_days_before_event between 0 and 365", name="latest_days_before_event"),
        CheckConstraint("max_days_from_order between 1 and 365", name="max_days_from_order"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    beneficiary: Mapped[str] = mapped_column(String(140), default="")
    iban: Mapped[str] = mapped_column(String(34), default="")
    bic: Mapped[str] = mapped_column(String(11), default="")
    bank_name: Mapped[str] = mapped_column(String(140), default="")
    bank_address: Mapped[str] = mapped_column(String(300), default="")
    instructions: Mapped[str] = mapped_column(Text, default="")
    due_days: Mapped[int] = mapped_column(Integer, default=14)
    latest_days_before_event: Mapped[int] = mapped_column(Integer, default=7)
    max_days_from_order: Mapped[int] = mapped_column(Integer, default=30)


class BankCredit(Base):
    """One amount received for an order by bank transfer: marked by an organizer or read from a statement line.

    ``source_line_id`` is the statement line's id (or an organizer client's idempotency key): unique per order and
    source, so the same line or the same click recorded twice is recorded once."""

    __tablename__ = "bank_credit"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        UniqueConstraint("order_id", "source", "source_line_id", name="uq_bank_credit_source_line"),
    )

    order_id: Mapped[UUID] = mapped_column(ForeignKey("reg_order.id", ondelete="CASCADE"))
    payment_id: Mapped[UUID] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    booked_on: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20))
    source_line_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(340))
