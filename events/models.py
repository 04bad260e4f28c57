"""Event, Room, Track. Dates are the event's local calendar days; instants are stored in UTC."""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from podium.db import Base
from podium.enums import in_sql


class EventKind(enum.StrEnum):
    ANNUAL_MEETING = "annual_meeting"
    POLICY_SUMMIT = "policy_summit"
    WORKSHOP = "workshop"
    TRAINING = "training"


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Event(Base):
    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint(in_sql("kind", EventKind), name="kind"),
        CheckConstraint(in_sql("status", EventStatus), name="status"),
        CheckConstraint("end_date >= start_date", name="dates"),
    )

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(64))
    venue: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # The language of the base texts (the description here, names and titles on the event's items); visitors
    # reading another get ``translations`` where the organizer gave them (``podium.translated``).
    default_locale: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JsonB, default=dict, server_default=text("'{}'"))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.DRAFT.value, index=True)
    registration_opens_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    registration_closes_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    # The brand (events/brand.py): an accent colour, and the SHA-256 of the logo in ``event_logo``, which pages
    # put in the logo's URL so it can be cached for a year and still change at once.
    brand_colour: Mapped[str | None] = mapped_column(String(7), nullable=True)
    logo_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # What the registrations chart compares with (events/targets.py): a head count, and the previous edition's
    # slug (a published event keeps its slug), whose curve is drawn aligned by days before the start.
    registration_target: Mapped[int | None] = mapped_column(Integer, nullable=True)
    previous_edition: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Moved by database triggers on every public change to the program (sessions, speakers and their links,
    # rooms, tracks; alembic/versions/20261203_program_version.py), never by Python: the fingerprint behind
    # every cached program answer and feed (sessions/public.py), read with the event row.
    program_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    program_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)

    rooms: Mapped[list[Room]] = relationship(
        back_populates="event", order_by="Room.name", cascade="all, delete-orphan", lazy="raise"
    )
    tracks: Mapped[list[Track]] = relationship(
        back_populates="event", order_by="Track.name", cascade="all, delete-orphan", lazy="raise"
    )


class EventLogo(Base):
    """The event's logo as we re-encoded it (PNG). In the database, not on one worker's disk, so every worker on
    every machine serves it; a table of its own, so loading an event never reads the image."""

    __tablename__ = "event_logo"
    __table_args__ = (CheckConstraint("width > 0 and height > 0", name="size"),)

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    png: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)


class Room(Base):
    __tablename__ = "room"
    __table_args__ = (
        UniqueConstraint("event_id", "name", name="uq_room_event_name"),
        CheckConstraint("capacity >= 0", name="capacity"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int] = mapped_column(Integer)
    event: Mapped[Event] = relationship(back_populates="rooms", lazy="raise")


class Track(Base):
    __tablename__ = "track"
    __table_args__ = (UniqueConstraint("event_id", "name", name="uq_track_event_name"),)

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    colour: Mapped[str] = mapped_column(String(7))
    event: Mapped[Event] = relationship(back_populates="tracks", lazy="raise")
