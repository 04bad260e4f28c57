"""The conflict report, case by case, as a pure function: no database, just sessions in and conflicts out."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sessions.conflicts import EventFacts, PersonFacts, SessionFacts, find_conflicts, new_conflicts

NY = ZoneInfo("America/New_York")
EVENT = EventFacts(
    id=uuid.uuid4(), timezone="America/New_York", start_date=dt.date(2027, 4, 14), end_date=dt.date(2027, 4, 18)
)
HALL, ROOM = uuid.uuid4(), uuid.uuid4()
ADA = PersonFacts(uuid.uuid4(), "Ada Lovelace", "speaker")
ADA_CHAIR = PersonFacts(ADA.speaker_id, "Ada Lovelace", "chair")
GRACE = PersonFacts(uuid.uuid4(), "Grace Hopper", "speaker")


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2027, 4, day, hour, minute, tzinfo=NY).astimezone(dt.UTC)


def session(title: str, start: dt.datetime, end: dt.datetime, **extra: object) -> SessionFacts:
    values: dict[str, Any] = {"room_id": HALL, "room_name": "Hall A", "room_capacity": 300}
    values.update(extra)
    return SessionFacts(id=uuid.uuid4(), title=title, starts_at=start, ends_at=end, **values)


def kinds(sessions: list[SessionFacts]) -> list[tuple[str, set[str]]]:
    titles = {s.id: s.title for s in sessions}
    return [(c.kind, {titles[i] for i in c.session_ids}) for c in find_conflicts(EVENT, sessions)]


def test_overlapping_sessions_in_one_room_double_book_it() -> None:
    a = session("A", local(14, 9), local(14, 10))
    b = session("B", local(14, 9, 30), local(14, 11))

    assert kinds([a, b]) == [("room_double_booked", {"A", "B"})]


def test_touching_sessions_are_not_a_conflict() -> None:
    a = session("A", local(14, 9), local(14, 10), people=(ADA,))
    b = session("B", local(14, 10), local(14, 11), people=(ADA,))

    assert kinds([a, b]) == []


def test_one_session_inside_another_in_the_same_room_conflicts() -> None:
    a = session("A", local(14, 9), local(14, 17))
    b = session("B", local(14, 12), local(14, 13))

    assert kinds([a, b]) == [("room_double_booked", {"A", "B"})]


def test_same_time_in_different_rooms_is_fine() -> None:
    a = session("A", local(14, 9), local(14, 10))
    b = session("B", local(14, 9), local(14, 10), room_id=ROOM, room_name="Room 101", room_capacity=40)

    assert kinds([a, b]) == []


def test_three_overlapping_sessions_give_each_pair() -> None:
    a = session("A", local(14, 9), local(14, 12))
    b = session("B", local(14, 10), local(14, 11))
    c = session("C", local(14, 10, 30), local(14, 13))

    assert sorted(sorted(t) for _, t in kinds([a, b, c])) == [["A", "B"], ["A", "C"], ["B", "C"]]


def test_sessions_without_a_room_never_double_book() -> None:
    a = session("Coffee", local(14, 10), local(14, 10, 30), room_id=None, room_capacity=None)
    b = session("Tea", local(14, 10), local(14, 10, 30), room_id=None, room_capacity=None)

    assert kinds([a, b]) == []


def test_speaker_in_two_rooms_at_once_is_double_booked() -> None:
    a = session("A", local(14, 9), local(14, 10), people=(ADA,))
    b = session("B", local(14, 9, 30), local(14, 10, 30), room_id=ROOM, room_capacity=40, people=(ADA, GRACE))

    conflicts = find_conflicts(EVENT, [a, b])

    assert [(c.kind, c.subject) for c in conflicts] == [("person_double_booked", ADA.speaker_id)]
    assert "Ada Lovelace" in conflicts[0].message


def test_chair_of_one_session_speaking_in_another_is_double_booked() -> None:
    a = session("A", local(14, 9), local(14, 10), people=(ADA_CHAIR,))
    b = session("B", local(14, 9, 59), local(14, 11), room_id=ROOM, room_capacity=40, people=(ADA,))

    conflicts = find_conflicts(EVENT, [a, b])

    assert [c.kind for c in conflicts] == ["person_double_booked"]
    assert "chair in 'A'" in conflicts[0].message and "speaker in 'B'" in conflicts[0].message


def test_speaker_and_chair_of_the_same_session_is_fine() -> None:
    a = session("A", local(14, 9), local(14, 10), people=(ADA, ADA_CHAIR))

    assert kinds([a]) == []


def test_cancelled_sessions_conflict_with_nothing() -> None:
    a = session("A", local(14, 9), local(14, 10), people=(ADA,))
    b = session("B", local(14, 9), local(14, 10), people=(ADA,), status="cancelled")

    assert kinds([a, b]) == []


def test_drafts_count_as_conflicts() -> None:
    a = session("A", local(14, 9), local(14, 10), status="published")
    b = session("B", local(14, 9), local(14, 10), status="draft")

    assert kinds([a, b]) == [("room_double_booked", {"A", "B"})]


def test_sessions_before_the_first_or_after_the_last_local_day_are_outside() -> None:
    early = session("Early", local(13, 23), local(14, 0, 30), room_id=None)
    late = session("Late", local(18, 23, 30), local(19, 0, 30), room_id=None)
    first_minute = session("First", local(14, 0), local(14, 1), room_id=None)
    last_minute = session("Last", local(18, 23), local(19, 0), room_id=None)

    assert kinds([early, late, first_minute, last_minute]) == [
        ("outside_event_days", {"Early"}),
        ("outside_event_days", {"Late"}),
    ]


def test_event_days_are_local_days_not_utc_days() -> None:
    # 21:00 on the last day in New York is already the next day in UTC: still inside.
    evening = session("Evening", local(18, 21), local(18, 22))

    assert evening.starts_at.date() == dt.date(2027, 4, 19)
    assert kinds([evening]) == []


def test_capacity_above_the_rooms_is_a_conflict_and_equal_is_not() -> None:
    over = session("Over", local(14, 9), local(14, 10), capacity=301)
    equal = session("Equal", local(15, 9), local(15, 10), capacity=300)
    default = session("Default", local(16, 9), local(16, 10), capacity=None)

    assert kinds([over, equal, default]) == [("capacity_above_room", {"Over"})]


def test_a_required_add_on_from_another_event_is_a_conflict() -> None:
    ours = session(
        "Ours", local(14, 9), local(14, 10), required_add_on_id=uuid.uuid4(), required_add_on_event_id=EVENT.id
    )
    theirs = session(
        "Theirs", local(15, 9), local(15, 10), required_add_on_id=uuid.uuid4(), required_add_on_event_id=uuid.uuid4()
    )

    assert kinds([ours, theirs]) == [("add_on_from_other_event", {"Theirs"})]


def test_new_conflicts_ignores_ones_that_were_already_there() -> None:
    a = session("A", local(14, 9), local(14, 10))
    b = session("B", local(14, 9), local(14, 10))
    c = session("C", local(14, 11), local(14, 12))
    moved_c = SessionFacts(**{**c.__dict__, "starts_at": local(14, 9, 30), "ends_at": local(14, 10, 30)})
    before = find_conflicts(EVENT, [a, b, c])

    after = find_conflicts(EVENT, [a, b, moved_c])

    assert {frozenset(x.session_ids) for x in new_conflicts(before, after, {c.id})} == {
        frozenset({a.id, c.id}),
        frozenset({b.id, c.id}),
    }
    assert [set(x.session_ids) for x in new_conflicts(before, after, {a.id})] == [{a.id, c.id}]
    assert new_conflicts(before, before, {a.id, b.id}) == []


def test_a_large_program_is_checked_quickly() -> None:
    import time

    rooms = [uuid.uuid4() for _ in range(40)]
    sessions = [
        SessionFacts(
            id=uuid.uuid4(),
            title=f"S{i}",
            starts_at=local(14 + i % 5, 8 + (i // 200) * 2),
            ends_at=local(14 + i % 5, 10 + (i // 200) * 2),
            room_id=rooms[(i // 5) % 40],
            room_capacity=100,
            people=(PersonFacts(uuid.uuid4(), f"P{i}", "speaker"),),
        )
        for i in range(800)
    ]
    started = time.perf_counter()

    conflicts = find_conflicts(EVENT, sessions)

    assert conflicts == []
    assert time.perf_counter() - started < 0.5
