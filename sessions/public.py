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
from events.services import SLUG_RE, get_event
from podium.errors import NotFound
from registration.models import AddOn
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


def _version_columns(event_id: Any) -> list[Any]:
    """Counts, newest ``updated_at`` and the sum of sequences of everything the public program shows: a
    session, speaker, speaker link, room or track added, removed or edited moves at least one of them."""
    parts = [
        (ProgramSession, (ProgramSession.event_id == event_id, ProgramSession.status.in_(PUBLIC_STATUSES))),
        (Speaker, (Speaker.event_id == event_id,)),
        (
            SessionSpeaker,
            (SessionSpeaker.session_id.in_(select(ProgramSession.id).where(ProgramSession.event_id == event_id)),),
        ),
        (Room, (Room.event_id == event_id,)),
        (Track, (Track.event_id == event_id,)),
    ]
    columns: list[Any] = []
    for model, where in parts:
        columns.append(select(func.count()).select_from(model).where(*where).scalar_subquery())
        columns.append(select(func.max(model.updated_at)).where(*where).scalar_subquery())
    # Sequences too: they move on every noticeable change even if a worker's clock lags behind the others'.
    columns.append(select(func.coalesce(func.sum(ProgramSession.sequence), 0)).where(*parts[0][1]).scalar_subquery())
    return columns


def _fingerprint(event_id: UUID, updated_at: dt.datetime, values: list[Any]) -> tuple[str, dt.datetime]:
    latest = updated_at if updated_at.tzinfo else updated_at.replace(tzinfo=dt.UTC)
    for newest in values[1:10:2]:
        if isinstance(newest, dt.datetime):
            latest = max(latest, newest if newest.tzinfo else newest.replace(tzinfo=dt.UTC))
    return f"{event_id}:{updated_at.isoformat()}:{values}", latest


async def program_version(db_session: AsyncSession, event: Event) -> tuple[str, dt.datetime]:
    """A fingerprint of everything the public program shows and the last time any of it changed, in one query:
    the ETag and Last-Modified of the list, computed without loading a single session."""
    values = list((await db_session.execute(select(*_version_columns(event.id)))).one())
    return _fingerprint(event.id, event.updated_at, values)


@dataclass(frozen=True)
class ProgramHead:
    """What a cached program answer needs before deciding whether to read anything else: the published
    event's identity and days, and the program's fingerprint (``version``) with its Last-Modified."""

    event_id: UUID
    start_date: dt.date
    end_date: dt.date
    version: str
    last_modified: dt.datetime


async def program_head(db_session: AsyncSession, slug: str) -> ProgramHead:
    """The published event by slug and its program fingerprint in ONE query: a request whose answer is
    already cached (or a 304) costs a single round trip; the event with its rooms and tracks is read only on
    a miss."""
    if not SLUG_RE.match(slug) or len(slug) > 64:
        raise NotFound(f"no event {slug!r}", field="event")
    query = select(Event.id, Event.updated_at, Event.start_date, Event.end_date, *_version_columns(Event.id)).where(
        Event.slug == slug, Event.status == EventStatus.PUBLISHED
    )
    row = (await db_session.execute(query)).first()
    if row is None:
        raise NotFound(f"no event {slug!r}", field="event")
    version, latest = _fingerprint(row[0], row[1], list(row[4:]))
    return ProgramHead(row[0], row[2], row[3], version, latest)


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


@dataclass(frozen=True)
class SessionHead:
    """A public session's fingerprint (``version``: its whole row and the stamps of its people, speakers, room,
    track, event and required add-on's name) with its Last-Modified, and its event's slug."""

    event_slug: str
    version: str
    last_modified: dt.datetime


async def session_head(db_session: AsyncSession, session_id: UUID) -> SessionHead:
    """One query deciding whether a cached session answer is current: a published or cancelled session of a
    published event (anything else is a 404). The whole session row is in the fingerprint because some of it
    (``seats_taken``) changes through plain UPDATEs that leave ``updated_at`` alone."""
    session_row = ProgramSession.__table__.c
    linked = SessionSpeaker.session_id == ProgramSession.id
    stamps = [
        select(func.count()).select_from(SessionSpeaker).where(linked).scalar_subquery(),
        select(func.max(SessionSpeaker.updated_at)).where(linked).scalar_subquery(),
        select(func.max(Speaker.updated_at))
        .join(SessionSpeaker, SessionSpeaker.speaker_id == Speaker.id)
        .where(linked)
        .scalar_subquery(),
        select(Room.updated_at).where(Room.id == ProgramSession.room_id).scalar_subquery(),
        select(Track.updated_at).where(Track.id == ProgramSession.track_id).scalar_subquery(),
        Event.updated_at.label("event_updated_at"),
    ]
    add_on = select(AddOn.name).where(AddOn.id == ProgramSession.required_add_on_id).scalar_subquery()
    query = (
        select(Event.slug, add_on, *stamps, *session_row)
        .join(Event, Event.id == ProgramSession.event_id)
        .where(
            ProgramSession.id == session_id,
            ProgramSession.status.in_(PUBLIC_STATUSES),
            Event.status == EventStatus.PUBLISHED,
        )
    )
    row = (await db_session.execute(query)).first()
    if row is None:
        raise NotFound("no such session", field="session_id")
    values = list(row)
    own = values[2 + len(stamps) + list(session_row.keys()).index("updated_at")]
    newest = [v for v in (*values[3 : 2 + len(stamps)], own) if isinstance(v, dt.datetime)]
    latest = max(v if v.tzinfo else v.replace(tzinfo=dt.UTC) for v in newest)
    return SessionHead(row[0], f"session:{session_id}:{values}", latest)
