"""The public program: published (and cancelled) sessions of published events, filtered and searched, and the
fingerprint behind its ETag/Last-Modified. Cancelled sessions stay listed so people see they are off."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from sqlalchemy import ColumnElement, Select, bindparam, exists, or_, select, true
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from events.models import Event, EventStatus
from events.services import SLUG_RE, event_not_found, get_event
from podium.db import utcnow
from podium.db_prebuilt import Prebuilt, pooled
from podium.errors import NotFound
from podium.i18n import N_
from registration.models import AddOn
from sessions.models import ProgramSession, SessionSpeaker, SessionStatus, Speaker
from sessions.queries import event_by_id, read_session, to_read, with_people
from sessions.schemas import PersonRead, PublicTalkRead, SessionRead
from sessions.talk_reads import EMBARGO_MARK, embargoed_presenters, presenter_shown, public_talks


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
    shown: ColumnElement[bool] | None = None,
    locale: str | None = None,
) -> Select[Any]:
    """Published and cancelled sessions matching the filter; every search term must match the title, the
    abstract or a speaker's name (case-insensitive on SQLite and PostgreSQL alike), or the title in ``locale``,
    the reader's language, where the organizer gave one (the listing shows that title: a reader searches for
    what they read). ``shown`` narrows the people a speaker filter or search may find
    (``talk_reads.presenter_shown``: no presenter before the embargo)."""
    people_shown = shown if shown is not None else true()
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
                SessionSpeaker.session_id == ProgramSession.id,
                SessionSpeaker.speaker_id == wanted.speaker_id,
                people_shown,
            )
        )
    # The title in the reader's language, read from the row's own JSON (``#>>`` on PostgreSQL, JSON_EXTRACT on
    # SQLite): still one query, no session loaded into Python to be searched there.
    translated_title = ProgramSession.translations[(locale, "title")].as_string() if locale else None
    for term in wanted.q.split()[:MAX_SEARCH_TERMS]:
        pattern = _like(term)
        by_person = exists().where(
            SessionSpeaker.session_id == ProgramSession.id,
            SessionSpeaker.speaker_id == Speaker.id,
            Speaker.name.ilike(pattern, escape="\\"),
            people_shown,
        )
        titles = [ProgramSession.title.ilike(pattern, escape="\\")]
        if translated_title is not None:
            titles.append(translated_title.ilike(pattern, escape="\\"))
        query = query.where(or_(*titles, ProgramSession.abstract.ilike(pattern, escape="\\"), by_person))
    return query.order_by(ProgramSession.starts_at, ProgramSession.title, ProgramSession.id)


async def public_program(
    db_session: AsyncSession,
    event: Event,
    wanted: ProgramFilter,
    *,
    limit: int,
    offset: int,
    statuses: tuple[str, ...] = PUBLIC_STATUSES,
    talks_until: dt.datetime | None = None,
    organizer: bool = False,
    locale: str | None = None,
) -> list[SessionRead]:
    """The matching sessions (the public ones unless ``statuses`` say otherwise) as wire structs, read as
    plain rows in three queries (sessions, their people, their talks public at the embargo mark
    ``talks_until``): building thousands of ORM objects for a 600-session program took most of a request.
    An ``organizer`` sees every person (and no talks: the editor has its own view of them); titles are in
    ``locale`` where given (``queries.read_session``), and a search finds them in it too."""
    shown = None if organizer else presenter_shown(talks_until)
    columns = ProgramSession.__table__.c
    query = public_query(event, wanted, select(*columns), statuses, shown, locale).limit(limit).offset(offset)
    rows = (await db_session.execute(query)).all()
    if not rows:
        return []
    matching = public_query(event, wanted, select(ProgramSession.id), statuses, shown, locale).order_by(None)
    people_query = (
        select(
            SessionSpeaker.session_id, SessionSpeaker.speaker_id, SessionSpeaker.role, Speaker.name, Speaker.affiliation
        )
        .join(Speaker, Speaker.id == SessionSpeaker.speaker_id)
        .where(SessionSpeaker.session_id.in_(matching), shown if shown is not None else true())
        .order_by(SessionSpeaker.session_id, SessionSpeaker.position)
    )
    people: dict[UUID, list[PersonRead]] = defaultdict(list)
    for person in (await db_session.execute(people_query)).all():
        people[person.session_id].append(
            PersonRead(id=person.speaker_id, name=person.name, affiliation=person.affiliation, role=person.role)
        )
    talks = (
        {}
        if organizer
        else await public_talks(
            db_session, ProgramSession.id.in_([row.id for row in rows]), talks_until, event.timezone
        )
    )
    rooms = {r.id: r for r in event.rooms}
    tracks = {t.id: t for t in event.tracks}
    return [
        read_session(row, event, people.get(row.id, []), rooms, tracks, talks.get(row.id, []), locale) for row in rows
    ]


def _aware(stamp: dt.datetime) -> dt.datetime:
    """SQLite's driver gives naive UTC, asyncpg aware: both spell the same fingerprint."""
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _changed_last(*stamps: dt.datetime | None) -> dt.datetime:
    return max(_aware(v) for v in stamps if v is not None)


@dataclass(frozen=True)
class ProgramHead:
    """What a cached program answer needs before deciding whether to read anything else: the published
    event's identity and days, and the program's fingerprint (``version``) with its Last-Modified.
    ``talks_until`` is the embargo mark (``sessions.talk_reads``): the answer shows the talks public by then."""

    event_id: UUID
    start_date: dt.date
    end_date: dt.date
    version: str
    last_modified: dt.datetime
    talks_until: dt.datetime | None = None


_PROGRAM_HEAD = Prebuilt(
    select(
        Event.id,
        Event.updated_at,
        Event.start_date,
        Event.end_date,
        Event.program_version,
        Event.program_changed_at,
        EMBARGO_MARK,
    ).where(Event.slug == bindparam("slug"), Event.status == EventStatus.PUBLISHED.value)
)


async def _first_of(db_session: AsyncSession, statement: Prebuilt, params: dict[str, Any]) -> Any:
    """A fingerprint's row, read on a connection lent straight from the pool and handed back at once: a cached
    answer needs no ORM session (nor its autocommit switch and close, ~0.2 ms of CPU measured here). Read
    before the session's first statement, so a request never holds two connections."""
    async with pooled(cast(AsyncEngine, db_session.bind)) as runner:
        return await statement.first(runner, params)


async def program_head(db_session: AsyncSession, slug: str) -> ProgramHead:
    """The published event by slug and its program fingerprint, read from the event row alone: the database
    moves ``program_version`` on every public change to the program (triggers, see the model), so a request
    whose answer is already cached (or a 304) costs one indexed lookup, run as a ``Prebuilt`` statement (on
    PostgreSQL straight on asyncpg); the event with its rooms and tracks is read only on a miss."""
    if not SLUG_RE.match(slug) or len(slug) > 64:
        raise event_not_found(slug)
    row = await _first_of(db_session, _PROGRAM_HEAD, {"slug": slug, "now": utcnow()})
    if row is None:
        raise event_not_found(slug)
    event_id, updated_at, start_date, end_date, program_version, program_changed_at, mark = row
    mark = _aware(mark) if mark is not None else None
    version = f"{event_id}:{_aware(updated_at).isoformat()}:{program_version}:{mark}"
    last_modified = _changed_last(updated_at, program_changed_at, mark)
    return ProgramHead(event_id, start_date, end_date, version, last_modified, mark)


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
        raise NotFound(N_("no such session"), field="session_id")
    return session, await event_by_id(db_session, session.event_id)


async def session_talks(
    db_session: AsyncSession, session_id: UUID, talks_until: dt.datetime | None, timezone: str
) -> list[PublicTalkRead]:
    """One session's talks public at the embargo mark ``talks_until``, in order."""
    talks = await public_talks(db_session, ProgramSession.id == session_id, talks_until, timezone)
    return talks.get(session_id, [])


async def public_session_read(
    db_session: AsyncSession, session_id: UUID, talks_until: dt.datetime | None, locale: str
) -> SessionRead:
    """A public session's wire form in ``locale`` with its talks public at the embargo mark ``talks_until``."""
    session, event = await public_session(db_session, session_id)
    talks = await session_talks(db_session, session_id, talks_until, event.timezone)
    hidden = await embargoed_presenters(db_session, [session_id], talks_until)
    return to_read(session, event, talks, hidden, locale)


@dataclass(frozen=True)
class SessionHead:
    """A public session's fingerprint (``version``: its whole row and the stamps of its people, speakers, room,
    track, event and required add-on's name) with its Last-Modified, and its event's slug."""

    event_slug: str
    version: str
    last_modified: dt.datetime
    talks_until: dt.datetime | None = None


_SESSION_HEAD = Prebuilt(
    select(
        Event.slug,
        Event.updated_at,
        Event.program_version,
        Event.program_changed_at,
        ProgramSession.seats_taken,
        ProgramSession.updated_at,
        select(AddOn.name).where(AddOn.id == ProgramSession.required_add_on_id).scalar_subquery(),
        select(AddOn.translations).where(AddOn.id == ProgramSession.required_add_on_id).scalar_subquery(),
        EMBARGO_MARK,
    )
    .join(Event, Event.id == ProgramSession.event_id)
    .where(
        ProgramSession.id == bindparam("session_id"),
        # Equalities, not IN: a prebuilt statement is compiled once and has no expanding parameters.
        or_(*(ProgramSession.status == status for status in PUBLIC_STATUSES)),
        Event.status == EventStatus.PUBLISHED.value,
    )
)


async def session_head(db_session: AsyncSession, session_id: UUID) -> SessionHead:
    """One query deciding whether a cached session answer is current: a published or cancelled session of a
    published event (anything else is a 404). The event's program version covers the session, its people,
    room and track; its seats (``seats_taken`` moves alone, without the version) and its required add-on's
    name are read beside it."""
    row = await _first_of(db_session, _SESSION_HEAD, {"session_id": session_id, "now": utcnow()})
    if row is None:
        raise NotFound(N_("no such session"), field="session_id")
    slug, event_at, program_version, program_changed_at, seats_taken, session_at, add_on_name, add_on_names, mark = row
    mark = _aware(mark) if mark is not None else None
    version = (
        f"session:{session_id}:{_aware(event_at).isoformat()}:{program_version}:{seats_taken}:{add_on_name}:{add_on_names}:"
        f"{mark}"
    )
    return SessionHead(slug, version, _changed_last(event_at, program_changed_at, session_at, mark), mark)
