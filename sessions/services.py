"""Rules for writing the program: sessions, their people, publishing and cancelling, conflict checks.

Publishing (and any edit or import that leaves a published session in a new conflict) is refused with 409 and
the conflicts listed, unless the organizer overrides explicitly. Every write records its consequences through
``sessions.changes.record_session_change``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from events.services import get_event, is_seat_limit_violation, lock_program, required_text
from podium import audit
from podium.db import begin_write
from podium.errors import Conflict, InvalidInput
from podium.references import refuse_if_used
from registration.models import AddOn
from sessions.capacity import seat_limit, too_few_seats
from sessions.changes import SESSION_ENTITY, audit_state, record_session_change, session_changed_fields, snapshot
from sessions.conflicts import PersonFacts, ProgramConflict, SessionFacts, find_conflicts, new_conflicts
from sessions.models import ProgramSession, SessionSpeaker, SessionStatus, Speaker, SpeakerRole
from sessions.queries import (
    ConflictsFound,
    add_on_events,
    editable,
    event_by_id,
    event_facts,
    facts,
    load_sessions,
    program_facts,
    session_by_id,
)
from sessions.schemas import (
    SessionCreate,
    SessionUpdate,
)

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
MAX_SESSION_LENGTH = dt.timedelta(hours=24)


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
    add_ons = await add_on_events(db_session, [f.required_add_on_id for f in changed.values()])
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
    await record_session_change(
        db_session, session, session_changed_fields(None, created), actor=actor, previous_status=None, after=created
    )
    return await session_by_id(db_session, session.id)


async def update_session(
    db_session: AsyncSession, session_id: UUID, data: SessionUpdate, *, actor: str
) -> tuple[ProgramSession, frozenset[str]]:
    """Edit or move a session; returns it and the attendee-visible fields that changed."""
    await begin_write(db_session)
    session = await session_by_id(db_session, session_id)
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
            await record_session_change(
                db_session, session, changed, actor=actor, previous_status=session.status, before=before, after=after
            )
    except IntegrityError as exc:
        if not is_seat_limit_violation(exc):
            raise
        raise Conflict("more seats are already reserved than that leaves", field=seats_field) from exc
    return await session_by_id(db_session, session.id), changed


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
    session = await session_by_id(db_session, session_id)
    event = editable(await event_by_id(db_session, session.event_id))
    await lock_program(db_session, event.id)
    if session.status == SessionStatus.PUBLISHED:
        return session, frozenset()
    await _publishable(db_session, event, [session], override, "publishing")
    previous = session.status
    session.status = SessionStatus.PUBLISHED.value
    changed = frozenset({"status"})
    await record_session_change(db_session, session, changed, actor=actor, previous_status=previous)
    return await session_by_id(db_session, session.id), changed


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
        await record_session_change(db_session, session, frozenset({"status"}), actor=actor, previous_status="draft")
    ids = {s.id for s in drafts}
    return event, [s for s in await load_sessions(db_session, event.id) if s.id in ids]


async def cancel_session(
    db_session: AsyncSession, session_id: UUID, *, actor: str
) -> tuple[ProgramSession, frozenset[str]]:
    """A published session is cancelled, not deleted: calendars need to see STATUS:CANCELLED."""
    await begin_write(db_session)
    session = await session_by_id(db_session, session_id)
    editable(await event_by_id(db_session, session.event_id))
    await lock_program(db_session, session.event_id)
    if session.status == SessionStatus.CANCELLED:
        return session, frozenset()
    if session.status == SessionStatus.DRAFT:
        raise Conflict("a draft was never announced: delete it instead of cancelling", field="status")
    session.status = SessionStatus.CANCELLED.value
    changed = frozenset({"status"})
    await record_session_change(
        db_session, session, changed, actor=actor, previous_status=SessionStatus.PUBLISHED.value
    )
    return await session_by_id(db_session, session.id), changed


async def delete_session(db_session: AsyncSession, session_id: UUID, *, actor: str) -> None:
    """Only drafts can go: a published session lives on in calendars and must be cancelled."""
    await begin_write(db_session)
    session = await session_by_id(db_session, session_id)
    editable(await event_by_id(db_session, session.event_id))
    await lock_program(db_session, session.event_id)
    if session.status != SessionStatus.DRAFT:
        raise Conflict("only drafts can be deleted; cancel a published session", field="status")
    await refuse_if_used(db_session, session, what="session", field="session_id")
    audit.record_deleted(
        db_session, SESSION_ENTITY, session.id, audit_state(snapshot(session)), actor, event_id=session.event_id
    )
    await db_session.execute(delete(ProgramSession).where(ProgramSession.id == session.id))
