"""Attendance from door scans, as pure functions: who was in which session for how long, and the credit.

A person is in a place (a session room, or one session's own door) from an admitted ``in`` scan until the
first of: their ``out`` scan, their next scan anywhere else (nobody is in two places), or the end of the
session the ``in`` scan was counted for (people leave without scanning out). Time in a room counts for a
session only while the session runs (doors open early, but credit starts at the start). A session's credit
hours are earned when the time in it reaches the organizer's share of its length: ``dwell * 100 >=
length * pct``, in whole seconds, so exactly at the threshold earns it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal
from uuid import UUID


@dataclass(frozen=True)
class DoorScan:
    """One scan that moved the person: an admitted (or already admitted) ``in``, or an ``out``.

    ``place`` is ``"room:<id>"`` or ``"session:<id>"`` for doors that count, ``None`` for the entrance and
    add-on desks (which only show the person is elsewhere)."""

    at: dt.datetime
    direction: Literal["in", "out"]
    place: str | None
    session_id: UUID | None = None


@dataclass(frozen=True)
class SessionSlot:
    id: UUID
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    credit_hours: Decimal
    places: frozenset[str]


@dataclass(frozen=True)
class Stay:
    place: str
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class SessionAttendance:
    session: SessionSlot
    dwell: dt.timedelta
    attended: bool
    credit_hours: Decimal


def stays(scans: Iterable[DoorScan], session_ends: Mapping[UUID, dt.datetime]) -> list[Stay]:
    """The intervals the person spent in counted places, from all their scans (any order)."""
    result: list[Stay] = []
    open_place: str | None = None
    open_start: dt.datetime | None = None
    open_cap: dt.datetime | None = None

    def close(at: dt.datetime | None) -> None:
        nonlocal open_place, open_start, open_cap
        if open_place is not None and open_start is not None:
            ends = [moment for moment in (at, open_cap) if moment is not None]
            end = min(ends) if ends else open_start
            if end > open_start:
                result.append(Stay(open_place, open_start, end))
        open_place = open_start = open_cap = None

    for scan in sorted(scans, key=lambda s: s.at):
        cap = session_ends.get(scan.session_id) if scan.session_id is not None else None
        still_open = open_cap is None or scan.at < open_cap
        if scan.direction == "in" and scan.place is not None and scan.place == open_place and still_open:
            # Already inside: a second "in" at the same door only stretches the stay to a later session's end.
            if cap is not None and open_cap is not None and cap > open_cap:
                open_cap = cap
            continue
        close(scan.at)
        if scan.direction == "in" and scan.place is not None:
            open_place, open_start, open_cap = scan.place, scan.at, cap
    close(None)
    return result


def overlap(start: dt.datetime, end: dt.datetime, other_start: dt.datetime, other_end: dt.datetime) -> dt.timedelta:
    return max(dt.timedelta(0), min(end, other_end) - max(start, other_start))


def earns_credit(dwell: dt.timedelta, length: dt.timedelta, threshold_pct: int) -> bool:
    """Integer seconds, so a dwell exactly at the threshold is never lost to rounding."""
    return int(dwell.total_seconds()) * 100 >= int(length.total_seconds()) * threshold_pct


def attendance(
    sessions: Sequence[SessionSlot], scans: Iterable[DoorScan], threshold_pct: int
) -> list[SessionAttendance]:
    """Each session the person spent any time in, with the time and whether it earned its credit hours."""
    if not 1 <= threshold_pct <= 100:
        raise ValueError("the threshold is a percentage from 1 to 100")
    person_stays = stays(scans, {s.id: s.ends_at for s in sessions})
    result: list[SessionAttendance] = []
    for session in sorted(sessions, key=lambda s: (s.starts_at, s.title)):
        dwell = sum(
            (
                overlap(stay.start, stay.end, session.starts_at, session.ends_at)
                for stay in person_stays
                if stay.place in session.places
            ),
            dt.timedelta(0),
        )
        if dwell <= dt.timedelta(0):
            continue
        attended = earns_credit(dwell, session.ends_at - session.starts_at, threshold_pct)
        result.append(
            SessionAttendance(
                session=session,
                dwell=dwell,
                attended=attended,
                credit_hours=session.credit_hours if attended else Decimal("0"),
            )
        )
    return result


def total_credit_hours(rows: Iterable[SessionAttendance]) -> Decimal:
    return sum((row.credit_hours for row in rows), Decimal("0"))
