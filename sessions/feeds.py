"""The data behind the iCalendar feeds: the published program, one session, and one attendee's agenda.

Feeds are read far more often than the program changes (every subscribed calendar polls), so each feed has
a cheap fingerprint computed in the database without loading sessions; it is the ETag, and 304 answers cost
one or two small queries. Sessions are read with Core rows (not ORM objects) because a 600-session feed
would otherwise spend most of its time building objects nobody keeps.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event, EventStatus, Room, Track
from podium.errors import NotFound
from registration.models import ACTIVE_REGISTRATION_STATUSES, Registration
from sessions.ics import IcsCalendar, IcsPerson, IcsSession, render_calendar
from sessions.models import AgendaFeed, AgendaItem, ProgramSession, SessionSpeaker, SessionStatus, Speaker

PUBLIC_STATUSES = (SessionStatus.PUBLISHED.value, SessionStatus.CANCELLED.value)
_TOKEN_MAC_BYTES = 18


@dataclass(frozen=True)
class Feed:
    etag: str
    last_modified: dt.datetime
    filename: str


# --- agenda feed tokens -------------------------------------------------------------------------------------


def _mac(secret_key: str, feed_id: UUID, version: int, registration_version: int) -> bytes:
    message = f"agenda-feed:{feed_id}:{version}:{registration_version}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).digest()[:_TOKEN_MAC_BYTES]


def agenda_token(secret_key: str, feed_id: UUID, version: int, registration_version: int) -> str:
    """The feed id and an HMAC over it, the feed's version and the registration's link version: revoking the
    feed or transferring the registration to someone else makes every old URL a 404."""
    raw = feed_id.bytes + _mac(secret_key, feed_id, version, registration_version)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def agenda_feed_url(base_url: str, token: str) -> str:
    return f"{base_url}/api/agenda/{token}.ics"


def webcal_url(https_url: str) -> str:
    """The same feed for "subscribe" buttons: calendar apps open webcal:// links as subscriptions."""
    return "webcal://" + https_url.split("://", 1)[1]


def _feed_id_of(token: str) -> tuple[UUID, bytes] | None:
    if len(token) > 64:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    if len(raw) != 16 + _TOKEN_MAC_BYTES:
        return None
    return UUID(bytes=raw[:16]), raw[16:]


async def registration_for_token(db_session: AsyncSession, secret_key: str, token: str) -> Registration:
    """The active registration whose feed this token opens; anything else (forged, revoked, transferred,
    cancelled) is the same 404, so a token reveals nothing about why it fails."""
    parsed = _feed_id_of(token)
    missing = NotFound("no such agenda feed", field="token")
    if parsed is None:
        raise missing
    feed_id, mac = parsed
    row = (
        await db_session.execute(
            select(AgendaFeed.version, Registration)
            .join(Registration, Registration.id == AgendaFeed.registration_id)
            .where(AgendaFeed.id == feed_id)
        )
    ).first()
    if row is None:
        raise missing
    version, registration = row
    if not hmac.compare_digest(mac, _mac(secret_key, feed_id, version, registration.secret_version)):
        raise missing
    if registration.status not in ACTIVE_REGISTRATION_STATUSES:
        raise missing
    return registration


# --- fingerprints -------------------------------------------------------------------------------------------


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def _fingerprint(db_session: AsyncSession, event: Event, session_filter: Any, extra: str = "") -> Feed:
    """Count and newest change of everything a feed shows, in one round trip: the sessions (their
    attendee-visible change time, not seat counts; a change of speakers or chairs moves it too, see
    ``record_session_change``), and the names of speakers, rooms and tracks they show."""
    changed = func.coalesce(ProgramSession.changed_at, ProgramSession.updated_at)
    parts = [
        select(func.count()).where(session_filter),
        select(func.max(changed)).where(session_filter),
        select(func.count()).where(Speaker.event_id == event.id),
        select(func.max(Speaker.updated_at)).where(Speaker.event_id == event.id),
        select(func.max(Room.updated_at)).where(Room.event_id == event.id),
        select(func.max(Track.updated_at)).where(Track.event_id == event.id),
    ]
    row = (await db_session.execute(select(*(part.scalar_subquery() for part in parts)))).one()
    stamps = [_aware(v) for v in row if isinstance(v, dt.datetime)] + [_aware(event.updated_at)]
    latest = max(v for v in stamps if v is not None)
    source = f"{event.id}|{event.updated_at}|{tuple(row)}|{extra}"
    etag = '"' + hashlib.sha256(source.encode()).hexdigest()[:32] + '"'
    return Feed(etag=etag, last_modified=latest.replace(microsecond=0), filename="")


def _program_filter(event: Event) -> Any:
    return (ProgramSession.event_id == event.id) & ProgramSession.status.in_(PUBLIC_STATUSES)


async def program_event(db_session: AsyncSession, slug: str) -> Event:
    event = await db_session.scalar(select(Event).where(Event.slug == slug, Event.status == EventStatus.PUBLISHED))
    if event is None:
        raise NotFound(f"no event {slug!r}", field="event")
    return event


async def program_feed(db_session: AsyncSession, event: Event) -> Feed:
    found = await _fingerprint(db_session, event, _program_filter(event))
    return Feed(found.etag, found.last_modified, f"{event.slug}-program.ics")


async def session_feed(db_session: AsyncSession, session_id: UUID) -> tuple[Event, Feed]:
    row = (
        await db_session.execute(
            select(Event)
            .join(ProgramSession, ProgramSession.event_id == Event.id)
            .where(
                ProgramSession.id == session_id,
                ProgramSession.status.in_(PUBLIC_STATUSES),
                Event.status == EventStatus.PUBLISHED,
            )
        )
    ).first()
    if row is None:
        raise NotFound("no such session", field="session_id")
    event = row[0]
    found = await _fingerprint(db_session, event, ProgramSession.id == session_id)
    return event, Feed(found.etag, found.last_modified, f"session-{session_id}.ics")


async def agenda_session_ids(db_session: AsyncSession, registration_id: UUID) -> list[UUID]:
    query = select(AgendaItem.session_id).where(AgendaItem.registration_id == registration_id)
    return sorted((await db_session.scalars(query)).all())


def _agenda_filter(session_ids: Sequence[UUID]) -> Any:
    return ProgramSession.id.in_(session_ids) & ProgramSession.status.in_(PUBLIC_STATUSES)


async def agenda_feed(
    db_session: AsyncSession, registration: Registration, session_ids: Sequence[UUID]
) -> tuple[Event, Feed]:
    event = await db_session.get_one(Event, registration.event_id)
    extra = ",".join(str(i) for i in session_ids)
    found = await _fingerprint(db_session, event, _agenda_filter(session_ids), extra)
    return event, Feed(found.etag, found.last_modified, "my-agenda.ics")


# --- rendering ----------------------------------------------------------------------------------------------


async def _ics_sessions(db_session: AsyncSession, event: Event, session_filter: Any) -> list[IcsSession]:
    rows = (
        await db_session.execute(
            select(
                ProgramSession.id,
                ProgramSession.title,
                ProgramSession.kind,
                ProgramSession.starts_at,
                ProgramSession.ends_at,
                ProgramSession.status,
                ProgramSession.sequence,
                ProgramSession.created_at,
                func.coalesce(ProgramSession.changed_at, ProgramSession.updated_at),
                ProgramSession.abstract,
                Room.name,
                Track.name,
            )
            .outerjoin(Room, Room.id == ProgramSession.room_id)
            .outerjoin(Track, Track.id == ProgramSession.track_id)
            .where(session_filter)
        )
    ).all()
    ids = [row[0] for row in rows]
    people: dict[UUID, list[IcsPerson]] = defaultdict(list)
    if ids:
        found = await db_session.execute(
            select(SessionSpeaker.session_id, Speaker.name, Speaker.affiliation, SessionSpeaker.role)
            .join(Speaker, Speaker.id == SessionSpeaker.speaker_id)
            .where(SessionSpeaker.session_id.in_(select(ProgramSession.id).where(session_filter)))
            .order_by(SessionSpeaker.session_id, SessionSpeaker.position)
        )
        for session_id, name, affiliation, role in found.all():
            people[session_id].append(IcsPerson(name=name, affiliation=affiliation, role=role))
    return [
        IcsSession(
            id=row[0],
            title=row[1],
            kind=row[2],
            starts_at=_aware(row[3]) or row[3],
            ends_at=_aware(row[4]) or row[4],
            status=row[5],
            sequence=row[6],
            created_at=_aware(row[7]) or row[7],
            last_modified=(_aware(row[8]) or row[8]).replace(microsecond=0),
            abstract=row[9],
            room=row[10],
            track=row[11],
            people=tuple(people.get(row[0], ())),
        )
        for row in rows
    ]


def _calendar(event: Event, base_url: str) -> IcsCalendar:
    venue = ", ".join(part for part in (event.venue, event.city) if part)
    return IcsCalendar(
        name=event.name,
        timezone=event.timezone,
        venue=venue,
        base_url=base_url,
        slug=event.slug,
        organizer_name=event.name,
    )


async def render_program(db_session: AsyncSession, event: Event, base_url: str) -> bytes:
    sessions = await _ics_sessions(db_session, event, _program_filter(event))
    return render_calendar(_calendar(event, base_url), sessions)


async def render_session(db_session: AsyncSession, event: Event, session_id: UUID, base_url: str) -> bytes:
    sessions = await _ics_sessions(db_session, event, ProgramSession.id == session_id)
    return render_calendar(_calendar(event, base_url), sessions, title=sessions[0].title if sessions else None)


async def render_agenda(db_session: AsyncSession, event: Event, session_ids: Sequence[UUID], base_url: str) -> bytes:
    sessions = await _ics_sessions(db_session, event, _agenda_filter(session_ids)) if session_ids else []
    return render_calendar(_calendar(event, base_url), sessions, title=f"My agenda · {event.name}")
