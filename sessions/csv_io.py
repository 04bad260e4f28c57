"""Importing the program from CSV, all or nothing: one bad row or one new conflict (unless overridden) and
nothing is written (the format: ``sessions.csv_format``; reading the rows: ``sessions.csv_rows``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event, Room
from events.services import get_event, lock_program
from podium import audit
from podium.db import begin_write, savepoint
from podium.errors import Conflict
from podium.i18n import N_, ngettext
from registration.models import AddOn
from sessions.capacity import seat_limit, too_few_seats
from sessions.changes import record_session_change, session_changed_fields, snapshot
from sessions.conflicts import PersonFacts, ProgramConflict, SessionFacts, find_conflicts, new_conflicts
from sessions.csv_format import CsvConflicts, CsvImportError, name_key
from sessions.csv_rows import Lookups, RowPlan, parse_csv
from sessions.edits import set_people
from sessions.models import ProgramSession, Speaker, SpeakerRole
from sessions.queries import event_facts, facts, load_sessions
from sessions.schemas import CsvImportResult, CsvRowError

# --- import: checking and writing -------------------------------------------------------------------------


def _speaker_key_ids(plans: Sequence[RowPlan], speakers: dict[str, Speaker]) -> dict[str, UUID]:
    """Every name in the file mapped to its speaker's id (a new id for new names, decided now)."""
    ids = {key: s.id for key, s in speakers.items()}
    for plan in plans:
        for name in plan.speakers + plan.chairs:
            ids.setdefault(name_key(name), uuid.uuid4())
    return ids


def _conflict_messages(conflicts: Sequence[ProgramConflict], lines: dict[UUID, int]) -> list[tuple[str, str]]:
    messages = []
    for conflict in conflicts:
        where = sorted(lines[i] for i in conflict.session_ids if i in lines)
        label = f"line {where[0]}" if len(where) == 1 else "lines " + ", ".join(str(n) for n in where)
        messages.append((conflict.kind, f"{label}: {conflict.message}"))
    return messages


async def import_csv(
    db_session: AsyncSession, slug: str, content: bytes, *, override: bool, actor: str
) -> CsvImportResult:
    await begin_write(db_session)
    event = await get_event(db_session, slug)
    if event.status == "archived":
        raise Conflict(N_("archived events are read-only"), field="status", code="event_archived")
    await lock_program(db_session, event.id)
    sessions = await load_sessions(db_session, event.id)
    add_ons = (await db_session.execute(select(AddOn.id, AddOn.code).where(AddOn.event_id == event.id))).all()
    found = Lookups(
        timezone=event.timezone,
        rooms={name_key(r.name): r.id for r in event.rooms},
        tracks={name_key(t.name): t.id for t in event.tracks},
        add_ons={code.lower(): add_on_id for add_on_id, code in add_ons},
        sessions={s.id: s for s in sessions},
    )
    plans = parse_csv(content, found)
    speakers = {
        name_key(s.name): s
        for s in (await db_session.scalars(select(Speaker).where(Speaker.event_id == event.id))).all()
    }
    speaker_ids = _speaker_key_ids(plans, speakers)
    if not override:
        _refuse_new_conflicts(event, sessions, plans, speaker_ids, {add_on_id for add_on_id, _ in add_ons})

    counts = {"created": 0, "updated": 0, "unchanged": 0}
    # A session the import would shrink below its reserved seats stops it half-way: the savepoint undoes
    # what it had written, as does a speaker or session another organizer added meanwhile (a unique rule).
    async with savepoint(db_session, Conflict(N_("the program changed while importing; try again"), field="file")):
        speakers_created = _add_speakers(db_session, event, plans, speakers, speaker_ids, actor)
        rooms = {r.id: r for r in event.rooms}
        for plan in plans:
            counts[await _write_row(db_session, event, plan, found, speakers, rooms, actor)] += 1
    return CsvImportResult(**counts, speakers_created=speakers_created)


def _refuse_new_conflicts(
    event: Event,
    sessions: Sequence[ProgramSession],
    plans: list[RowPlan],
    speaker_ids: dict[str, UUID],
    add_ons: set[UUID],
) -> None:
    """Raise ``CsvConflicts`` naming the lines whose sessions would bring conflicts the program doesn't have."""
    rooms = {r.id: r for r in event.rooms}
    add_on_events = {add_on_id: event.id for add_on_id in add_ons}
    current = {s.id: facts(s, rooms, add_on_events) for s in sessions}
    planned: dict[UUID, SessionFacts] = {}
    lines: dict[UUID, int] = {}
    for plan in plans:
        plan.session_id = plan.session_id or uuid.uuid4()
        room = rooms.get(plan.room_id) if plan.room_id else None
        persons = [PersonFacts(speaker_ids[name_key(n)], n, SpeakerRole.SPEAKER.value) for n in plan.speakers]
        persons += [PersonFacts(speaker_ids[name_key(n)], n, SpeakerRole.CHAIR.value) for n in plan.chairs]
        planned[plan.session_id] = SessionFacts(
            id=plan.session_id,
            title=plan.title,
            starts_at=plan.starts_at,
            ends_at=plan.ends_at,
            status=plan.status,
            room_id=plan.room_id,
            room_name=room.name if room else "",
            room_capacity=room.capacity if room else None,
            capacity=plan.capacity,
            required_add_on_id=plan.add_on_id,
            required_add_on_event_id=event.id if plan.add_on_id else None,
            people=tuple(persons),
        )
        lines[plan.session_id] = plan.line
    facts_of_event = event_facts(event)
    before = find_conflicts(facts_of_event, list(current.values()))
    after = find_conflicts(facts_of_event, list({**current, **planned}.values()))
    found_conflicts = new_conflicts(before, after, set(planned))
    if found_conflicts:
        raise CsvConflicts(_conflict_messages(found_conflicts, lines))


def _add_speakers(
    db_session: AsyncSession,
    event: Event,
    plans: list[RowPlan],
    speakers: dict[str, Speaker],
    speaker_ids: dict[str, UUID],
    actor: str,
) -> int:
    """Speakers the file names that the event doesn't have yet, added to ``speakers``; how many."""
    added = 0
    for key, speaker_id in speaker_ids.items():
        if key not in speakers:
            name = next(n for p in plans for n in p.speakers + p.chairs if name_key(n) == key)
            speakers[key] = Speaker(id=speaker_id, event_id=event.id, name=name, affiliation="", bio="")
            db_session.add(speakers[key])
            audit.record_created(
                db_session, "speaker", speaker_id, {"name": name}, actor, event_id=event.id, note="CSV import"
            )
            added += 1
    return added


async def _write_row(
    db_session: AsyncSession,
    event: Event,
    plan: RowPlan,
    found: Lookups,
    speakers: dict[str, Speaker],
    rooms: dict[UUID, Room],
    actor: str,
) -> str:
    """One row written: ``created``, ``updated`` or ``unchanged``."""
    plan.session_id = plan.session_id or uuid.uuid4()
    people = [(speakers[name_key(n)], SpeakerRole.SPEAKER.value) for n in plan.speakers]
    people += [(speakers[name_key(n)], SpeakerRole.CHAIR.value) for n in plan.chairs]
    existing = found.sessions.get(plan.session_id)
    values: dict[str, Any] = {
        "title": plan.title,
        "kind": plan.kind,
        "abstract": plan.abstract,
        "starts_at": plan.starts_at,
        "ends_at": plan.ends_at,
        "room_id": plan.room_id,
        "track_id": plan.track_id,
        "capacity": plan.capacity,
        "required_add_on_id": plan.add_on_id,
        "credit_hours": plan.credit_hours,
        "status": plan.status,
    }
    if existing is None:
        session = ProgramSession(id=plan.session_id, event_id=event.id, seats_taken=0, sequence=0, people=[], **values)
        set_people(session, people)
        db_session.add(session)
        changed = session_changed_fields(None, snapshot(session, [(s.id, r) for s, r in people]))
        await record_session_change(db_session, session, changed, actor=actor, previous_status=None)
        return "created"
    before_state, previous = snapshot(existing), existing.status
    room = rooms.get(plan.room_id) if plan.room_id else None
    limit = seat_limit(plan.capacity, room.capacity if room else None)
    if too_few_seats(limit, existing.seats_taken):
        # Worded before the savepoint's rollback, which expires what it changed (reading it after was a 500).
        column = "capacity" if plan.capacity is not None else "room"
        message = ngettext(
            "%(taken)d seat is reserved; that leaves %(limit)d",
            "%(taken)d seats are reserved; that leaves %(limit)d",
            existing.seats_taken,
        ) % {"taken": existing.seats_taken, "limit": limit}
        raise CsvImportError([CsvRowError(line=plan.line, column=column, message=message)])
    for name, value in values.items():
        setattr(existing, name, value)
    set_people(existing, people)
    after_state = snapshot(existing, [(s.id, r) for s, r in people])
    changed = session_changed_fields(before_state, after_state)
    if not changed:
        return "unchanged"
    await record_session_change(
        db_session, existing, changed, actor=actor, previous_status=previous, before=before_state, after=after_state
    )
    return "updated"
