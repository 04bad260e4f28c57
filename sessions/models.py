"""The program: sessions, speakers, who speaks or chairs what, and attendees' personal agendas.

A session's ``sequence`` goes up on every change an attendee would notice (time, room, status, title), so
calendar clients replace their copy (iCalendar SEQUENCE). ``seats_taken`` counts agenda reservations and
only moves through one conditional UPDATE (``seats_taken + 1 <= capacity``), as quotas do in registration.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from sqlalchemy import (
    CheckConstraint,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from podium.db import Base
from podium.enums import in_sql
from podium.i18n import N_


class SessionKind(enum.StrEnum):
    KEYNOTE = "keynote"
    PLENARY = "plenary"
    SYMPOSIUM = "symposium"
    SCIENTIFIC_SESSION = "scientific_session"
    WORKSHOP = "workshop"
    POSTER_SESSION = "poster_session"
    BREAK = "break"
    SOCIAL = "social"


# What a session's kind is called on the program's pages and in its calendar entry's description (marked for
# extraction; the pages translate them where they show them).
KIND_LABELS: dict[str, str] = {
    SessionKind.KEYNOTE: N_("Keynote"),
    SessionKind.PLENARY: N_("Plenary"),
    SessionKind.SYMPOSIUM: N_("Symposium"),
    SessionKind.SCIENTIFIC_SESSION: N_("Scientific session"),
    SessionKind.WORKSHOP: N_("Workshop"),
    SessionKind.POSTER_SESSION: N_("Poster session"),
    SessionKind.BREAK: N_("Break"),
    SessionKind.SOCIAL: N_("Social"),
}


class SessionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class SpeakerRole(enum.StrEnum):
    SPEAKER = "speaker"
    CHAIR = "chair"


class Speaker(Base):
    """A person on the program. The email is for the organizers only: never shown, never in a feed."""

    __tablename__ = "speaker"
    __table_args__ = (UniqueConstraint("event_id", "name", name="uq_speaker_event_name"),)

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    affiliation: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)


class ProgramSession(Base):
    __tablename__ = "program_session"
    __table_args__ = (
        CheckConstraint(in_sql("kind", SessionKind), name="kind"),
        CheckConstraint(in_sql("status", SessionStatus), name="status"),
        CheckConstraint("ends_at > starts_at", name="times"),
        CheckConstraint("capacity is null or capacity >= 0", name="capacity"),
        CheckConstraint("seats_taken >= 0", name="seats_taken"),
        CheckConstraint("seat_limit IS NULL OR seats_taken <= seat_limit", name="seat_limit"),
        CheckConstraint("credit_hours >= 0", name="credit_hours"),
        CheckConstraint("sequence >= 0", name="sequence"),
        Index("ix_program_session_event_start", "event_id", "starts_at"),
    )

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24), default=SessionKind.SCIENTIFIC_SESSION.value)
    title: Mapped[str] = mapped_column(String(300))
    # The title in other languages than the event's default (``podium.translated``); a change moves the
    # program's version like any other (the triggers fire on every update of the row).
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JsonB, default=dict, server_default=text("'{}'"))
    abstract: Mapped[str] = mapped_column(Text, default="")
    track_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("track.id", ondelete="SET NULL"), nullable=True, index=True
    )
    room_id: Mapped[UUID | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"), nullable=True, index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    # None means the room's capacity (or unlimited without a room); agenda reservations count against it.
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    # The seats it may give out: ``capacity``, else its room's, else unlimited (None). Set by the database's
    # triggers only (see sessions/capacity.py), never by the app; read it from the database.
    seat_limit: Mapped[int | None] = mapped_column(
        Integer, nullable=True, server_default=FetchedValue(), server_onupdate=FetchedValue()
    )
    # Only attendees who bought this add-on may reserve a seat or enter.
    required_add_on_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("add_on.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    credit_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.DRAFT.value)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # When an attendee-visible field last changed (iCalendar LAST-MODIFIED); updated_at moves on any edit.
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)

    people: Mapped[list[SessionSpeaker]] = relationship(
        back_populates="session", order_by="SessionSpeaker.position", cascade="all, delete-orphan", lazy="raise"
    )


class SessionSpeaker(Base):
    """A speaker or chair of one session, in the order the program lists them."""

    __tablename__ = "session_speaker"
    __table_args__ = (
        UniqueConstraint("session_id", "speaker_id", "role", name="uq_session_speaker"),
        CheckConstraint(in_sql("role", SpeakerRole), name="role"),
    )

    session_id: Mapped[UUID] = mapped_column(ForeignKey("program_session.id", ondelete="CASCADE"))
    speaker_id: Mapped[UUID] = mapped_column(ForeignKey("speaker.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10), default=SpeakerRole.SPEAKER.value)
    position: Mapped[int] = mapped_column(Integer, default=0)

    session: Mapped[ProgramSession] = relationship(back_populates="people", lazy="raise")
    speaker: Mapped[Speaker] = relationship(lazy="raise")


class AgendaItem(Base):
    """A session in one registration's personal agenda; ``reserved`` says it holds one of the session's seats."""

    __tablename__ = "agenda_item"
    __table_args__ = (UniqueConstraint("registration_id", "session_id", name="uq_agenda_item"),)

    registration_id: Mapped[UUID] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    session_id: Mapped[UUID] = mapped_column(ForeignKey("program_session.id", ondelete="CASCADE"), index=True)
    reserved: Mapped[bool] = mapped_column(default=False)


class AgendaFeed(Base):
    """The private calendar feed of one registration. The URL token is an HMAC of the id and ``version``;
    bumping the version revokes every copy of the old URL."""

    __tablename__ = "agenda_feed"

    registration_id: Mapped[UUID] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Talk(Base):
    """A talk (timed, in order) or a poster (on a board) inside a program session. The abstracts domain writes
    them through ``sessions.talks`` (sessions never imports abstracts); ``source_id`` names what a talk came from
    (an abstract), so placing it again moves it instead of copying it. Nothing of a talk is public before
    ``visible_from`` (the call's embargo)."""

    __tablename__ = "talk"
    __table_args__ = (
        CheckConstraint("position >= 0", name="position"),
        CheckConstraint("minutes is null or minutes > 0", name="minutes"),
        UniqueConstraint("program_session_id", "board", name="uq_talk_session_board"),
    )

    program_session_id: Mapped[UUID] = mapped_column(ForeignKey("program_session.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # A timed talk's length; a poster has none and a board instead.
    minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    board: Mapped[str | None] = mapped_column(String(20), nullable=True)
    title: Mapped[str] = mapped_column(String(1000))
    speaker_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("speaker.id", ondelete="SET NULL"), nullable=True, index=True
    )
    abstract_text: Mapped[str] = mapped_column(Text, default="")
    abstract_html: Mapped[str] = mapped_column(Text, default="")
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Every author's name in order ("A, B, C"), as the abstract book lists them, and the abstract's public page.
    authors: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    visible_from: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    source_id: Mapped[UUID | None] = mapped_column(GUID, nullable=True, unique=True)
