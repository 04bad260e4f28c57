"""Orders and the registrations they hold. ``OrderQuota`` remembers the seats each order took from each
quota, so releasing a hold gives back exactly that."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from podium.db import Base
from podium.enums import in_sql


class OrderStatus(enum.StrEnum):
    PENDING = "pending"  # seats held, waiting for payment
    PAID = "paid"  # paid (or free) and confirmed
    EXPIRED = "expired"  # hold ran out unpaid; seats returned
    CANCELLED = "cancelled"


class RegistrationStatus(enum.StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"
    AWAITING_VERIFICATION = "awaiting_verification"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


ACTIVE_REGISTRATION_STATUSES = (
    RegistrationStatus.HELD,
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.AWAITING_VERIFICATION,
)
_ACTIVE_SQL = in_sql("status", ACTIVE_REGISTRATION_STATUSES)
_PENDING_SQL = f"status = '{OrderStatus.PENDING.value}'"
_OPEN_BY_EMAIL_SQL = f"{_PENDING_SQL} AND buyer_email IS NOT NULL"
_OPEN_BY_ADDRESS_SQL = f"{_PENDING_SQL} AND client_address IS NOT NULL"
_OPEN_BY_EXPIRY_SQL = f"{_PENDING_SQL} AND hold_expires_at IS NOT NULL"


class Order(Base):
    __tablename__ = "reg_order"
    __table_args__ = (
        UniqueConstraint("event_id", "idempotency_key", name="uq_reg_order_idempotency"),
        CheckConstraint(in_sql("status", OrderStatus), name="status"),
        CheckConstraint("total >= 0", name="total"),
        Index("ix_reg_order_pending_expiry", "status", "hold_expires_at"),
        # An index rather than a constraint: SQLite adds one to an existing table without copying it.
        Index("uq_reg_order_payment_reference", "payment_reference", unique=True),
        # The open holds of one buyer, and of one address, counted before each new order, and the event's
        # lapsed ones (``orders.snapshot``). Each index's predicate is implied by its own lookup only (a lookup
        # by address never says the buyer's email is not null): PostgreSQL's generic plan, made while an event's
        # orders are few and every index looks alike, would otherwise take any of them and read every open hold
        # of the event on each new order.
        Index(
            "ix_reg_order_open_by_email",
            "event_id",
            "buyer_email",
            postgresql_where=text(_OPEN_BY_EMAIL_SQL),
            sqlite_where=text(_OPEN_BY_EMAIL_SQL),
        ),
        Index(
            "ix_reg_order_open_by_address",
            "event_id",
            "client_address",
            postgresql_where=text(_OPEN_BY_ADDRESS_SQL),
            sqlite_where=text(_OPEN_BY_ADDRESS_SQL),
        ),
        Index(
            "ix_reg_order_open_by_expiry",
            "event_id",
            "hold_expires_at",
            postgresql_where=text(_OPEN_BY_EXPIRY_SQL),
            sqlite_where=text(_OPEN_BY_EXPIRY_SQL),
        ),
    )

    # No index of its own: ``uq_reg_order_idempotency`` leads with it. A second one let PostgreSQL's generic
    # plan of the order's first read (``orders.snapshot``), made while the table was nearly empty, look up an
    # Idempotency-Key by scanning every order of the event.
    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.PENDING.value)
    buyer_name: Mapped[str] = mapped_column(String(200))
    buyer_email: Mapped[str] = mapped_column(String(320), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(Integer)
    discount_total: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer)
    hold_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    # The secret link is an HMAC of the order id and this version; bumping it revokes old links.
    secret_version: Mapped[int] = mapped_column(Integer, default=1)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    promo_code_id: Mapped[UUID | None] = mapped_column(ForeignKey("promo_code.id"), nullable=True)
    promo_uses: Mapped[int] = mapped_column(Integer, default=0)
    payment_provider: Mapped[str] = mapped_column(String(20), default="none")
    # The provider's payment for this order: the PaymentIntent made for it while it is open, and the one
    # that paid it once paid (any other that succeeds later is refunded; see ``payment_outcomes``).
    provider_payment_id: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    # Succeeded refunds of all the order's payments (kept or not), kept equal to the rows by ``ledger``
    # alone; stored so lists and receipts need no sum.
    amount_refunded: Mapped[int] = mapped_column(Integer, default=0)
    # The client address the order was placed from (podium/client_address.py), for the cap on open holds.
    client_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # What is known of the card payment in flight, for the buyer's page (``orders.standing``), never for money:
    # "confirming" once Stripe.js confirmed it and until the webhook's verdict, "failed" with the provider's
    # reason when the last attempt was declined; ``payment_state_at`` orders it against late webhooks.
    payment_state: Mapped[str | None] = mapped_column(String(12), nullable=True)
    payment_state_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    payment_failure: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # The language the order was placed in (``podium.i18n``): the buyer's mails are written in it.
    locale: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    # The buyer's time zone when ordering (``podium.reader_zone``; None when unknown): their mails show their own
    # clock beside the event's.
    time_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Bank transfer (``registration.bank``): the reference the buyer writes on the transfer (ISO 11649, unique),
    # when it is due (the hold runs to then), and when the one reminder before it went out.
    payment_reference: Mapped[str | None] = mapped_column(String(35), nullable=True)
    payment_due_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    payment_reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    # When the buyer's "pay by …" mail falls due if the order is still unpaid then (``registration.mail.held``);
    # cleared when the sweep writes it. Most orders are paid first and never have it written.
    held_mail_due_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)

    registrations: Mapped[list[Registration]] = relationship(
        back_populates="order", order_by="Registration.position", lazy="raise"
    )


class OrderQuota(DefaultBase):
    """Seats an order took from a quota; given back exactly once when the hold ends unpaid or is cancelled."""

    __tablename__ = "order_quota"

    order_id: Mapped[UUID] = mapped_column(ForeignKey("reg_order.id", ondelete="CASCADE"), primary_key=True)
    quota_id: Mapped[UUID] = mapped_column(ForeignKey("quota.id", ondelete="CASCADE"), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class Registration(Base):
    """One attendee at one event. One active registration per email per event (partial unique index)."""

    __tablename__ = "registration"
    __table_args__ = (
        CheckConstraint(in_sql("status", RegistrationStatus), name="status"),
        Index(
            "uq_registration_active_email",
            "event_id",
            "email",
            unique=True,
            postgresql_where=text(_ACTIVE_SQL),
            sqlite_where=text(_ACTIVE_SQL),
        ),
    )

    order_id: Mapped[UUID] = mapped_column(ForeignKey("reg_order.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[UUID] = mapped_column(ForeignKey("reg_category.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(24), default=RegistrationStatus.HELD.value)
    email: Mapped[str] = mapped_column(String(320))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    affiliation: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2))
    member_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    verification_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    category_amount: Mapped[int] = mapped_column(Integer)
    discount_amount: Mapped[int] = mapped_column(Integer, default=0)
    # The secret of the registration's own link (agenda, badge) is an HMAC of its id and this version.
    secret_version: Mapped[int] = mapped_column(Integer, default=1)
    # Set by a transfer: from then on only the registration's own link opens it, never its order's.
    transferred_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    # The language the registration was made in (``podium.i18n``): the attendee's mails are written in it.
    locale: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    # The time zone it was made in (``podium.reader_zone``; None when unknown): the attendee's mails show that
    # clock beside the event's.
    time_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)

    order: Mapped[Order] = relationship(back_populates="registrations", lazy="raise")
    add_ons: Mapped[list[RegistrationAddOn]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class RegistrationAddOn(DefaultBase):
    __tablename__ = "registration_add_on"

    registration_id: Mapped[UUID] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True)
    add_on_id: Mapped[UUID] = mapped_column(ForeignKey("add_on.id"), primary_key=True)
    amount: Mapped[int] = mapped_column(Integer)
    discount_amount: Mapped[int] = mapped_column(Integer, default=0)
