"""Badges, the event signing keys, checkpoints and the scan log.

Exactly-once rules live in constraints: one key per event (a second generator's insert does nothing), one
badge per registration, one scan per (device, sequence number) so an offline batch uploaded twice is
recorded once, and one ``CheckinPresence`` row per badge and zone whose ``inside`` flag only flips through a
conditional UPDATE, so two devices scanning the same badge at the same moment give exactly one admission.
"""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from podium.db import Base
from podium.enums import in_sql


class CheckpointKind(enum.StrEnum):
    ENTRANCE = "entrance"  # the event's doors: every paid attendee
    ROOM = "room"  # a session room's door: whatever session is on in the room at the time
    SESSION = "session"  # one program session (a room-less or special session)
    ADD_ON = "add_on"  # a workshop or other add-on: only its buyers


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class ScanReason(enum.StrEnum):
    ADMITTED = "admitted"
    ALREADY_ADMITTED = "already_admitted"
    CHECKED_OUT = "checked_out"
    NOT_PAID = "not_paid"
    CANCELLED = "cancelled"
    REVOKED = "revoked"
    WRONG_EVENT = "wrong_event"
    NO_ACCESS = "no_access"
    OUTSIDE_WINDOW = "outside_window"
    INVALID = "invalid"


class BadgeKey(Base):
    """The event's Ed25519 key pair; the private half sealed with the app secret (``badges.tokens``)."""

    __tablename__ = "badge_key"

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    kid: Mapped[str] = mapped_column(String(8), unique=True)
    public_key: Mapped[str] = mapped_column(String(64))
    private_key_sealed: Mapped[str] = mapped_column(String(200))


class Badge(Base):
    """A registration's badge: a random serial printed on it and the version of its current printing.

    Tokens of an older version are revoked (a reprint or a transfer bumps the version)."""

    __tablename__ = "badge"
    __table_args__ = (
        UniqueConstraint("event_id", "serial", name="uq_badge_event_serial"),
        CheckConstraint("version between 1 and 65535", name="version"),
        CheckConstraint("print_count >= 0", name="print_count"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    registration_id: Mapped[UUID] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"), unique=True)
    serial: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer, default=1)
    print_count: Mapped[int] = mapped_column(Integer, default=0)
    printed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class CheckinSettings(Base):
    """Per-event check-in rules an organizer sets: how early doors open, and the share of a session an
    attendee must be in the room for to earn its credit hours."""

    __tablename__ = "checkin_settings"
    __table_args__ = (
        CheckConstraint("doors_open_minutes between 0 and 1440", name="doors_open_minutes"),
        CheckConstraint("credit_threshold_pct between 1 and 100", name="credit_threshold_pct"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    doors_open_minutes: Mapped[int] = mapped_column(Integer, default=30)
    credit_threshold_pct: Mapped[int] = mapped_column(Integer, default=75)


class Checkpoint(Base):
    """A place where badges are scanned. ``opens_at``/``closes_at`` bound entrance and add-on scans;
    room and session checkpoints take their window from the program (doors open before the start)."""

    __tablename__ = "checkpoint"
    __table_args__ = (
        UniqueConstraint("event_id", "code", name="uq_checkpoint_event_code"),
        CheckConstraint(in_sql("kind", CheckpointKind), name="kind"),
        CheckConstraint("kind <> 'room' or room_id is not null", name="room"),
        CheckConstraint("kind <> 'session' or session_id is not null", name="session"),
        CheckConstraint("kind <> 'add_on' or add_on_id is not null", name="add_on"),
        CheckConstraint("opens_at is null or closes_at is null or closes_at > opens_at", name="window"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(10))
    room_id: Mapped[UUID | None] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"), nullable=True)
    session_id: Mapped[UUID | None] = mapped_column(ForeignKey("program_session.id", ondelete="CASCADE"), nullable=True)
    add_on_id: Mapped[UUID | None] = mapped_column(ForeignKey("add_on.id", ondelete="CASCADE"), nullable=True)
    opens_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    closes_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Checkin(Base):
    """One scan as a device reported it, with the answer it got; refused scans are kept too."""

    __tablename__ = "checkin"
    __table_args__ = (
        UniqueConstraint("device_id", "device_seq", name="uq_checkin_device_seq"),
        CheckConstraint(in_sql("direction", Direction), name="direction"),
        CheckConstraint(in_sql("reason", ScanReason), name="reason"),
        Index("ix_checkin_event_reason", "event_id", "reason", "device_time"),
        Index("ix_checkin_registration", "registration_id", "device_time"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    checkpoint_id: Mapped[UUID] = mapped_column(ForeignKey("checkpoint.id", ondelete="CASCADE"), index=True)
    badge_id: Mapped[UUID | None] = mapped_column(ForeignKey("badge.id", ondelete="SET NULL"), nullable=True)
    registration_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), nullable=True
    )
    # The session a room scan was counted for (attendance), if one was on.
    session_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("program_session.id", ondelete="SET NULL"), nullable=True, index=True
    )
    badge_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    direction: Mapped[str] = mapped_column(String(3))
    device_id: Mapped[str] = mapped_column(String(100))
    device_seq: Mapped[int] = mapped_column(BigInteger)
    device_time: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    reason: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(String(300))
    actor: Mapped[str] = mapped_column(String(340))


class CheckinPresence(DefaultBase):
    """Whether a badge is inside a zone (the entrance, an add-on, one session) and where it first got in.

    ``inside`` flips only through conditional writes (``badges.presence``), so of two simultaneous scans
    exactly one is admitted; ``last_change_at`` is the device time of the scan that set ``inside``, so a scan
    uploaded late never overrides a newer one. The first admission is the earliest ``in`` by device time;
    it is empty while only an ``out`` has arrived (an offline device's ``in`` is still to come)."""

    __tablename__ = "checkin_presence"

    badge_id: Mapped[UUID] = mapped_column(ForeignKey("badge.id", ondelete="CASCADE"), primary_key=True)
    zone: Mapped[str] = mapped_column(String(60), primary_key=True)
    inside: Mapped[bool] = mapped_column(Boolean, default=True)
    last_change_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    first_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    first_checkpoint_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="CASCADE"), nullable=True
    )
    first_device_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
