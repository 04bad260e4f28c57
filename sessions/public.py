"""The public program: published (and cancelled) sessions of published events, filtered and searched, and the
fingerprint behind its ETag/Last-Modified. Cancelled sessions stay listed so people see they are off."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event, EventStatus, Room, Track
from events.services import get_event
from podium.errors import NotFound
from sessions.models import ProgramSession, SessionSpeaker, SessionStatus, Speaker
from sessions.services import event_by_id, with_people


@dataclass(frozen=True)
class ProgramFilter:
    day: dt.date | None = None
    track_id: UUID | None = None
    room_id: UUID | None = None
    kind: str | None = None
    speaker_id: UUID | None = None
    q: str = ""


PUBLIC_STATUSES = (SessionStatus.PUBLISHED.value, SessionStatus.CANCELLED.value)
MAX_SEARCH_TERMS = 6


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def public_query(event: Event, wanted: ProgramFilter) -> Select[Any]:
    """Published and cancelled sessions matching the filter; every search term must match the title, the
    abstract or a speaker's name (case-insensitive on SQLite and PostgreSQL alike)."""
    query = select(ProgramSession).where(
        ProgramSession.event_id == event.id, ProgramSession.status.in_(PUBLIC_STATUSES)
    )
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
    return with_people(query).order_by(ProgramSession.starts_at, ProgramSession.title, ProgramSession.id)


async def public_program(
    db_session: AsyncSession, event: Event, wanted: ProgramFilter, *, limit: int, offset: int
) -> list[ProgramSession]:
    return list((await db_session.scalars(public_query(event, wanted).limit(limit).offset(offset))).all())


async def program_version(db_session: AsyncSession, event: Event) -> tuple[str, dt.datetime]:
    """A fingerprint of everything the public program shows and the last time any of it changed, in one query:
    the ETag and Last-Modified of the list, computed without loading a single session."""

    def stamp(model: Any, *where: Any) -> Any:
        return select(func.count(), func.max(model.updated_at)).where(*where)

    parts = [
        stamp(ProgramSession, ProgramSession.event_id == event.id, ProgramSession.status.in_(PUBLIC_STATUSES)),
        stamp(Speaker, Speaker.event_id == event.id),
        stamp(
            SessionSpeaker,
            SessionSpeaker.session_id.in_(select(ProgramSession.id).where(ProgramSession.event_id == event.id)),
        ),
        stamp(Room, Room.event_id == event.id),
        stamp(Track, Track.event_id == event.id),
    ]
    values: list[Any] = []
    latest = event.updated_at
    for part in parts:
        count, newest = (await db_session.execute(part)).one()
        if newest is not None:
            newest = newest if newest.tzinfo else newest.replace(tzinfo=dt.UTC)
            latest = max(latest, newest)
        values.append((count, newest.isoformat() if newest else ""))
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
