"""Attendance and credit from door scans (pure): dwell time per session and the threshold's edges."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal
from uuid import uuid4

import pytest

from badges.attendance import DoorScan, SessionSlot, attendance, earns_credit, stays, total_credit_hours

T0 = dt.datetime(2027, 6, 7, 13, 0, tzinfo=dt.UTC)
ROOM, OTHER_ROOM = "room:a", "room:b"


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def session(start: float, end: float, *, place: str = ROOM, credit: str = "1.00", title: str = "Talk") -> SessionSlot:
    sid = uuid4()
    return SessionSlot(sid, title, at(start), at(end), Decimal(credit), frozenset({place, f"session:{sid}"}))


def door(
    minutes: float, direction: Literal["in", "out"] = "in", place: str | None = ROOM, slot: SessionSlot | None = None
) -> DoorScan:
    return DoorScan(at(minutes), direction, place, slot.id if slot else None)


@pytest.mark.parametrize(
    ("dwell_seconds", "pct", "earned"),
    [(2700, 75, True), (2699, 75, False), (3600, 100, True), (3599, 100, False), (36, 1, True), (35, 1, False)],
)
def test_credit_is_earned_exactly_at_the_threshold_and_not_a_second_before(
    dwell_seconds: int, pct: int, earned: bool
) -> None:
    assert earns_credit(dt.timedelta(seconds=dwell_seconds), dt.timedelta(hours=1), pct) is earned


def test_in_and_out_give_the_time_inside_the_session_only() -> None:
    talk = session(0, 60)
    scans = [door(-20, slot=talk), door(50, "out")]  # doors open early; credit time starts at the start

    [row] = attendance([talk], scans, 80)

    assert row.dwell == dt.timedelta(minutes=50)
    assert (row.attended, row.credit_hours) == (True, Decimal("1.00"))


def test_one_second_short_of_the_share_earns_nothing() -> None:
    talk = session(0, 60, credit="2.50")
    scans = [door(0, slot=talk), DoorScan(at(45) - dt.timedelta(seconds=1), "out", ROOM)]

    [row] = attendance([talk], scans, 75)

    assert row.dwell == dt.timedelta(minutes=45) - dt.timedelta(seconds=1)
    assert (row.attended, row.credit_hours) == (False, Decimal("0"))


def test_no_out_scan_counts_until_the_session_ends() -> None:
    talk = session(0, 60)

    [row] = attendance([talk], [door(30, slot=talk)], 50)

    assert row.dwell == dt.timedelta(minutes=30)
    assert row.attended


def test_leaving_and_coming_back_adds_up_without_counting_twice() -> None:
    talk = session(0, 90, credit="1.50")
    scans = [
        door(0, slot=talk),
        door(5, slot=talk),  # scanned in again while inside: nothing changes
        door(30, "out"),
        door(40, slot=talk),
        door(80, "out"),
    ]

    [row] = attendance([talk], scans, 75)

    assert row.dwell == dt.timedelta(minutes=70)
    assert row.attended


def test_a_scan_anywhere_else_ends_the_stay() -> None:
    first, second = session(0, 60, title="First"), session(0, 60, place=OTHER_ROOM, title="Second")
    scans = [door(0, slot=first), door(20, place=OTHER_ROOM, slot=second), door(25, place=None)]

    rows = attendance([first, second], scans, 10)

    assert [(r.session.title, r.dwell) for r in rows] == [
        ("First", dt.timedelta(minutes=20)),
        ("Second", dt.timedelta(minutes=5)),
    ]


def test_staying_on_for_the_next_session_counts_when_scanned_for_it() -> None:
    morning, late = session(0, 60, title="Morning"), session(60, 120, title="Late")
    scans = [door(0, slot=morning), door(55, slot=late)]  # re-scanned at the door before the next one

    rows = attendance([morning, late], scans, 100)

    assert [(r.session.title, r.dwell, r.attended) for r in rows] == [
        ("Morning", dt.timedelta(minutes=60), True),
        ("Late", dt.timedelta(minutes=60), True),
    ]
    assert total_credit_hours(rows) == Decimal("2.00")


def test_without_a_scan_for_the_next_session_the_stay_ends_with_the_first() -> None:
    morning, late = session(0, 60, title="Morning"), session(60, 120, title="Late")

    rows = attendance([morning, late], [door(0, slot=morning)], 50)

    assert [r.session.title for r in rows] == ["Morning"]


def test_an_out_without_an_in_and_scans_in_any_order_change_nothing_wrong() -> None:
    talk = session(0, 60)
    scans = [door(50, "out"), door(10, slot=talk), door(-5, "out")]

    assert stays(reversed(scans), {talk.id: talk.ends_at}) == stays(scans, {talk.id: talk.ends_at})
    [row] = attendance([talk], scans, 50)
    assert row.dwell == dt.timedelta(minutes=40)


def test_the_threshold_must_be_a_percentage() -> None:
    with pytest.raises(ValueError):
        attendance([], [], 0)
