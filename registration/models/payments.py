"""Money in and out of an order: the payments a provider captured, the refunds sent back on them, and the
provider events already handled."""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from podium.db import Base
from podium.enums import in_sql


class Payment(Base):
    """Money a provider captured for an order: one row per PaymentIntent (or offline payment) that succeeded.

    ``kept`` says whether it is the order's own payment (at most one per order) or one the order can't keep
    (a duplicate, a late one whose seats were gone, the wrong amount), which is refunded whole. Amounts of
    an order (paid, refunded, refundable) are derived from these rows and their refunds in ``ledger``."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount_captured >= 0", name="amount_captured"),
        Index(
            "uq_payment_kept_per_order",
            "order_id",
            unique=True,
            postgresql_where=text("kept"),
            sqlite_where=text("kept"),
        ),
    )

    order_id: Mapped[UUID] = mapped_column(ForeignKey("reg_order.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    # Stripe's PaymentIntent id, or ``offline-<order id>`` for the offline test provider.
    provider_payment_id: Mapped[str] = mapped_column(String(200), unique=True)
    amount_captured: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    kept: Mapped[bool] = mapped_column(Boolean)


class RefundStatus(enum.StrEnum):
    PENDING = "pending"  # recorded, not yet claimed by a sender
    SENDING = "sending"  # claimed by one sender until ``lease_until``; the provider may or may not have it
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Refund(Base):
    """Money given back on one payment of an order, never more than that payment captured (``ledger``).

    A card refund is recorded ``pending``, then claimed (``sending``: one sender, a lease, its attempt
    counted and its idempotency key stored) in a commit of its own before the provider is called, so two
    senders never both send it; see ``refund_sender``. The offline provider's refunds succeed at once."""

    __tablename__ = "refund"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint(in_sql("status", RefundStatus), name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_refund_claimable", "status", "lease_until"),
    )

    order_id: Mapped[UUID] = mapped_column(ForeignKey("reg_order.id", ondelete="CASCADE"), index=True)
    payment_id: Mapped[UUID] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default=RefundStatus.PENDING.value)
    provider_refund_id: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    actor: Mapped[str] = mapped_column(String(340))
    # The claim: how many times a sender took it, until when the current one may report, and the key sent.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")


class WebhookEvent(Base):
    """Every provider event id we have handled, so a replayed or duplicated webhook changes nothing twice."""

    __tablename__ = "webhook_event"
    __table_args__ = (UniqueConstraint("provider", "event_id", name="uq_webhook_event_provider_event"),)

    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(100))
    object_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
