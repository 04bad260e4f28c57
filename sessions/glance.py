"""The program at a glance: one day as a grid of rooms by start time, and what is on now and next.

Pure functions over the public program's wire structs, so the page can build them from rows it already read
(or cached) and a test can give them any instant.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

from sessions.schemas import SessionRead

# Sessions without a room get a column of their own, after the rooms.
NO_ROOM = "No room"


@dataclass(frozen=True, slots=True)
class GridRow:
    starts_at: dt.datetime
    time: str  # local wall clock, "HH:MM"
    cells: list[list[SessionRead]]  # one per column, in the columns' order (a room may hold two at once)


@dataclass(frozen=True, slots=True)
class DayGrid:
    rooms: list[str]
    rows: list[GridRow]


def day_grid(sessions: Iterable[SessionRead], rooms: Sequence[tuple[UUID, str]], timezone: str) -> DayGrid:
    """Rows by local start time, a column for each room used that day (in the event's room order)."""
    tz = zoneinfo.ZoneInfo(timezone)
    listed = sorted(sessions, key=lambda s: (s.starts_at, s.title))
    used = {s.room_id for s in listed}
    columns: list[tuple[UUID | None, str]] = [(room_id, name) for room_id, name in rooms if room_id in used]
    if None in used or used - {room_id for room_id, _ in columns}:
        columns.append((None, NO_ROOM))
    index = {room_id: i for i, (room_id, _) in enumerate(columns)}
    rows: dict[dt.datetime, list[list[SessionRead]]] = {}
    for session in listed:
        cells = rows.setdefault(session.starts_at, [[] for _ in columns])
        cells[index.get(session.room_id, len(columns) - 1)].append(session)
    return DayGrid(
        rooms=[name for _, name in columns],
        rows=[GridRow(at, at.astimezone(tz).strftime("%H:%M"), cells) for at, cells in sorted(rows.items())],
    )


@dataclass(frozen=True, slots=True)
class Moment:
    """A session as "now and next" names it."""

    id: UUID
    title: str
    room: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NowAndNext:
    day: dt.date  # the event's local today
    now: list[Moment]
    next_at: dt.datetime | None
    next: list[Moment]


def moments(sessions: Iterable[SessionRead]) -> list[Moment]:
    """The sessions that take place (cancelled ones don't), in time order."""
    return sorted(
        (
            Moment(id=s.id, title=s.title, room=s.room, starts_at=s.starts_at, ends_at=s.ends_at)
            for s in sessions
            if s.status != "cancelled"
        ),
        key=lambda m: (m.starts_at, m.title),
    )


def now_and_next(
    timeline: Sequence[Moment], at: dt.datetime, days: tuple[dt.date, dt.date], timezone: str
) -> NowAndNext | None:
    """What is on at ``at`` and what starts next, that same local day; None outside the event's days, when a
    visitor planning ahead wants the program, not a clock."""
    tz = zoneinfo.ZoneInfo(timezone)
    today = at.astimezone(tz).date()
    if not days[0] <= today <= days[1]:
        return None
    on = [m for m in timeline if m.starts_at <= at < m.ends_at]
    later = [m for m in timeline if m.starts_at > at and m.starts_at.astimezone(tz).date() == today]
    next_at = later[0].starts_at if later else None
    return NowAndNext(day=today, now=on, next_at=next_at, next=[m for m in later if m.starts_at == next_at])
