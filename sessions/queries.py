"""Reading the program: sessions with their people, their wire form, and the facts the conflict rules check."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from events.models import Event, EventStatus, Room, Track
from events.services import get_event
from podium.errors import Conflict, FieldError, NotFound
from podium.i18n import N_, gettext, ngettext
from podium.translated import localized
from registration.models import AddOn
from sessions.capacity import seat_limit
from sessions.conflicts import EventFacts, PersonFacts, ProgramConflict, SessionFacts, find_conflicts
from sessions.models import ProgramSession, SessionKind, SessionSpeaker, SessionStatus, Speaker
from sessions.schemas import (
    PersonRead,
    ProgramConflictRead,
    PublicTalkRead,
    Role,
    SessionRead,
)

# --- loading ----------------------------------------------------------------------------------------------


def with_people(query: Select[Any]) -> Select[Any]:
    return query.options(selectinload(ProgramSession.people).selectinload(SessionSpeaker.speaker))


async def event_by_id(db_session: AsyncSession, event_id: UUID) -> Event:
    event = await db_session.scalar(
        select(Event).where(Event.id == event_id).options(selectinload(Event.rooms), selectinload(Event.tracks))
    )
    if event is None:  # pragma: no cover - the foreign key makes this impossible
        raise NotFound(N_("no such event"), field="event")
    return event


async def load_sessions(db_session: AsyncSession, event_id: UUID) -> list[ProgramSession]:
    """Every session of the event with its people, in program order."""
    query = with_people(select(ProgramSession).where(ProgramSession.event_id == event_id))
    return list((await db_session.scalars(query.order_by(ProgramSession.starts_at, ProgramSession.title))).all())


async def session_by_id(db_session: AsyncSession, session_id: UUID) -> ProgramSession:
    session = await db_session.scalar(with_people(select(ProgramSession).where(ProgramSession.id == session_id)))
    if session is None:
        raise NotFound(N_("no such session"), field="session_id")
    return session


def editable(event: Event) -> Event:
    if event.status == EventStatus.ARCHIVED:
        raise Conflict(N_("archived events are read-only"), field="status", code="event_archived")
    return event


async def add_on_events(db_session: AsyncSession, ids: Iterable[UUID | None]) -> dict[UUID, UUID]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await db_session.execute(select(AddOn.id, AddOn.event_id).where(AddOn.id.in_(wanted)))
    return {row.id: row.event_id for row in rows}


# --- reading ----------------------------------------------------------------------------------------------


def event_facts(event: Event) -> EventFacts:
    return EventFacts(id=event.id, timezone=event.timezone, start_date=event.start_date, end_date=event.end_date)


def facts(
    session: ProgramSession,
    rooms: dict[UUID, Room],
    add_on_events: dict[UUID, UUID],
    people: Sequence[PersonFacts] | None = None,
) -> SessionFacts:
    room = rooms.get(session.room_id) if session.room_id else None
    if people is None:
        people = [PersonFacts(p.speaker_id, p.speaker.name, p.role) for p in session.people]
    return SessionFacts(
        id=session.id,
        title=session.title,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        status=session.status,
        room_id=session.room_id,
        room_name=room.name if room else "",
        room_capacity=room.capacity if room else None,
        capacity=session.capacity,
        required_add_on_id=session.required_add_on_id,
        required_add_on_event_id=add_on_events.get(session.required_add_on_id) if session.required_add_on_id else None,
        people=tuple(people),
    )


def local_text(value: dt.datetime, timezone: str) -> str:
    return value.astimezone(zoneinfo.ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


def to_read(
    session: ProgramSession,
    event: Event,
    talks: list[PublicTalkRead] | None = None,
    hidden: Collection[tuple[UUID, UUID]] = (),
    locale: str | None = None,
) -> SessionRead:
    """``hidden``: (session, speaker) pairs of presenters not shown yet (``talk_reads.embargoed_presenters``);
    ``locale``: a public read's language (``read_session``)."""
    people = [
        PersonRead(id=p.speaker_id, name=p.speaker.name, affiliation=p.speaker.affiliation, role=cast(Role, p.role))
        for p in session.people
        if p.role != "speaker" or (session.id, p.speaker_id) not in hidden
    ]
    return read_session(session, event, people, talks=talks or [], locale=locale)


def read_session(
    session: Any,
    event: Event,
    people: list[PersonRead],
    rooms: dict[UUID, Room] | None = None,
    tracks: dict[UUID, Track] | None = None,
    talks: list[PublicTalkRead] | None = None,
    locale: str | None = None,
) -> SessionRead:
    """The wire form of a session from anything with its columns (an ORM object or a plain row), so the
    public list can skip building ORM objects; pass ``rooms``/``tracks`` once when reading many. With
    ``locale`` (a public read) the title is in that language where the organizer gave it."""
    rooms = rooms if rooms is not None else {r.id: r for r in event.rooms}
    tracks = tracks if tracks is not None else {t.id: t for t in event.tracks}
    room = rooms.get(session.room_id) if session.room_id else None
    track = tracks.get(session.track_id) if session.track_id else None
    return SessionRead(
        id=session.id,
        event_id=session.event_id,
        kind=SessionKind(session.kind),
        title=session.title if locale is None else localized(session.title, session.translations, "title", locale),
        abstract=session.abstract,
        status=SessionStatus(session.status),
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        local_start=local_text(session.starts_at, event.timezone),
        local_end=local_text(session.ends_at, event.timezone),
        timezone=event.timezone,
        track_id=session.track_id,
        track=track.name if track else None,
        room_id=session.room_id,
        room=room.name if room else None,
        capacity=session.capacity,
        effective_capacity=seat_limit(session.capacity, room.capacity if room else None),
        seats_taken=session.seats_taken,
        required_add_on_id=session.required_add_on_id,
        credit_hours=float(session.credit_hours),
        sequence=session.sequence,
        changed_at=session.changed_at,
        people=people,
        talks=talks or [],
        translations=session.translations or {},
    )


def conflict_read(conflict: ProgramConflict) -> ProgramConflictRead:
    return ProgramConflictRead(
        kind=cast(Any, conflict.kind), message=conflict.message, session_ids=list(conflict.session_ids)
    )


class ConflictsFound(Conflict):
    """409 listing the conflicts; ``errors`` name each one, ``conflicts`` keeps them whole for pages."""

    code = "program_conflicts"

    def __init__(self, conflicts: Sequence[ProgramConflict], action: str) -> None:
        """``action``: what was refused ("publishing"), a message marked ``N_`` (translated here)."""
        num, doing = len(conflicts), gettext(action)
        detail = ngettext(
            "%(action)s refused: %(num)d conflict; resolve it or override explicitly (override_conflicts: true)",
            "%(action)s refused: %(num)d conflicts; resolve them or override explicitly (override_conflicts: true)",
            num,
        )
        super().__init__(
            detail % {"action": doing, "num": num},
            field="override_conflicts",
            errors=[FieldError(c.kind, c.message) for c in conflicts],
        )
        self.conflicts = list(conflicts)
        # The pages' wording: a person ticks a box rather than sends a field, so no API name in it.
        page_detail = ngettext(
            "%(action)s refused: it would leave %(num)d conflict in the program. "
            "Resolve it, or tick the box to go ahead even with conflicts.",
            "%(action)s refused: it would leave %(num)d conflicts in the program. "
            "Resolve them, or tick the box to go ahead even with conflicts.",
            num,
        )
        page_detail %= {"action": doing, "num": num}
        self.page_detail = page_detail[:1].upper() + page_detail[1:]


async def program_facts(db_session: AsyncSession, event: Event) -> dict[UUID, SessionFacts]:
    """What the conflict rules need about every session of the event, read as plain rows in two queries
    (ORM objects for 600 sessions and their people would cost ten times as much)."""
    rooms = {r.id: r for r in event.rooms}
    ps = ProgramSession
    rows = (
        await db_session.execute(
            select(
                ps.id,
                ps.title,
                ps.starts_at,
                ps.ends_at,
                ps.status,
                ps.room_id,
                ps.capacity,
                ps.required_add_on_id,
                AddOn.event_id.label("add_on_event_id"),
            )
            .outerjoin(AddOn, AddOn.id == ps.required_add_on_id)
            .where(ps.event_id == event.id)
        )
    ).all()
    people: dict[UUID, list[PersonFacts]] = defaultdict(list)
    people_rows = await db_session.execute(
        select(SessionSpeaker.session_id, SessionSpeaker.speaker_id, Speaker.name, SessionSpeaker.role)
        .join(Speaker, Speaker.id == SessionSpeaker.speaker_id)
        .where(SessionSpeaker.session_id.in_(select(ps.id).where(ps.event_id == event.id)))
        .order_by(SessionSpeaker.session_id, SessionSpeaker.position)
    )
    for person in people_rows.all():
        people[person.session_id].append(PersonFacts(person.speaker_id, person.name, person.role))
    result: dict[UUID, SessionFacts] = {}
    for row in rows:
        room = rooms.get(row.room_id) if row.room_id else None
        result[row.id] = SessionFacts(
            id=row.id,
            title=row.title,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            status=row.status,
            room_id=row.room_id,
            room_name=room.name if room else "",
            room_capacity=room.capacity if room else None,
            capacity=row.capacity,
            required_add_on_id=row.required_add_on_id,
            required_add_on_event_id=row.add_on_event_id,
            people=tuple(people.get(row.id, ())),
        )
    return result


async def conflict_report(db_session: AsyncSession, slug: str) -> list[ProgramConflict]:
    event = await get_event(db_session, slug)
    return find_conflicts(event_facts(event), list((await program_facts(db_session, event)).values()))


async def list_sessions(db_session: AsyncSession, slug: str) -> tuple[Event, list[ProgramSession]]:
    """Every session in any status, for the organizer."""
    event = await get_event(db_session, slug)
    return event, await load_sessions(db_session, event.id)
