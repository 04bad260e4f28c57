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
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from events.services import get_event, is_seat_limit_violation, lock_program, required_text
from podium import audit
from podium.db import begin_write
from podium.errors import Conflict
from podium.i18n import N_
from podium.references import refuse_if_used
from podium.translated import clean_translations
from sessions.changes import SESSION_ENTITY, audit_state, record_session_change, session_changed_fields, snapshot
from sessions.conflicts import PersonFacts, ProgramConflict, SessionFacts, find_conflicts, new_conflicts
from sessions.edits import (
    SessionEdit,
    apply_edit,
    check_refs,
    check_times,
    checked_people,
    credit_hours_value,
    edit_of,
    set_people,
)
from sessions.models import ProgramSession, SessionStatus, Speaker
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
    SESSION_TEXTS,
    SessionCreate,
    SessionUpdate,
)
from sessions.talks import refuse_if_talks_overflow


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
    starts_at, ends_at = check_times(data.starts_at, data.ends_at)
    await check_refs(db_session, event, room_id=data.room_id, track_id=data.track_id, add_on_id=data.required_add_on_id)
    people = await checked_people(db_session, event, data.speaker_ids, data.chair_ids)
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
        translations=clean_translations(data.translations, SESSION_TEXTS),
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
            raise ConflictsFound(found, N_("publishing"))
    set_people(session, people)
    db_session.add(session)
    created = snapshot(session, [(s.id, r) for s, r in people])
    await record_session_change(
        db_session, session, session_changed_fields(None, created), actor=actor, previous_status=None, after=created
    )
    return await session_by_id(db_session, session.id)


async def _refuse_new_conflicts(
    db_session: AsyncSession, event: Event, session: ProgramSession, edit: SessionEdit
) -> None:
    planned = _planned_facts(
        session.id,
        event,
        title=edit.title,
        starts_at=edit.starts_at,
        ends_at=edit.ends_at,
        status=session.status,
        room_id=edit.room_id,
        capacity=edit.capacity,
        add_on_id=edit.add_on_id,
        people=edit.people,
    )
    before_conflicts, after_conflicts = await _conflicts_for(db_session, event, {session.id: planned})
    found = new_conflicts(before_conflicts, after_conflicts, {session.id})
    if found:
        raise ConflictsFound(found, N_("this change"))


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
        raise Conflict(N_("a cancelled session can't be edited; publish it again first"), field="status")
    edit = await edit_of(db_session, event, session, sent)
    if "starts_at" in sent or "ends_at" in sent:
        field = "ends_at" if "ends_at" in sent else "starts_at"
        await refuse_if_talks_overflow(db_session, session.id, edit.starts_at, edit.ends_at, field)
    if session.status == SessionStatus.PUBLISHED and not data.override_conflicts:
        await _refuse_new_conflicts(db_session, event, session, edit)
    try:
        # A savepoint: a pick may take a seat after the check above (picks don't wait for the program lock), and
        # the database's limit then refuses the change, as the check would have; the request's transaction goes on.
        async with db_session.begin_nested():
            apply_edit(session, edit)
            after = snapshot(session, [(s.id, r) for s, r in edit.people])
            changed = session_changed_fields(before, after)
            await record_session_change(
                db_session, session, changed, actor=actor, previous_status=session.status, before=before, after=after
            )
    except IntegrityError as exc:
        if not is_seat_limit_violation(exc):
            raise
        raise Conflict(N_("more seats are already reserved than that leaves"), field=edit.seats_field) from exc
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
    await _publishable(db_session, event, [session], override, N_("publishing"))
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
    await _publishable(db_session, event, drafts, override, N_("publishing the drafts"))
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
        raise Conflict(N_("a draft was never announced: delete it instead of cancelling"), field="status")
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
        raise Conflict(N_("only drafts can be deleted; cancel a published session"), field="status")
    await refuse_if_used(db_session, session, what=N_("session"), field="session_id")
    audit.record_deleted(
        db_session, SESSION_ENTITY, session.id, audit_state(snapshot(session)), actor, event_id=session.event_id
    )
    await db_session.execute(delete(ProgramSession).where(ProgramSession.id == session.id))
