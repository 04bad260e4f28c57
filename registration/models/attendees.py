"""What passes between attendees and organizers around a registration besides buying it: proof of
eligibility, cancellations, the waitlist, and the event's own wording of the mails attendees are sent."""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from podium.db import Base
from podium.enums import in_sql


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


class WaitlistStatus(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # a seat is held for them until the offer expires
    CLAIMED = "claimed"
    LAPSED = "lapsed"  # the offer expired unclaimed
    LEFT = "left"


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
    # The language the person joined in (``podium.i18n``): their offer and reminder mails are written in it.
    locale: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    # The time zone they joined in (``podium.reader_zone``; None when unknown): the offer's deadline in its mails
    # shows their own clock beside the event's, as an order's mails do.
    time_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)


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
