"""The data behind the iCalendar feeds: the published program, one session, and one attendee's agenda.

Feeds are read far more often than the program changes (every subscribed calendar polls), so each feed has
a cheap fingerprint read from the event row (its ``program_version``, moved by database triggers) without
loading sessions; it is the ETag, and a 304 costs one indexed lookup. Sessions are read with Core rows (not
ORM objects) because a 600-session feed would otherwise spend most of its time building objects nobody keeps.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import Integer, String, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event, EventStatus, Room, Track
from events.services import event_not_found
from podium.db import begin_autocommit, utcnow
from podium.enums import in_sql
from podium.errors import NotFound
from podium.i18n import N_
from registration.links.tokens import is_link_secret
from registration.models import ACTIVE_REGISTRATION_STATUSES
from sessions.ics import IcsCalendar, IcsPerson, IcsSession, IcsTalk, render_calendar
from sessions.models import AgendaItem, ProgramSession, SessionSpeaker, SessionStatus, Speaker
from sessions.talk_reads import EMBARGO_MARK_SQL, presenter_shown, public_talks

PUBLIC_STATUSES = (SessionStatus.PUBLISHED.value, SessionStatus.CANCELLED.value)
_TOKEN_MAC_BYTES = 18


@dataclass(frozen=True)
class Feed:
    """A feed's fingerprint; ``talks_until`` is the embargo mark its talks are shown at (``sessions.talk_reads``)."""

    etag: str
    last_modified: dt.datetime
    filename: str
    talks_until: dt.datetime | None = None


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
    if not is_link_secret(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    if len(raw) != 16 + _TOKEN_MAC_BYTES:
        return None
    return UUID(bytes=raw[:16]), raw[16:]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _latest(changed: dt.datetime, talks_until: dt.datetime | None) -> dt.datetime:
    aware = _aware(changed) or changed
    return max(aware, talks_until) if talks_until else aware


# --- fingerprints -------------------------------------------------------------------------------------------
# Each is one hand-written statement, one round trip: calendar apps poll these URLs all day, and a 304 should
# cost the database one indexed lookup and us almost no Python. The event's ``program_version`` (moved by
# database triggers on every public change to sessions, speakers, rooms and tracks) stands for the program;
# ``updated_at`` for the event's own fields. The f-strings only join constant fragments defined here; every
# value is a bound parameter.

_EVENT = (
    "e.id AS event_id, e.updated_at AS event_at, e.program_version, e.program_changed_at, "
    f"{EMBARGO_MARK_SQL} AS talks_until"
)
_PUBLIC = in_sql("s.status", PUBLIC_STATUSES)
_EVENT_PUBLISHED = in_sql("e.status", [EventStatus.PUBLISHED])
_STAMP_TYPES: dict[str, Any] = {
    "event_id": GUID,
    "event_at": DateTimeUTC,
    "program_version": Integer,
    "program_changed_at": DateTimeUTC,
    "talks_until": DateTimeUTC,
}
_NOW = bindparam("now", type_=DateTimeUTC)
_PROGRAM_STAMP = (
    text(f"SELECT {_EVENT} FROM event e WHERE e.slug = :slug AND {_EVENT_PUBLISHED}")  # noqa: S608 - constant fragments only
    .bindparams(bindparam("slug", type_=String), _NOW)
    .columns(**_STAMP_TYPES)
)
_SESSION_STAMP = (
    text(
        f"""SELECT {_EVENT} FROM program_session s JOIN event e ON e.id = s.event_id
WHERE s.id = :session_id AND {_PUBLIC} AND {_EVENT_PUBLISHED}"""  # noqa: S608 - constant fragments only; values are bound parameters
    )
    .bindparams(bindparam("session_id", type_=GUID), _NOW)
    .columns(**_STAMP_TYPES)
)
_AGENDA_STAMP = (
    text(
        f"""SELECT {_EVENT}, f.version AS feed_version,
    r.id AS registration_id, r.secret_version AS registration_version, r.status AS registration_status,
    (SELECT count(*) FROM agenda_item a WHERE a.registration_id = r.id) AS sessions,
    (SELECT max(a.created_at) FROM agenda_item a WHERE a.registration_id = r.id) AS picked_at
FROM agenda_feed f JOIN registration r ON r.id = f.registration_id JOIN event e ON e.id = r.event_id
WHERE f.id = :feed_id"""  # noqa: S608 - constant fragments only; values are bound parameters
    )
    .bindparams(bindparam("feed_id", type_=GUID), _NOW)
    .columns(
        **_STAMP_TYPES,
        feed_version=Integer,
        registration_id=GUID,
        registration_version=Integer,
        registration_status=String,
        sessions=Integer,
        picked_at=DateTimeUTC,
    )
)


def _feed(row: Any, filename: str, *parts: object) -> Feed:
    stamps = [_aware(v) for v in row if isinstance(v, dt.datetime)]
    latest = max(v for v in stamps if v is not None)
    source = "|".join(str(v) for v in (*row, *parts))
    etag = '"' + hashlib.sha256(source.encode()).hexdigest()[:32] + '"'
    return Feed(etag, latest.replace(microsecond=0), filename, _aware(row.talks_until))


async def _stamp(db_session: AsyncSession, statement: Any, parameters: dict[str, Any]) -> Any:
    """One fingerprint row, read on the session's connection in autocommit (no BEGIN and ROLLBACK round trips)
    and past the ORM, whose execute path cost a 304 more CPU than the statement itself."""
    await begin_autocommit(db_session)
    connection = await db_session.connection()
    return (await connection.execute(statement, {**parameters, "now": utcnow()})).first()


async def program_feed(db_session: AsyncSession, slug: str) -> tuple[UUID, Feed]:
    row = await _stamp(db_session, _PROGRAM_STAMP, {"slug": slug})
    if row is None:
        raise event_not_found(slug)
    return row.event_id, _feed(row, f"{slug}-program.ics")


async def session_feed(db_session: AsyncSession, session_id: UUID) -> tuple[UUID, Feed]:
    row = await _stamp(db_session, _SESSION_STAMP, {"session_id": session_id})
    if row is None:
        raise NotFound(N_("no such session"), field="session_id")
    return row.event_id, _feed(row, f"session-{session_id}.ics")


async def agenda_feed(db_session: AsyncSession, secret_key: str, token: str) -> tuple[UUID, UUID, Feed]:
    """The registration and event behind a feed token, and the feed's fingerprint. Forged, revoked,
    transferred and cancelled all get the same 404, so a token reveals nothing about why it fails."""
    missing = NotFound(N_("no such agenda feed"), field="token")
    parsed = _feed_id_of(token)
    if parsed is None:
        raise missing
    feed_id, mac = parsed
    row = await _stamp(db_session, _AGENDA_STAMP, {"feed_id": feed_id})
    if row is None:
        raise missing
    expected = _mac(secret_key, feed_id, row.feed_version, row.registration_version)
    if not hmac.compare_digest(mac, expected) or row.registration_status not in ACTIVE_REGISTRATION_STATUSES:
        raise missing
    return row.registration_id, row.event_id, _feed(row, "my-agenda.ics", token)


def _program_filter(event_id: UUID) -> Any:
    return (ProgramSession.event_id == event_id) & ProgramSession.status.in_(PUBLIC_STATUSES)


def _agenda_filter(registration_id: UUID) -> Any:
    """A semi-join rather than a list of ids read first: one round trip fewer per agenda feed."""
    picked = select(AgendaItem.session_id).where(AgendaItem.registration_id == registration_id)
    return ProgramSession.id.in_(picked) & ProgramSession.status.in_(PUBLIC_STATUSES)


# --- rendering ----------------------------------------------------------------------------------------------


async def _ics_sessions(
    db_session: AsyncSession, session_filter: Any, talks_until: dt.datetime | None, timezone: str
) -> list[IcsSession]:
    """Plain rows on the session's connection, not through the ORM session: for a 600-session program the ORM's
    row handling cost about as much again as the rows themselves (~10 ms of CPU, measured here). Talks are
    those public at the embargo mark ``talks_until``; showing them moves the entry's LAST-MODIFIED to the mark,
    so calendar apps take the new description."""
    connection = await db_session.connection()
    rows = (
        await connection.execute(
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
        found = await connection.execute(
            select(SessionSpeaker.session_id, Speaker.name, Speaker.affiliation, SessionSpeaker.role)
            .join(Speaker, Speaker.id == SessionSpeaker.speaker_id)
            .where(
                SessionSpeaker.session_id.in_(select(ProgramSession.id).where(session_filter)),
                presenter_shown(talks_until),
            )
            .order_by(SessionSpeaker.session_id, SessionSpeaker.position)
        )
        for session_id, name, affiliation, role in found.all():
            people[session_id].append(IcsPerson(name=name, affiliation=affiliation, role=role))
    talks = await public_talks(db_session, session_filter, talks_until, timezone) if ids else {}
    ics_talks = {
        session_id: tuple(
            IcsTalk(title=t.title, presenter=t.presenter, starts_at=t.starts_at, board=t.board, authors=t.authors)
            for t in found_talks
        )
        for session_id, found_talks in talks.items()
    }
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
            last_modified=_latest(row[8], talks_until if row[0] in ics_talks else None).replace(microsecond=0),
            abstract=row[9],
            room=row[10],
            track=row[11],
            people=tuple(people.get(row[0], ())),
            talks=ics_talks.get(row[0], ()),
        )
        for row in rows
    ]


async def _calendar(db_session: AsyncSession, event_id: UUID, base_url: str) -> IcsCalendar:
    """The event's fields a feed names, as one Core row: a feed needs five columns, not an ORM object."""
    connection = await db_session.connection()
    event = (
        await connection.execute(
            select(Event.name, Event.timezone, Event.venue, Event.city, Event.slug).where(Event.id == event_id)
        )
    ).one()
    venue = ", ".join(part for part in (event.venue, event.city) if part)
    return IcsCalendar(
        name=event.name,
        timezone=event.timezone,
        venue=venue,
        base_url=base_url,
        slug=event.slug,
        organizer_name=event.name,
    )


async def render_program(
    db_session: AsyncSession, event_id: UUID, base_url: str, talks_until: dt.datetime | None = None
) -> bytes:
    calendar = await _calendar(db_session, event_id, base_url)
    sessions = await _ics_sessions(db_session, _program_filter(event_id), talks_until, calendar.timezone)
    return render_calendar(calendar, sessions)


async def render_session(
    db_session: AsyncSession,
    event_id: UUID,
    session_id: UUID,
    base_url: str,
    talks_until: dt.datetime | None = None,
) -> bytes:
    calendar = await _calendar(db_session, event_id, base_url)
    sessions = await _ics_sessions(db_session, ProgramSession.id == session_id, talks_until, calendar.timezone)
    return render_calendar(calendar, sessions, title=sessions[0].title if sessions else None)


async def render_agenda(
    db_session: AsyncSession,
    event_id: UUID,
    registration_id: UUID,
    base_url: str,
    talks_until: dt.datetime | None = None,
) -> bytes:
    calendar = await _calendar(db_session, event_id, base_url)
    sessions = await _ics_sessions(db_session, _agenda_filter(registration_id), talks_until, calendar.timezone)
    return render_calendar(calendar, sessions, title=f"My agenda · {calendar.name}")
