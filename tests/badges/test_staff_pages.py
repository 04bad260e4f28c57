"""Staff land on the scanner of the event at the door: under way, else next, else the latest."""

from __future__ import annotations

import datetime as dt
import uuid

from badges.staff_pages import event_at_the_door
from events.models import Event

NOW = dt.datetime(2027, 6, 8, 3, 0, tzinfo=dt.UTC)  # still June 7 in Los Angeles


def event(slug: str, start: dt.date, end: dt.date, timezone: str = "UTC") -> Event:
    return Event(id=uuid.uuid4(), slug=slug, start_date=start, end_date=end, timezone=timezone)


def slug_at_the_door(events: list[Event]) -> str | None:
    chosen = event_at_the_door(events, NOW)
    return chosen.slug if chosen else None


def test_the_event_under_way_wins_on_its_own_clock() -> None:
    events = [
        event("next", dt.date(2027, 6, 9), dt.date(2027, 6, 10)),
        event("la", dt.date(2027, 6, 5), dt.date(2027, 6, 7), "America/Los_Angeles"),
    ]

    assert slug_at_the_door(events) == "la"


def test_else_the_soonest_to_come_else_the_latest_past() -> None:
    later = event("later", dt.date(2027, 9, 1), dt.date(2027, 9, 2))
    sooner = event("sooner", dt.date(2027, 7, 1), dt.date(2027, 7, 2))
    old = event("old", dt.date(2026, 1, 1), dt.date(2026, 1, 2))
    recent = event("recent", dt.date(2027, 5, 1), dt.date(2027, 5, 2))

    assert slug_at_the_door([later, old, sooner, recent]) == "sooner"
    assert slug_at_the_door([old, recent]) == "recent"
    assert slug_at_the_door([]) is None
