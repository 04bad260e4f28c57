"""Rules for events, rooms and tracks: validation across fields, status changes, uniqueness."""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from events.models import Event, EventKind, EventStatus, Room, Track
from events.schemas import (
    EventCreate,
    EventRead,
    EventSummary,
    EventUpdate,
    RoomCreate,
    RoomRead,
    RoomUpdate,
    TrackCreate,
    TrackRead,
    TrackUpdate,
)
from podium import audit
from podium.db import savepoint, utcnow
from podium.errors import Conflict, InvalidInput, NotFound
from podium.i18n import LOCALES, N_, gettext
from podium.references import refuse_if_used
from podium.translated import Translatable, clean_translations, localized

# What the audit trail keeps of each (``podium.audit``).
_EVENT_FIELDS = (
    "slug",
    "name",
    "kind",
    "timezone",
    "venue",
    "city",
    "description",
    "currency",
    "start_date",
    "end_date",
    "status",
    "registration_opens_at",
    "registration_closes_at",
    "default_locale",
    "translations",
)
# What an organizer may give in other languages, with the base fields' limits (``events.schemas``).
EVENT_TEXTS = {"description": Translatable(20_000, multiline=True)}
_ROOM_FIELDS = ("name", "capacity")
_TRACK_FIELDS = ("name", "colour")

# The database's CHECK that a session never has more seats taken than its limit, which is the room's capacity
# for sessions without their own (migration 20261203_seat_limit; sessions/capacity.py words it for sessions).
SEAT_LIMIT_CHECK = "ck_program_session_seat_limit"


def is_seat_limit_violation(exc: IntegrityError) -> bool:
    """Whether a write failed because it would leave a session with more seats taken than its limit."""
    return SEAT_LIMIT_CHECK in str(exc.orig)


SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
MAX_EVENT_DAYS = 31
# Registration may open up to two years ahead: societies open early-bird sales a year or more before.
MAX_REGISTRATION_LEAD = dt.timedelta(days=2 * 365)


@functools.cache
def known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone(name: str) -> zoneinfo.ZoneInfo:
    if name not in known_timezones():
        raise InvalidInput(
            gettext("unknown IANA time zone %(zone)s (e.g. America/New_York)") % {"zone": repr(name)}, field="timezone"
        )
    return zoneinfo.ZoneInfo(name)


def event_bounds_utc(event: Event) -> tuple[dt.datetime, dt.datetime]:
    """The first and last instant of the event: local midnight of its first day to that after its last."""
    tz = zone(event.timezone)
    start = dt.datetime.combine(event.start_date, dt.time.min, tz).astimezone(dt.UTC)
    end = dt.datetime.combine(event.end_date + dt.timedelta(days=1), dt.time.min, tz).astimezone(dt.UTC)
    return start, end


def year_out_of_range() -> str:
    """The refusal of a date outside the years Podium accepts, in the request's language (one wording for every
    date field: events, sessions, calls)."""
    return gettext("must be between %(earliest)d and %(latest)d") % {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR}


def event_not_found(slug: str) -> NotFound:
    """The refusal of an event slug that names no event the caller may see."""
    return NotFound(gettext("no event %(slug)s") % {"slug": repr(slug)}, field="event")


def _slug_taken(slug: str) -> Conflict:
    return Conflict(gettext("the slug %(slug)s is taken") % {"slug": repr(slug)}, field="slug")


def _room_exists(name: str) -> Conflict:
    return Conflict(gettext("a room named %(name)s exists") % {"name": repr(name)}, field="name")


def _track_exists(name: str) -> Conflict:
    return Conflict(gettext("a track named %(name)s exists") % {"name": repr(name)}, field="name")


def validate_event(event: Event) -> None:
    """Cross-field rules, checked on the merged state so a PATCH can't slip past them."""
    for name in ("start_date", "end_date"):
        value: dt.date = getattr(event, name)
        if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise InvalidInput(year_out_of_range(), field=name)
    zone(event.timezone)
    if event.end_date < event.start_date:
        raise InvalidInput(N_("the event cannot end before it starts"), field="end_date")
    if (event.end_date - event.start_date).days + 1 > MAX_EVENT_DAYS:
        raise InvalidInput(gettext("an event lasts at most %(num)d days") % {"num": MAX_EVENT_DAYS}, field="end_date")
    opens, closes = event.registration_opens_at, event.registration_closes_at
    for name, when in (("registration_opens_at", opens), ("registration_closes_at", closes)):
        if when is not None and not EARLIEST_YEAR <= when.year <= LATEST_YEAR:
            raise InvalidInput(year_out_of_range(), field=name)
    starts_at, ends_at = event_bounds_utc(event)
    if opens is not None and opens < starts_at - MAX_REGISTRATION_LEAD:
        raise InvalidInput(
            N_("registration can open at most two years before the event"), field="registration_opens_at"
        )
    if opens is not None and opens >= ends_at:
        raise InvalidInput(N_("registration must open before the event ends"), field="registration_opens_at")
    if closes is not None and closes > ends_at:
        raise InvalidInput(N_("registration must close by the end of the event"), field="registration_closes_at")
    if opens is not None and closes is not None and closes <= opens:
        raise InvalidInput(N_("registration must close after it opens"), field="registration_closes_at")


def required_text(value: str, field: str) -> str:
    """Trimmed text that must still say something after trimming."""
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput(N_("must not be blank"), field=field)
    return cleaned


def _as_utc(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(dt.UTC) if value is not None else None


def to_summary(event: Event) -> EventSummary:
    return EventSummary(
        id=event.id,
        slug=event.slug,
        name=event.name,
        kind=EventKind(event.kind),
        status=EventStatus(event.status),
        timezone=event.timezone,
        venue=event.venue,
        city=event.city,
        start_date=event.start_date,
        end_date=event.end_date,
        registration_opens_at=event.registration_opens_at,
        registration_closes_at=event.registration_closes_at,
    )


def content_locale(value: str) -> str:
    """An event's default language must be one Podium ships (its pages and mails are written in it)."""
    if value not in LOCALES:
        raise InvalidInput(gettext("use one of %(choices)s") % {"choices": ", ".join(LOCALES)}, field="default_locale")
    return value


def to_read(event: Event, locale: str | None = None) -> EventRead:
    """The event; with ``locale`` (a public read), its description in that language where it has one."""
    summary = msgspec.structs.asdict(to_summary(event))
    description = (
        event.description if locale is None else localized(event.description, event.translations, "description", locale)
    )
    return EventRead(
        **summary,
        description=description,
        default_locale=event.default_locale,
        translations=event.translations,
        currency=event.currency,
        published_at=event.published_at,
        created_at=event.created_at,
        updated_at=event.updated_at,
        rooms=[RoomRead(id=r.id, name=r.name, capacity=r.capacity) for r in event.rooms],
        tracks=[TrackRead(id=t.id, name=t.name, colour=t.colour) for t in event.tracks],
    )


async def get_event(
    db_session: AsyncSession, slug: str, *, published_only: bool = False, with_children: bool = True
) -> Event:
    """The event (with its rooms and tracks unless told not to); drafts and archives are invisible to the public."""
    if not SLUG_RE.match(slug) or len(slug) > 64:
        raise event_not_found(slug)
    query = select(Event).where(Event.slug == slug)
    if with_children:
        query = query.options(selectinload(Event.rooms), selectinload(Event.tracks))
    if published_only:
        query = query.where(Event.status == EventStatus.PUBLISHED)
    event = await db_session.scalar(query)
    if event is None:
        raise event_not_found(slug)
    return event


async def list_events(
    db_session: AsyncSession,
    *,
    statuses: Sequence[str] = (EventStatus.PUBLISHED,),
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[Event]:
    query = select(Event).where(Event.status.in_(list(statuses)))
    if kind:
        query = query.where(Event.kind == kind)
    query = query.order_by(Event.start_date, Event.slug).limit(limit).offset(offset)
    return (await db_session.scalars(query)).all()


async def create_event(db_session: AsyncSession, data: EventCreate) -> Event:
    event = Event(
        id=uuid4(),  # known before the flush, for its audit entry
        slug=data.slug,
        name=required_text(data.name, "name"),
        kind=data.kind,
        timezone=data.timezone,
        venue=required_text(data.venue, "venue"),
        city=data.city.strip(),
        description=data.description,
        currency=data.currency,
        start_date=data.start_date,
        end_date=data.end_date,
        status=EventStatus.DRAFT.value,
        registration_opens_at=_as_utc(data.registration_opens_at),
        registration_closes_at=_as_utc(data.registration_closes_at),
        default_locale=content_locale(data.default_locale),
        translations=clean_translations(data.translations, EVENT_TEXTS),
    )
    validate_event(event)
    async with savepoint(db_session, _slug_taken(data.slug)):
        db_session.add(event)
        created = audit.snapshot(event, _EVENT_FIELDS)
        audit.record_created(db_session, "event", event.id, created, None, event_id=event.id)
    return await get_event(db_session, event.slug)


async def update_event(db_session: AsyncSession, slug: str, data: EventUpdate) -> Event:
    event = await get_event(db_session, slug)
    if event.status == EventStatus.ARCHIVED:
        raise Conflict(N_("archived events are read-only"), field="status", code="event_archived")
    before = audit.snapshot(event, _EVENT_FIELDS)
    changes: dict[str, Any] = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    if "slug" in changes and changes["slug"] != event.slug and event.status == EventStatus.PUBLISHED:
        raise Conflict(N_("a published event keeps its slug: its links are out there"), field="slug")
    new_slug = changes.get("slug", event.slug)
    async with savepoint(db_session, _slug_taken(new_slug)):
        for name, value in changes.items():
            if name in {"registration_opens_at", "registration_closes_at"}:
                value = _as_utc(value)
            elif name in {"name", "venue"}:
                value = required_text(value, name)
            elif name == "city":
                value = value.strip()
            elif name == "default_locale":
                value = content_locale(value)
            elif name == "translations":
                value = clean_translations(value, EVENT_TEXTS)
            setattr(event, name, value)
        validate_event(event)
        after = audit.snapshot(event, _EVENT_FIELDS)
        audit.record_updated(db_session, "event", event.id, before, after, None, event_id=event.id)
    return await get_event(db_session, new_slug)


async def set_status(db_session: AsyncSession, slug: str, target: EventStatus) -> Event:
    """draft ⇄ published → archived; repeating a transition is harmless, leaving an archive is not allowed."""
    event = await get_event(db_session, slug)
    if event.status == target:
        return event
    if event.status == EventStatus.ARCHIVED:
        raise Conflict(N_("an archived event cannot change status"), field="status", code="event_archived")
    if target == EventStatus.PUBLISHED:
        validate_event(event)
        event.published_at = utcnow()
    audit.record(db_session, "event", event.id, event.status, target.value, None, event_id=event.id)
    event.status = target.value
    return await get_event(db_session, slug)


async def editable_event(db_session: AsyncSession, slug: str) -> Event:
    """The event, for a change to it or to what it holds (rooms, tracks, the registration catalog): an
    archived event is read-only."""
    event = await get_event(db_session, slug)
    if event.status == EventStatus.ARCHIVED:
        raise Conflict(N_("archived events are read-only"), field="status", code="event_archived")
    return event


async def add_room(db_session: AsyncSession, slug: str, data: RoomCreate) -> Room:
    event = await editable_event(db_session, slug)
    room = Room(id=uuid4(), event_id=event.id, name=required_text(data.name, "name"), capacity=data.capacity)
    async with savepoint(db_session, _room_exists(room.name)):
        db_session.add(room)
        audit.record_created(db_session, "room", room.id, audit.snapshot(room, _ROOM_FIELDS), None, event_id=event.id)
    return room


async def _room(db_session: AsyncSession, slug: str, room_id: UUID) -> Room:
    event = await editable_event(db_session, slug)
    room = await db_session.scalar(select(Room).where(Room.id == room_id, Room.event_id == event.id))
    if room is None:
        raise NotFound(N_("no such room in this event"), field="room_id")
    return room


async def lock_program(db_session: AsyncSession, event_id: UUID) -> None:
    """Serialize program writes per event on PostgreSQL (the event row, FOR UPDATE): two organizers can't each
    pass the conflict check and together double-book a room, and a session moved into a room can't miss that
    room shrinking. SQLite's BEGIN IMMEDIATE already does."""
    await db_session.execute(select(Event.id).where(Event.id == event_id).with_for_update())


async def update_room(db_session: AsyncSession, slug: str, room_id: UUID, data: RoomUpdate) -> Room:
    """Rename or resize a room. A room's capacity is the seat limit of its sessions that have none of their own,
    and the database refuses a limit below the seats they have reserved (``sessions.capacity``)."""
    room = await _room(db_session, slug, room_id)
    await lock_program(db_session, room.event_id)
    before = audit.snapshot(room, _ROOM_FIELDS)
    name = required_text(data.name, "name") if data.name is not msgspec.UNSET else room.name
    try:
        async with db_session.begin_nested():
            room.name = name
            if data.capacity is not msgspec.UNSET:
                room.capacity = data.capacity
            after = audit.snapshot(room, _ROOM_FIELDS)
            audit.record_updated(db_session, "room", room.id, before, after, None, event_id=room.event_id)
    except IntegrityError as exc:
        if is_seat_limit_violation(exc):
            raise Conflict(
                gettext(
                    "a session that uses this room's capacity has more seats reserved than %(capacity)d; give it "
                    "a capacity of its own or a larger room first"
                )
                % {"capacity": data.capacity},
                field="capacity",
                code="seats_reserved",
            ) from exc
        raise _room_exists(name) from exc
    return room


async def delete_room(db_session: AsyncSession, slug: str, room_id: UUID) -> None:
    room = await _room(db_session, slug, room_id)
    await refuse_if_used(db_session, room, what=N_("room"), field="room_id")
    before = audit.snapshot(room, _ROOM_FIELDS)
    async with savepoint(db_session, Conflict(N_("the room is in use"), field="room_id")):
        audit.record_deleted(db_session, "room", room.id, before, None, event_id=room.event_id)
        await db_session.delete(room)


async def add_track(db_session: AsyncSession, slug: str, data: TrackCreate) -> Track:
    event = await editable_event(db_session, slug)
    track = Track(id=uuid4(), event_id=event.id, name=required_text(data.name, "name"), colour=data.colour.lower())
    async with savepoint(db_session, _track_exists(track.name)):
        db_session.add(track)
        after = audit.snapshot(track, _TRACK_FIELDS)
        audit.record_created(db_session, "track", track.id, after, None, event_id=event.id)
    return track


async def _track(db_session: AsyncSession, slug: str, track_id: UUID) -> Track:
    event = await editable_event(db_session, slug)
    track = await db_session.scalar(select(Track).where(Track.id == track_id, Track.event_id == event.id))
    if track is None:
        raise NotFound(N_("no such track in this event"), field="track_id")
    return track


async def update_track(db_session: AsyncSession, slug: str, track_id: UUID, data: TrackUpdate) -> Track:
    track = await _track(db_session, slug, track_id)
    before = audit.snapshot(track, _TRACK_FIELDS)
    name = required_text(data.name, "name") if data.name is not msgspec.UNSET else track.name
    async with savepoint(db_session, _track_exists(name)):
        track.name = name
        if data.colour is not msgspec.UNSET:
            track.colour = data.colour.lower()
        after = audit.snapshot(track, _TRACK_FIELDS)
        audit.record_updated(db_session, "track", track.id, before, after, None, event_id=track.event_id)
    return track


async def delete_track(db_session: AsyncSession, slug: str, track_id: UUID) -> None:
    track = await _track(db_session, slug, track_id)
    await refuse_if_used(db_session, track, what=N_("track"), field="track_id")
    before = audit.snapshot(track, _TRACK_FIELDS)
    async with savepoint(db_session, Conflict(N_("the track is in use"), field="track_id")):
        audit.record_deleted(db_session, "track", track.id, before, None, event_id=track.event_id)
        await db_session.delete(track)
