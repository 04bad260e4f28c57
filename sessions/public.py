"""The public program: published (and cancelled) sessions of published events, filtered and searched, and the
fingerprint behind its ETag/Last-Modified. Cancelled sessions stay listed so people see they are off."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event, EventStatus, Room, Track
from events.services import get_event
from podium.errors import NotFound
from sessions.models import ProgramSession, SessionSpeaker, SessionStatus, Speaker
from sessions.schemas import PersonRead, SessionRead
from sessions.services import event_by_id, read_session, with_people


@dataclass(frozen=True)
class ProgramFilter:
    day: dt.date | None = None
    track_id: UUID | None = None
    room_id: UUID | None = None
    kind: str | None = None
    speaker_id: UUID | None = None
    q: str = ""


PUBLIC_STATUSES = (SessionStatus.PUBLISHED.value, SessionStatus.CANCELLED.value)
ALL_STATUSES = tuple(s.value for s in SessionStatus)
MAX_SEARCH_TERMS = 6


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def public_query(
    event: Event,
    wanted: ProgramFilter,
    query: Select[Any] | None = None,
    statuses: tuple[str, ...] = PUBLIC_STATUSES,
) -> Select[Any]:
    """Published and cancelled sessions matching the filter; every search term must match the title, the
    abstract or a speaker's name (case-insensitive on SQLite and PostgreSQL alike)."""
    query = query if query is not None else select(ProgramSession)
    query = query.where(ProgramSession.event_id == event.id, ProgramSession.status.in_(statuses))
    if wanted.day is not None:
        tz = zoneinfo.ZoneInfo(event.timezone)
        first = dt.datetime.combine(wanted.day, dt.time.min, tz).astimezone(dt.UTC)
        after = dt.datetime.combine(wanted.day + dt.timedelta(days=1), dt.time.min, tz).astimezone(dt.UTC)
        query = query.where(ProgramSession.starts_at >= first, ProgramSession.starts_at < after)
    if wanted.track_id is not None:
        query = query.where(ProgramSession.track_id == wanted.track_id)
    if wanted.room_id is not None:
        query = query.where(ProgramSession.room_id == wanted.room_id)
    if wanted.kind is not None:
        query = query.where(ProgramSession.kind == wanted.kind)
    if wanted.speaker_id is not None:
        query = query.where(
            exists().where(
                SessionSpeaker.session_id == ProgramSession.id, SessionSpeaker.speaker_id == wanted.speaker_id
            )
        )
    for term in wanted.q.split()[:MAX_SEARCH_TERMS]:
        pattern = _like(term)
        by_person = exists().where(
            SessionSpeaker.session_id == ProgramSession.id,
            SessionSpeaker.speaker_id == Speaker.id,
            Speaker.name.ilike(pattern, escape="\\"),
        )
        query = query.where(
            or_(
                ProgramSession.title.ilike(pattern, escape="\\"),
                ProgramSession.abstract.ilike(pattern, escape="\\"),
                by_person,
            )
        )
    return query.order_by(ProgramSession.starts_at, ProgramSession.title, ProgramSession.id)


async def public_program(
    db_session: AsyncSession,
    event: Event,
    wanted: ProgramFilter,
    *,
    limit: int,
    offset: int,
    statuses: tuple[str, ...] = PUBLIC_STATUSES,
) -> list[SessionRead]:
    """The matching sessions (the public ones unless ``statuses`` say otherwise) as wire structs, read as
    plain rows in two queries (sessions, then their people): building thousands of ORM objects for a
    600-session program took most of a request."""
    columns = ProgramSession.__table__.c
    query = public_query(event, wanted, select(*columns), statuses).limit(limit).offset(offset)
    rows = (await db_session.execute(query)).all()
    if not rows:
        return []
    matching = public_query(event, wanted, select(ProgramSession.id), statuses).order_by(None)
    people_query = (
        select(
            SessionSpeaker.session_id, SessionSpeaker.speaker_id, SessionSpeaker.role, Speaker.name, Speaker.affiliation
        )
        .join(Speaker, Speaker.id == SessionSpeaker.speaker_id)
        .where(SessionSpeaker.session_id.in_(matching))
        .order_by(SessionSpeaker.session_id, SessionSpeaker.position)
    )
    people: dict[UUID, list[PersonRead]] = defaultdict(list)
    for person in (await db_session.execute(people_query)).all():
        people[person.session_id].append(
            PersonRead(id=person.speaker_id, name=person.name, affiliation=person.affiliation, role=person.role)
        )
    rooms = {r.id: r for r in event.rooms}
    tracks = {t.id: t for t in event.tracks}
    return [read_session(row, event, people.get(row.id, []), rooms, tracks) for row in rows]


async def program_version(db_session: AsyncSession, event: Event) -> tuple[str, dt.datetime]:
    """A fingerprint of everything the public program shows and the last time any of it changed, in one query:
    the ETag and Last-Modified of the list, computed without loading a single session."""

    parts = [
        (ProgramSession, (ProgramSession.event_id == event.id, ProgramSession.status.in_(PUBLIC_STATUSES))),
        (Speaker, (Speaker.event_id == event.id,)),
        (
            SessionSpeaker,
            (SessionSpeaker.session_id.in_(select(ProgramSession.id).where(ProgramSession.event_id == event.id)),),
        ),
        (Room, (Room.event_id == event.id,)),
        (Track, (Track.event_id == event.id,)),
    ]
    columns: list[Any] = []
    for model, where in parts:
        columns.append(select(func.count()).select_from(model).where(*where).scalar_subquery())
        columns.append(select(func.max(model.updated_at)).where(*where).scalar_subquery())
    # Sequences too: they move on every noticeable change even if a worker's clock lags behind the others'.
    columns.append(select(func.coalesce(func.sum(ProgramSession.sequence), 0)).where(*parts[0][1]).scalar_subquery())
    values = list((await db_session.execute(select(*columns))).one())
    latest = event.updated_at
    for newest in values[1:10:2]:
        if isinstance(newest, dt.datetime):
            latest = max(latest, newest if newest.tzinfo else newest.replace(tzinfo=dt.UTC))
    return f"{event.id}:{event.updated_at.isoformat()}:{values}", latest


async def public_event(db_session: AsyncSession, slug: str) -> Event:
    return await get_event(db_session, slug, published_only=True)


async def public_session(db_session: AsyncSession, session_id: UUID) -> tuple[ProgramSession, Event]:
    """A published or cancelled session of a published event; anything else is a 404."""
    session = await db_session.scalar(
        with_people(
            select(ProgramSession)
            .join(Event, Event.id == ProgramSession.event_id)
            .where(
                ProgramSession.id == session_id,
                ProgramSession.status.in_(PUBLIC_STATUSES),
                Event.status == EventStatus.PUBLISHED,
            )
        )
    )
    if session is None:
        raise NotFound("no such session", field="session_id")
    return session, await event_by_id(db_session, session.event_id)


def last_change(session: ProgramSession, event: Event) -> dt.datetime:
    """When anything shown about the session last changed: its row, its people, its room or track's name."""
    stamps = [session.updated_at]
    stamps += [p.updated_at for p in session.people] + [p.speaker.updated_at for p in session.people]
    stamps += [r.updated_at for r in event.rooms if r.id == session.room_id]
    stamps += [t.updated_at for t in event.tracks if t.id == session.track_id]
    return max(s if s.tzinfo else s.replace(tzinfo=dt.UTC) for s in stamps)
