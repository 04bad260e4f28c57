"""Visa invitation letters and each event's rules for them (``registration.letters``).

The passport data a letter prints (passport name, nationality, number, date of birth) is kept only sealed, in
``sealed`` (AES-GCM, ``registration.letters.sealing``), and nulled when it is erased after the event; what the
public verification page shows (the registered name, the event, the validity) never needs it.
"""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from podium.db import Base
from podium.enums import in_sql


class LetterStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for an organizer's review
    ISSUED = "issued"
    REJECTED = "rejected"
    REVOKED = "revoked"


class RevokedBecause(enum.StrEnum):
    """Who or what ended an issued letter; the public page shows this, never the organizers' note."""

    ORGANIZER = "organizer"
    CANCELLED = "cancelled"  # the registration was cancelled
    TRANSFERRED = "transferred"  # the registration went to someone else: the letter named the previous holder
    EXPIRED = "expired"  # the unpaid hold it was asked under ended


class LetterSettings(Base):
    """One event's letter rules and the signature printed on its letters (PNG, re-encoded, like its logo)."""

    __tablename__ = "letter_settings"
    __table_args__ = (CheckConstraint("erase_after_days between 0 and 3650", name="erase_after_days"),)

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    review_first: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether a registration not yet confirmed (held, awaiting payment or verification) may ask; always reviewed.
    allow_unconfirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    erase_after_days: Mapped[int] = mapped_column(Integer, default=30)
    signatory: Mapped[str] = mapped_column(String(200), default="")
    signatory_title: Mapped[str] = mapped_column(String(200), default="")
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)


class VisaLetter(Base):
    """One attendee's letter: asked for through their link, issued at once or after review, revocable."""

    __tablename__ = "visa_letter"
    __table_args__ = (
        CheckConstraint(in_sql("status", LetterStatus), name="status"),
        CheckConstraint("(erased_at is null) or (sealed is null)", name="erased"),
        CheckConstraint(in_sql("revoked_because", RevokedBecause), name="revoked_because"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    # Not unique: after a transfer the new holder may ask for their own letter (the newest is the current one).
    registration_id: Mapped[UUID] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=LetterStatus.PENDING.value)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    embassy_city: Mapped[str] = mapped_column(String(120))
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    # The passport number's last three characters, all an attendee's API answer shows of it.
    number_tail: Mapped[str | None] = mapped_column(String(3), nullable=True)
    issued_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    revoked_because: Mapped[str | None] = mapped_column(String(12), nullable=True)
    # The registered name when the letter was asked for: after a transfer the registration names someone else,
    # and the revoked letter's public page must still name the person it was for.
    holder_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
