"""Catalog (categories, price windows, add-ons, quotas, promo codes, questions), orders and registrations.

Every capacity is a ``Quota`` row with a ``used`` counter that only ever moves through one conditional
UPDATE (``used + n <= size``), which is what keeps seats exact under any concurrency. ``OrderQuota``
remembers what each order took, so releasing a hold gives back exactly that.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from podium.audit_models import AuditEntry
from podium.db import Base
from podium.enums import in_sql

# The audit trail moved to the kernel (``podium.audit``); the old name stays for code and tests that use it.
StateChange = AuditEntry


class Eligibility(enum.StrEnum):
    OPEN = "open"
    MEMBER_NUMBER = "member_number"
    VERIFICATION = "verification"
    ACCESS_CODE = "access_code"


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


class RegistrationSettings(Base):
    """Per-event rules that are not items: hold time and the equitable-access discounts."""

    __tablename__ = "registration_settings"
    __table_args__ = (
        CheckConstraint("hold_minutes between 1 and 120", name="hold_minutes"),
        CheckConstraint(
            "low_income_discount_pct between 0 and 100 and lower_middle_income_discount_pct between 0 and 100 "
            "and upper_middle_income_discount_pct between 0 and 100",
            name="income_discounts",
        ),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    hold_minutes: Mapped[int] = mapped_column(Integer, default=15)
    low_income_discount_pct: Mapped[int] = mapped_column(Integer, default=0)
    lower_middle_income_discount_pct: Mapped[int] = mapped_column(Integer, default=0)
    upper_middle_income_discount_pct: Mapped[int] = mapped_column(Integer, default=0)


class Category(Base):
    __tablename__ = "reg_category"
    __table_args__ = (
        UniqueConstraint("event_id", "code", name="uq_reg_category_event_code"),
        CheckConstraint(in_sql("eligibility", Eligibility), name="eligibility"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    eligibility: Mapped[str] = mapped_column(String(20), default=Eligibility.OPEN.value)
    access_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The category's own capacity, if it has one (shared and event-wide quotas are separate rows).
    capacity_quota_id: Mapped[UUID | None] = mapped_column(ForeignKey("quota.id", ondelete="SET NULL"), nullable=True)

    price_windows: Mapped[list[PriceWindow]] = relationship(
        order_by="PriceWindow.starts_on", cascade="all, delete-orphan", lazy="selectin"
    )


class PriceWindow(Base):
    """A price from local midnight of ``starts_on`` (event time zone) until the next window starts."""

    __tablename__ = "price_window"
    __table_args__ = (
        UniqueConstraint("category_id", "starts_on", name="uq_price_window_start"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    category_id: Mapped[UUID] = mapped_column(ForeignKey("reg_category.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(Integer)


class AddOn(Base):
    __tablename__ = "add_on"
    __table_args__ = (
        UniqueConstraint("event_id", "code", name="uq_add_on_event_code"),
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint("kind in ('workshop', 'training', 'reception', 'other')", name="kind"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default="other")
    amount: Mapped[int] = mapped_column(Integer)
    # Empty means every category may buy it.
    category_ids: Mapped[list[str]] = mapped_column(JsonB, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    capacity_quota_id: Mapped[UUID | None] = mapped_column(ForeignKey("quota.id", ondelete="SET NULL"), nullable=True)


class Quota(Base):
    """A number of seats shared by its items; ``scope='event'`` counts every attendee of the event."""

    __tablename__ = "quota"
    __table_args__ = (
        CheckConstraint("size >= 0", name="size"),
        CheckConstraint("used >= 0", name="used"),
        # The last word on capacity: a counter pushed past its size fails the statement (see ``holds``).
        CheckConstraint("used <= size", name="fits"),
        CheckConstraint("scope in ('event', 'items')", name="scope"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    used: Mapped[int] = mapped_column(Integer, default=0)
    scope: Mapped[str] = mapped_column(String(10), default="items")


class QuotaItem(DefaultBase):
    __tablename__ = "quota_item"
    __table_args__ = (
        CheckConstraint("(category_id is null) <> (add_on_id is null)", name="one_item"),
        UniqueConstraint("quota_id", "category_id", "add_on_id", name="uq_quota_item"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    quota_id: Mapped[UUID] = mapped_column(ForeignKey("quota.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("reg_category.id", ondelete="CASCADE"), nullable=True, index=True
    )
    add_on_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("add_on.id", ondelete="CASCADE"), nullable=True, index=True
    )


class PromoCode(Base):
    __tablename__ = "promo_code"
    __table_args__ = (
        UniqueConstraint("event_id", "code", name="uq_promo_code_event_code"),
        CheckConstraint("kind in ('percent', 'fixed')", name="kind"),
        CheckConstraint("value >= 0", name="value"),
        CheckConstraint("used >= 0", name="used"),
        CheckConstraint("max_uses is null or used <= max_uses", name="max_uses"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[int] = mapped_column(Integer)
    category_ids: Mapped[list[str]] = mapped_column(JsonB, default=list)
    add_on_ids: Mapped[list[str]] = mapped_column(JsonB, default=list)
    max_uses: Mapped[int | None] = mapped_column(Integer, nullable=True)
    used: Mapped[int] = mapped_column(Integer, default=0)
    valid_from: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    valid_until: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class Question(Base):
    __tablename__ = "reg_question"
    __table_args__ = (
        UniqueConstraint("event_id", "code", name="uq_reg_question_event_code"),
        CheckConstraint("kind in ('text', 'choice', 'boolean')", name="kind"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default="text")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[list[str]] = mapped_column(JsonB, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Order(Base):
    __tablename__ = "reg_order"
    __table_args__ = (
        UniqueConstraint("event_id", "idempotency_key", name="uq_reg_order_idempotency"),
        CheckConstraint(in_sql("status", OrderStatus), name="status"),
        CheckConstraint("total >= 0", name="total"),
        Index("ix_reg_order_pending_expiry", "status", "hold_expires_at"),
        # The open holds of one buyer, and of one address, counted before each new order (``orders.snapshot``).
        Index(
            "ix_reg_order_open_by_email",
            "event_id",
            "buyer_email",
            postgresql_where=text(_PENDING_SQL),
            sqlite_where=text(_PENDING_SQL),
        ),
        Index(
            "ix_reg_order_open_by_address",
            "event_id",
            "client_address",
            postgresql_where=text(_PENDING_SQL),
            sqlite_where=text(_PENDING_SQL),
        ),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
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

    order: Mapped[Order] = relationship(back_populates="registrations", lazy="raise")
    add_ons: Mapped[list[RegistrationAddOn]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class RegistrationAddOn(DefaultBase):
    __tablename__ = "registration_add_on"

    registration_id: Mapped[UUID] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True)
    add_on_id: Mapped[UUID] = mapped_column(ForeignKey("add_on.id"), primary_key=True)
    amount: Mapped[int] = mapped_column(Integer)
    discount_amount: Mapped[int] = mapped_column(Integer, default=0)


class VerificationDocument(Base):
    """Proof of eligibility an attendee uploaded (student card, letter). Kept in the database, not on one
    worker's disk, so every worker behind the load balancer can serve it to the organizers."""

    __tablename__ = "verification_document"
    __table_args__ = (
        CheckConstraint("size > 0", name="size"),
        CheckConstraint("content_type in ('application/pdf', 'image/png', 'image/jpeg')", name="content_type"),
    )

    registration_id: Mapped[UUID] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[str] = mapped_column(String(340))


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


class WaitlistStatus(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # a seat is held for them until the offer expires
    CLAIMED = "claimed"
    LAPSED = "lapsed"  # the offer expired unclaimed
    LEFT = "left"


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


class MailWording(Base):
    """An event's own words for one mail template (subject, opening paragraph, sign-off), plain text; an
    empty field keeps the template's default."""

    __tablename__ = "mail_wording"
    __table_args__ = (UniqueConstraint("event_id", "template", name="uq_mail_wording_event_template"),)

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    template: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200), default="")
    intro: Mapped[str] = mapped_column(Text, default="")
    sign_off: Mapped[str] = mapped_column(Text, default="")


class DocumentCounter(DefaultBase):
    """The last document number issued per event (receipts and credit notes share one series).

    Locked only by the short numbering transaction (``registration.documents``), never by a payment's."""

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


class Cancellation(Base):
    """One cancellation of registrations of a paid order: the fee kept under the event's schedule and the refund
    it started. Stored because a refund row alone can't tell the buyer's page about a fee (a 100 % fee leaves
    no refund at all)."""

    __tablename__ = "cancellation"
    __table_args__ = (
        CheckConstraint("fee >= 0", name="fee"),
        CheckConstraint("refund_amount >= 0", name="refund_amount"),
        CheckConstraint("fee_pct between 0 and 100", name="fee_pct"),
    )

    order_id: Mapped[UUID] = mapped_column(ForeignKey("reg_order.id", ondelete="CASCADE"), index=True)
    registrations: Mapped[int] = mapped_column(Integer)
    amount_due: Mapped[int] = mapped_column(Integer)
    fee_pct: Mapped[int] = mapped_column(Integer)
    fee: Mapped[int] = mapped_column(Integer)
    refund_amount: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(340))


class CancellationFeeRule(Base):
    """Self-cancellation fee: ``fee_pct`` applies to cancellations made before local midnight ending ``until``."""

    __tablename__ = "cancellation_fee_rule"
    __table_args__ = (
        UniqueConstraint("event_id", "until", name="uq_cancellation_fee_rule_until"),
        CheckConstraint("fee_pct between 0 and 100", name="fee_pct"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    until: Mapped[dt.date] = mapped_column(Date)
    fee_pct: Mapped[int] = mapped_column(Integer)


class WaitlistEntry(Base):
    """Someone waiting for a full category or add-on; an offer holds a seat until ``offer_expires_at``."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (
        CheckConstraint("(category_id is null) <> (add_on_id is null)", name="one_item"),
        CheckConstraint(in_sql("status", WaitlistStatus), name="status"),
        Index("ix_waitlist_entry_queue", "event_id", "status", "created_at"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    category_id: Mapped[UUID | None] = mapped_column(ForeignKey("reg_category.id", ondelete="CASCADE"), nullable=True)
    add_on_id: Mapped[UUID | None] = mapped_column(ForeignKey("add_on.id", ondelete="CASCADE"), nullable=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default=WaitlistStatus.WAITING.value)
    offer_version: Mapped[int] = mapped_column(Integer, default=0)
    offer_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    # The quota seat an offer holds (taken when offered, given back if it lapses).
    held_quota_ids: Mapped[list[str]] = mapped_column(JsonB, default=list)
