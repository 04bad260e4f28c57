"""Rules for the program: sessions, speakers and chairs, publishing and cancelling, conflict checks.

What counts as a change an attendee notices (and so bumps ``sequence``, the iCalendar SEQUENCE): the time,
the room, the status and the title, the RFC 5546 "significant" properties of an event. Every other change an
attendee can see (abstract, track, people, type, capacity, add-on, credit hours) moves ``changed_at`` (the
feed's LAST-MODIFIED) without a new SEQUENCE: calendars refresh the text, nobody is told "rescheduled" over a
typo. All of it goes through ``record_session_change``; agenda holders are mailed when SEQUENCE goes up
(``sessions/hooks.py`` watches it at flush time, whichever path made the change).

Publishing (and any edit or import that leaves a published session in a new conflict) is refused with 409 and
the conflicts listed, unless the organizer overrides explicitly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

import msgspec
from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from events.models import Event, EventStatus, Room, Track
from events.services import get_event, is_seat_limit_violation, lock_program, required_text
from podium import audit
from podium.db import begin_write, utcnow
from podium.errors import Conflict, FieldError, InvalidInput, NotFound
from podium.references import refuse_if_used
from registration.models import AddOn
from sessions.capacity import seat_limit, too_few_seats
from sessions.conflicts import EventFacts, PersonFacts, ProgramConflict, SessionFacts, find_conflicts, new_conflicts
from sessions.models import ProgramSession, SessionKind, SessionSpeaker, SessionStatus, Speaker, SpeakerRole
from sessions.schemas import (
    PersonRead,
    ProgramConflictRead,
    Role,
    SessionCreate,
    SessionRead,
    SessionUpdate,
)

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
MAX_SESSION_LENGTH = dt.timedelta(hours=24)
# Changes that bump SEQUENCE (and should reach attendees as "your session changed").
NOTICEABLE_FIELDS = frozenset({"title", "starts_at", "ends_at", "room_id", "status"})
SESSION_ENTITY = "program_session"


# --- snapshots and the change hook -------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionSnapshot:
    """The attendee-visible state of a session, compared before and after a write."""

    title: str
    kind: str
    abstract: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    room_id: UUID | None
    track_id: UUID | None
    capacity: int | None
    required_add_on_id: UUID | None
    credit_hours: Decimal
    status: str
    people: tuple[tuple[UUID, str], ...]


def snapshot(session: ProgramSession, people: Sequence[tuple[UUID, str]] | None = None) -> SessionSnapshot:
    if people is None:
        people = [(p.speaker_id, p.role) for p in session.people]
    return SessionSnapshot(
        title=session.title,
        kind=session.kind,
        abstract=session.abstract,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        room_id=session.room_id,
        track_id=session.track_id,
        capacity=session.capacity,
        required_add_on_id=session.required_add_on_id,
        credit_hours=Decimal(session.credit_hours).quantize(Decimal("0.01")),
        status=session.status,
        people=tuple(people),
    )


def session_changed_fields(before: SessionSnapshot | None, after: SessionSnapshot) -> frozenset[str]:
    """The attendee-visible fields that differ (every field for a new session)."""
    names = [f for f in SessionSnapshot.__dataclass_fields__]
    if before is None:
        return frozenset(names)
    return frozenset(n for n in names if getattr(before, n) != getattr(after, n))


def audit_state(value: SessionSnapshot) -> dict[str, Any]:
    """A snapshot as the audit trail stores it: people as ``[speaker id, role]`` pairs."""
    state = dataclasses.asdict(value)
    state["people"] = [[str(speaker), role] for speaker, role in value.people]
    return state


def record_session_change(
    db_session: AsyncSession,
    session: ProgramSession,
    changed: frozenset[str],
    *,
    actor: str,
    previous_status: str | None,
    before: SessionSnapshot | None = None,
    after: SessionSnapshot | None = None,
) -> None:
    """Apply the consequences of a change inside the caller's transaction: SEQUENCE for noticeable changes,
    LAST-MODIFIED for any visible one, an audit entry (a status change, or the fields' before → after when the
    caller passes both snapshots; a new session's every field)."""
    if not changed:
        return
    now = utcnow()
    # A draft's edits and its first publication keep SEQUENCE 0: nobody had a copy to replace yet.
    if changed & NOTICEABLE_FIELDS and previous_status in (SessionStatus.PUBLISHED, SessionStatus.CANCELLED):
        session.sequence = (session.sequence or 0) + 1
    session.changed_at = now
    session.updated_at = now
    if previous_status is None:
        created = audit.diff({}, audit_state(after or snapshot(session)))
        created.pop("status", None)
        audit.record(
            db_session,
            SESSION_ENTITY,
            session.id,
            None,
            session.status,
            actor,
            event_id=session.event_id,
            changes=created,
            action="created",
        )
    else:
        fields = audit.diff(audit_state(before), audit_state(after)) if before and after else {}
        fields.pop("status", None)
        if previous_status != session.status:
            note = ", ".join(sorted(changed & NOTICEABLE_FIELDS - {"status"}))
            audit.record(
                db_session,
                SESSION_ENTITY,
                session.id,
                previous_status,
                session.status,
                actor,
                note,
                event_id=session.event_id,
                changes=fields,
            )
        elif fields:
            audit.record(
                db_session,
                SESSION_ENTITY,
                session.id,
                session.status,
                session.status,
                actor,
                event_id=session.event_id,
                changes=fields,
                action="updated",
            )


# --- loading ----------------------------------------------------------------------------------------------


def with_people(query: Select[Any]) -> Select[Any]:
    return query.options(selectinload(ProgramSession.people).selectinload(SessionSpeaker.speaker))


async def event_by_id(db_session: AsyncSession, event_id: UUID) -> Event:
    event = await db_session.scalar(
        select(Event).where(Event.id == event_id).options(selectinload(Event.rooms), selectinload(Event.tracks))
    )
    if event is None:  # pragma: no cover - the foreign key makes this impossible
        raise NotFound("no such event", field="event")
    return event


async def load_sessions(db_session: AsyncSession, event_id: UUID) -> list[ProgramSession]:
    """Every session of the event with its people, in program order."""
    query = with_people(select(ProgramSession).where(ProgramSession.event_id == event_id))
    return list((await db_session.scalars(query.order_by(ProgramSession.starts_at, ProgramSession.title))).all())


async def _session(db_session: AsyncSession, session_id: UUID) -> ProgramSession:
    session = await db_session.scalar(with_people(select(ProgramSession).where(ProgramSession.id == session_id)))
    if session is None:
        raise NotFound("no such session", field="session_id")
    return session


def editable(event: Event) -> Event:
    if event.status == EventStatus.ARCHIVED:
        raise Conflict("archived events are read-only", field="status", code="event_archived")
    return event


async def _add_on_events(db_session: AsyncSession, ids: Iterable[UUID | None]) -> dict[UUID, UUID]:
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


def to_read(session: ProgramSession, event: Event) -> SessionRead:
    people = [
        PersonRead(id=p.speaker_id, name=p.speaker.name, affiliation=p.speaker.affiliation, role=cast(Role, p.role))
        for p in session.people
    ]
    return read_session(session, event, people)


def read_session(
    session: Any,
    event: Event,
    people: list[PersonRead],
    rooms: dict[UUID, Room] | None = None,
    tracks: dict[UUID, Track] | None = None,
) -> SessionRead:
    """The wire form of a session from anything with its columns (an ORM object or a plain row), so the
    public list can skip building ORM objects; pass ``rooms``/``tracks`` once when reading many."""
    rooms = rooms if rooms is not None else {r.id: r for r in event.rooms}
    tracks = tracks if tracks is not None else {t.id: t for t in event.tracks}
    room = rooms.get(session.room_id) if session.room_id else None
    track = tracks.get(session.track_id) if session.track_id else None
    return SessionRead(
        id=session.id,
        event_id=session.event_id,
        kind=SessionKind(session.kind),
        title=session.title,
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
    )


def conflict_read(conflict: ProgramConflict) -> ProgramConflictRead:
    return ProgramConflictRead(
        kind=cast(Any, conflict.kind), message=conflict.message, session_ids=list(conflict.session_ids)
    )


class ConflictsFound(Conflict):
    """409 listing the conflicts; ``errors`` name each one, ``conflicts`` keeps them whole for pages."""

    code = "program_conflicts"

    def __init__(self, conflicts: Sequence[ProgramConflict], action: str) -> None:
        super().__init__(
            f"{action} refused: {len(conflicts)} conflict(s); resolve them or override explicitly "
            "(override_conflicts: true)",
            field="override_conflicts",
            errors=[FieldError(c.kind, c.message) for c in conflicts],
        )
        self.conflicts = list(conflicts)
        # The pages' wording: a person ticks a box rather than sends a field, so no API name in it.
        count = f"{len(conflicts)} conflict" + ("" if len(conflicts) == 1 else "s")
        self.page_detail = (
            f"{action[:1].upper()}{action[1:]} refused: it would leave {count} in the program. "
            "Resolve them, or tick the box to go ahead even with conflicts."
        )


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


# --- writing sessions -------------------------------------------------------------------------------------


def _check_times(starts_at: dt.datetime, ends_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value.tzinfo is None:
            raise InvalidInput("needs a time zone offset", field=name)
        if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise InvalidInput(f"must be between {EARLIEST_YEAR} and {LATEST_YEAR}", field=name)
    if ends_at <= starts_at:
        raise InvalidInput("a session must end after it starts", field="ends_at")
    if ends_at - starts_at > MAX_SESSION_LENGTH:
        raise InvalidInput("a session lasts at most 24 hours", field="ends_at")
    return starts_at.astimezone(dt.UTC), ends_at.astimezone(dt.UTC)


def credit_hours_value(value: float, field: str = "credit_hours") -> Decimal:
    amount = Decimal(str(value))
    if amount < 0 or amount > 99 or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput("credit hours are 0 to 99 with at most two decimals (e.g. 1.5)", field=field)
    return amount.quantize(Decimal("0.01"))


async def _check_refs(
    db_session: AsyncSession,
    event: Event,
    *,
    room_id: UUID | None,
    track_id: UUID | None,
    add_on_id: UUID | None,
) -> None:
    if room_id is not None and room_id not in {r.id for r in event.rooms}:
        raise InvalidInput("no such room in this event", field="room_id")
    if track_id is not None and track_id not in {t.id for t in event.tracks}:
        raise InvalidInput("no such track in this event", field="track_id")
    if add_on_id is not None:
        add_on_event = await db_session.scalar(select(AddOn.event_id).where(AddOn.id == add_on_id))
        if add_on_event is None:
            raise InvalidInput("no such add-on", field="required_add_on_id")
        if add_on_event != event.id:
            raise InvalidInput("the required add-on must be one this event sells", field="required_add_on_id")


async def _people(
    db_session: AsyncSession, event: Event, speaker_ids: Sequence[UUID], chair_ids: Sequence[UUID]
) -> list[tuple[Speaker, str]]:
    """The people in program order (speakers, then chairs), checked to be this event's, each once per role."""
    for name, ids in (("speaker_ids", speaker_ids), ("chair_ids", chair_ids)):
        if len(set(ids)) != len(ids):
            raise InvalidInput("lists someone twice", field=name)
    wanted = set(speaker_ids) | set(chair_ids)
    found: dict[UUID, Speaker] = {}
    if wanted:
        query = select(Speaker).where(Speaker.id.in_(wanted), Speaker.event_id == event.id)
        found = {s.id: s for s in (await db_session.scalars(query)).all()}
    for name, ids in (("speaker_ids", speaker_ids), ("chair_ids", chair_ids)):
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise InvalidInput(f"no such speaker in this event: {', '.join(missing)}", field=name)
    return [(found[i], SpeakerRole.SPEAKER.value) for i in speaker_ids] + [
        (found[i], SpeakerRole.CHAIR.value) for i in chair_ids
    ]


def set_people(session: ProgramSession, people: Sequence[tuple[Speaker, str]]) -> None:
    """Replace the people, keeping rows that stay (same person, same role) so nothing churns needlessly."""
    existing = {(p.speaker_id, p.role): p for p in session.people}
    rows: list[SessionSpeaker] = []
    for position, (speaker, role) in enumerate(people):
        row = existing.pop((speaker.id, role), None)
        if row is None:
            row = SessionSpeaker(speaker_id=speaker.id, role=role, speaker=speaker)
        row.position = position
        rows.append(row)
    session.people = rows


async def _conflicts_for(
    db_session: AsyncSession,
    event: Event,
    changed: dict[UUID, SessionFacts],
) -> tuple[list[ProgramConflict], list[ProgramConflict]]:
    """Conflicts of the event's program before and after replacing/adding the ``changed`` sessions."""
    current = await program_facts(db_session, event)
    add_ons = await _add_on_events(db_session, [f.required_add_on_id for f in changed.values()])
    # Changed facts carry the add-on's event as looked up now (it may be new to this program).
    changed = {
        i: replace_facts(
            f, required_add_on_event_id=add_ons.get(f.required_add_on_id) if f.required_add_on_id else None
        )
        for i, f in changed.items()
    }
    before_sessions = list(current.values())
    after_sessions = list({**current, **changed}.values())
    facts_of_event = event_facts(event)
    return find_conflicts(facts_of_event, before_sessions), find_conflicts(facts_of_event, after_sessions)


def _planned_facts(
    session_id: UUID,
    event: Event,
    *,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    status: str,
    room_id: UUID | None,
    capacity: int | None,
    add_on_id: UUID | None,
    people: Sequence[tuple[Speaker, str]],
) -> SessionFacts:
    room = next((r for r in event.rooms if r.id == room_id), None)
    return SessionFacts(
        id=session_id,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        room_id=room_id,
        room_name=room.name if room else "",
        room_capacity=room.capacity if room else None,
        capacity=capacity,
        required_add_on_id=add_on_id,
        people=tuple(PersonFacts(s.id, s.name, role) for s, role in people),
    )


async def create_session(db_session: AsyncSession, slug: str, data: SessionCreate, *, actor: str) -> ProgramSession:
    await begin_write(db_session)
    event = editable(await get_event(db_session, slug))
    await lock_program(db_session, event.id)
    title = required_text(data.title, "title")
    starts_at, ends_at = _check_times(data.starts_at, data.ends_at)
    await _check_refs(
        db_session, event, room_id=data.room_id, track_id=data.track_id, add_on_id=data.required_add_on_id
    )
    people = await _people(db_session, event, data.speaker_ids, data.chair_ids)
    session = ProgramSession(
        id=uuid.uuid4(),
        event_id=event.id,
        kind=data.kind,
        title=title,
        abstract=data.abstract,
        track_id=data.track_id,
        room_id=data.room_id,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=data.capacity,
        seats_taken=0,
        required_add_on_id=data.required_add_on_id,
        credit_hours=credit_hours_value(data.credit_hours),
        status=data.status,
        sequence=0,
        people=[],
    )
    if data.status == SessionStatus.PUBLISHED and not data.override_conflicts:
        planned = _planned_facts(
            session.id,
            event,
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            status=data.status,
            room_id=data.room_id,
            capacity=data.capacity,
            add_on_id=data.required_add_on_id,
            people=people,
        )
        before, after = await _conflicts_for(db_session, event, {session.id: planned})
        found = new_conflicts(before, after, {session.id})
        if found:
            raise ConflictsFound(found, "publishing")
    set_people(session, people)
    db_session.add(session)
    created = snapshot(session, [(s.id, r) for s, r in people])
    record_session_change(
        db_session, session, session_changed_fields(None, created), actor=actor, previous_status=None, after=created
    )
    return await _session(db_session, session.id)


async def update_session(
    db_session: AsyncSession, session_id: UUID, data: SessionUpdate, *, actor: str
) -> tuple[ProgramSession, frozenset[str]]:
    """Edit or move a session; returns it and the attendee-visible fields that changed."""
    await begin_write(db_session)
    session = await _session(db_session, session_id)
    event = editable(await event_by_id(db_session, session.event_id))
    await lock_program(db_session, event.id)
    before = snapshot(session)
    sent: dict[str, Any] = {
        k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET and k != "override_conflicts"
    }
    if session.status == SessionStatus.CANCELLED and sent:
        raise Conflict("a cancelled session can't be edited; publish it again first", field="status")
    starts_at, ends_at = _check_times(sent.get("starts_at", session.starts_at), sent.get("ends_at", session.ends_at))
    room_id = sent.get("room_id", session.room_id)
    track_id = sent.get("track_id", session.track_id)
    add_on_id = sent.get("required_add_on_id", session.required_add_on_id)
    await _check_refs(db_session, event, room_id=room_id, track_id=track_id, add_on_id=add_on_id)
    current_people = [(p.speaker_id, p.role) for p in session.people]
    speaker_ids = sent.get("speaker_ids", [i for i, r in current_people if r == SpeakerRole.SPEAKER])
    chair_ids = sent.get("chair_ids", [i for i, r in current_people if r == SpeakerRole.CHAIR])
    people = await _people(db_session, event, speaker_ids, chair_ids)
    title = required_text(sent["title"], "title") if "title" in sent else session.title
    capacity = sent.get("capacity", session.capacity)
    new_room = next((r for r in event.rooms if r.id == room_id), None)
    seats = seat_limit(capacity, new_room.capacity if new_room else None)
    seats_field = "capacity" if capacity is not None else "room_id"
    if too_few_seats(seats, session.seats_taken):
        raise Conflict(f"{session.seats_taken} seats are already reserved; that leaves {seats}", field=seats_field)
    credit_hours = credit_hours_value(sent["credit_hours"]) if "credit_hours" in sent else session.credit_hours
    if session.status == SessionStatus.PUBLISHED and not data.override_conflicts:
        planned = _planned_facts(
            session.id,
            event,
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            status=session.status,
            room_id=room_id,
            capacity=capacity,
            add_on_id=add_on_id,
            people=people,
        )
        before_conflicts, after_conflicts = await _conflicts_for(db_session, event, {session.id: planned})
        found = new_conflicts(before_conflicts, after_conflicts, {session.id})
        if found:
            raise ConflictsFound(found, "this change")
    try:
        # A savepoint: a pick may take a seat after the check above (picks don't wait for the program lock), and
        # the database's limit then refuses the change, as the check would have; the request's transaction goes on.
        async with db_session.begin_nested():
            session.title = title
            session.starts_at, session.ends_at = starts_at, ends_at
            session.room_id, session.track_id, session.required_add_on_id = room_id, track_id, add_on_id
            session.capacity = capacity
            session.credit_hours = credit_hours
            session.kind = sent.get("kind", session.kind)
            session.abstract = sent.get("abstract", session.abstract)
            set_people(session, people)
            after = snapshot(session, [(s.id, r) for s, r in people])
            changed = session_changed_fields(before, after)
            record_session_change(
                db_session, session, changed, actor=actor, previous_status=session.status, before=before, after=after
            )
    except IntegrityError as exc:
        if not is_seat_limit_violation(exc):
            raise
        raise Conflict("more seats are already reserved than that leaves", field=seats_field) from exc
    return await _session(db_session, session.id), changed


async def _publishable(
    db_session: AsyncSession, event: Event, sessions: Sequence[ProgramSession], override: bool, action: str
) -> None:
    if override or not sessions:
        return
    ids = {s.id for s in sessions}
    rooms = {r.id: r for r in event.rooms}
    planned = {s.id: replace_facts(facts(s, rooms, {}), status=SessionStatus.PUBLISHED.value) for s in sessions}
    _, after = await _conflicts_for(db_session, event, planned)
    # Publishing answers for every conflict its sessions are in, old or new: that is what gets announced.
    found = [c for c in after if ids.intersection(c.session_ids)]
    if found:
        raise ConflictsFound(found, action)


def replace_facts(value: SessionFacts, **changes: Any) -> SessionFacts:
    return dataclasses.replace(value, **changes)


async def publish_session(
    db_session: AsyncSession, session_id: UUID, *, override: bool, actor: str
) -> tuple[ProgramSession, frozenset[str]]:
    """draft → published, or a cancelled session reinstated; refused with the conflicts unless overridden."""
    await begin_write(db_session)
    session = await _session(db_session, session_id)
    event = editable(await event_by_id(db_session, session.event_id))
    await lock_program(db_session, event.id)
    if session.status == SessionStatus.PUBLISHED:
        return session, frozenset()
    await _publishable(db_session, event, [session], override, "publishing")
    previous = session.status
    session.status = SessionStatus.PUBLISHED.value
    changed = frozenset({"status"})
    record_session_change(db_session, session, changed, actor=actor, previous_status=previous)
    return await _session(db_session, session.id), changed


async def publish_drafts(
    db_session: AsyncSession, slug: str, *, override: bool, actor: str
) -> tuple[Event, list[ProgramSession]]:
    """Publish every draft of the event at once, all or nothing."""
    await begin_write(db_session)
    event = editable(await get_event(db_session, slug))
    await lock_program(db_session, event.id)
    drafts = [s for s in await load_sessions(db_session, event.id) if s.status == SessionStatus.DRAFT]
    await _publishable(db_session, event, drafts, override, "publishing the drafts")
    for session in drafts:
        session.status = SessionStatus.PUBLISHED.value
        record_session_change(db_session, session, frozenset({"status"}), actor=actor, previous_status="draft")
    ids = {s.id for s in drafts}
    return event, [s for s in await load_sessions(db_session, event.id) if s.id in ids]


async def cancel_session(
    db_session: AsyncSession, session_id: UUID, *, actor: str
) -> tuple[ProgramSession, frozenset[str]]:
    """A published session is cancelled, not deleted: calendars need to see STATUS:CANCELLED."""
    await begin_write(db_session)
    session = await _session(db_session, session_id)
    editable(await event_by_id(db_session, session.event_id))
    await lock_program(db_session, session.event_id)
    if session.status == SessionStatus.CANCELLED:
        return session, frozenset()
    if session.status == SessionStatus.DRAFT:
        raise Conflict("a draft was never announced: delete it instead of cancelling", field="status")
    session.status = SessionStatus.CANCELLED.value
    changed = frozenset({"status"})
    record_session_change(db_session, session, changed, actor=actor, previous_status=SessionStatus.PUBLISHED.value)
    return await _session(db_session, session.id), changed


async def delete_session(db_session: AsyncSession, session_id: UUID, *, actor: str) -> None:
    """Only drafts can go: a published session lives on in calendars and must be cancelled."""
    await begin_write(db_session)
    session = await _session(db_session, session_id)
    editable(await event_by_id(db_session, session.event_id))
    await lock_program(db_session, session.event_id)
    if session.status != SessionStatus.DRAFT:
        raise Conflict("only drafts can be deleted; cancel a published session", field="status")
    await refuse_if_used(db_session, session, what="session", field="session_id")
    audit.record_deleted(
        db_session, SESSION_ENTITY, session.id, audit_state(snapshot(session)), actor, event_id=session.event_id
    )
    await db_session.execute(delete(ProgramSession).where(ProgramSession.id == session.id))
