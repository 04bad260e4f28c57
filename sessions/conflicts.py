"""The conflict report: a pure function over an event's sessions, so every case is tested without a database.

Two sessions clash when their times overlap: ``a.start < b.end and b.start < a.end``. Touching sessions
(one ends exactly when the next starts) do not clash, which is how a room is used back to back. Cancelled
sessions clash with nothing; drafts do, because they are about to be published.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from podium.formatting import format_day
from podium.i18n import N_, gettext

# The roles a double-booked person has, as the message names them.
_ROLE_WORDS = {"speaker": N_("speaker"), "chair": N_("chair")}


@dataclass(frozen=True)
class EventFacts:
    id: UUID
    timezone: str
    start_date: dt.date
    end_date: dt.date


@dataclass(frozen=True)
class PersonFacts:
    speaker_id: UUID
    name: str
    role: str


@dataclass(frozen=True)
class SessionFacts:
    """What the conflict rules look at, detached from the ORM."""

    id: UUID
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str = "draft"
    room_id: UUID | None = None
    room_name: str = ""
    room_capacity: int | None = None
    capacity: int | None = None
    required_add_on_id: UUID | None = None
    required_add_on_event_id: UUID | None = None
    people: tuple[PersonFacts, ...] = field(default=())


@dataclass(frozen=True)
class ProgramConflict:
    kind: str
    message: str
    session_ids: tuple[UUID, ...]
    # What the clash is about (a room id, a speaker id), so the same clash has the same key before and after.
    subject: UUID | None = None

    @property
    def key(self) -> tuple[str, tuple[UUID, ...], UUID | None]:
        return (self.kind, tuple(sorted(self.session_ids)), self.subject)


def event_bounds(event: EventFacts) -> tuple[dt.datetime, dt.datetime]:
    """Local midnight of the first day to local midnight after the last, as UTC instants."""
    tz = zoneinfo.ZoneInfo(event.timezone)
    start = dt.datetime.combine(event.start_date, dt.time.min, tz).astimezone(dt.UTC)
    end = dt.datetime.combine(event.end_date + dt.timedelta(days=1), dt.time.min, tz).astimezone(dt.UTC)
    return start, end


def _overlapping_pairs(sessions: Iterable[SessionFacts]) -> Iterable[tuple[SessionFacts, SessionFacts]]:
    """Every overlapping pair, by a sweep over start times (n log n plus the pairs found)."""
    active: list[SessionFacts] = []
    for current in sorted(sessions, key=lambda s: (s.starts_at, s.ends_at, str(s.id))):
        active = [s for s in active if s.ends_at > current.starts_at]
        for earlier in active:
            yield earlier, current
        active.append(current)


def _role(role: str) -> str:
    word = _ROLE_WORDS.get(role)
    return gettext(word) if word else role


def _local(value: dt.datetime, tz: zoneinfo.ZoneInfo) -> str:
    """``Mon March 15, 09:00``: the day as the program's tabs name it (podium/formatting.py)."""
    local = value.astimezone(tz)
    return f"{format_day(local.date(), short=True)}, {local:%H:%M}"


# The order conflicts of one start time are listed in.
_KIND_ORDER = {
    "room_double_booked": 0,
    "person_double_booked": 1,
    "outside_event_days": 2,
    "capacity_above_room": 3,
    "add_on_from_other_event": 4,
}


def find_conflicts(event: EventFacts, sessions: Sequence[SessionFacts]) -> list[ProgramConflict]:
    """All conflicts among ``sessions`` (of ``event``), in a stable order."""
    tz = zoneinfo.ZoneInfo(event.timezone)
    live = [s for s in sessions if s.status != "cancelled"]
    found = [*_rooms_double_booked(live, tz), *_people_double_booked(live, tz)]
    bounds = event_bounds(event)
    for session in live:
        found.extend(_own_conflicts(event, session, tz, bounds))
    starts = {s.id: s.starts_at for s in sessions}
    found.sort(key=lambda c: (min(starts[i] for i in c.session_ids), _KIND_ORDER[c.kind], c.key))
    return found


def _rooms_double_booked(live: Sequence[SessionFacts], tz: zoneinfo.ZoneInfo) -> Iterator[ProgramConflict]:
    by_room: dict[UUID, list[SessionFacts]] = defaultdict(list)
    for session in live:
        if session.room_id is not None:
            by_room[session.room_id].append(session)
    for room_id, booked in by_room.items():
        for a, b in _overlapping_pairs(booked):
            wording = gettext(
                "%(room)s is double-booked: %(first)s (%(first_at)s) and %(second)s (%(second_at)s) overlap"
            )
            yield ProgramConflict(
                "room_double_booked",
                wording
                % {
                    "room": a.room_name or gettext("The room"),
                    "first": repr(a.title),
                    "first_at": _local(a.starts_at, tz),
                    "second": repr(b.title),
                    "second_at": _local(b.starts_at, tz),
                },
                (a.id, b.id),
                room_id,
            )


def _people_double_booked(live: Sequence[SessionFacts], tz: zoneinfo.ZoneInfo) -> Iterator[ProgramConflict]:
    by_person: dict[UUID, list[tuple[SessionFacts, PersonFacts]]] = defaultdict(list)
    for session in live:
        seen: set[UUID] = set()
        for person in session.people:
            if person.speaker_id not in seen:
                seen.add(person.speaker_id)
                by_person[person.speaker_id].append((session, person))
    for speaker_id, entries in by_person.items():
        role_in = {s.id: p.role for s, p in entries}
        name = entries[0][1].name
        for a, b in _overlapping_pairs(s for s, _ in entries):
            wording = gettext(
                "%(name)s is double-booked: %(first_role)s in %(first)s and %(second_role)s in %(second)s (%(at)s)"
            )
            yield ProgramConflict(
                "person_double_booked",
                wording
                % {
                    "name": name,
                    "first_role": _role(role_in[a.id]),
                    "first": repr(a.title),
                    "second_role": _role(role_in[b.id]),
                    "second": repr(b.title),
                    "at": _local(b.starts_at, tz),
                },
                (a.id, b.id),
                speaker_id,
            )


def _own_conflicts(
    event: EventFacts, session: SessionFacts, tz: zoneinfo.ZoneInfo, bounds: tuple[dt.datetime, dt.datetime]
) -> Iterator[ProgramConflict]:
    """What is wrong with one session alone: its days, its seats against its room, its add-on's event."""
    first, last = bounds
    if session.starts_at < first or session.ends_at > last:
        days = gettext("%(start)s to %(end)s") % {
            "start": event.start_date.isoformat(),
            "end": event.end_date.isoformat(),
        }
        yield ProgramConflict(
            "outside_event_days",
            gettext("%(title)s (%(at)s) is outside the event's days (%(days)s, %(zone)s)")
            % {"title": repr(session.title), "at": _local(session.starts_at, tz), "days": days, "zone": event.timezone},
            (session.id,),
        )
    if session.capacity is not None and session.room_capacity is not None and session.capacity > session.room_capacity:
        yield ProgramConflict(
            "capacity_above_room",
            gettext("%(title)s has %(seats)d seats but %(room)s holds %(capacity)d")
            % {
                "title": repr(session.title),
                "seats": session.capacity,
                "room": session.room_name or gettext("its room"),
                "capacity": session.room_capacity,
            },
            (session.id,),
            session.room_id,
        )
    if session.required_add_on_id is not None and session.required_add_on_event_id not in (None, event.id):
        yield ProgramConflict(
            "add_on_from_other_event",
            gettext("%(title)s requires an add-on sold by another event") % {"title": repr(session.title)},
            (session.id,),
            session.required_add_on_id,
        )


def involving(conflicts: Iterable[ProgramConflict], session_ids: set[UUID]) -> list[ProgramConflict]:
    return [c for c in conflicts if session_ids.intersection(c.session_ids)]


def new_conflicts(
    before: Iterable[ProgramConflict], after: Iterable[ProgramConflict], session_ids: set[UUID]
) -> list[ProgramConflict]:
    """Conflicts involving ``session_ids`` that a change brought in (old, already accepted ones don't count)."""
    known = {c.key for c in before}
    return [c for c in involving(after, session_ids) if c.key not in known]
