"""The program at a glance (rooms by start time for a day) and "now and next": the pure rules, and the page
that shows them, with the real clock for "now"."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import update

from events.models import Event
from podium.settings import Settings
from sessions.glance import NO_ROOM, Moment, day_grid, moments, now_and_next
from sessions.models import SessionKind, SessionStatus
from sessions.schemas import SessionRead
from tests.asgi_client import Client
from tests.registration.factories import db_session_for
from tests.sessions.factories import ProgramEvent, at, build_program_event

NY = zoneinfo.ZoneInfo("America/New_York")
HALL, ROOM = uuid4(), uuid4()


def read(title: str, start: dt.datetime, minutes: int, room: Any = None, status: str = "published") -> SessionRead:
    return SessionRead(
        id=uuid4(), event_id=uuid4(), kind=SessionKind("symposium"), title=title, abstract="",
        status=SessionStatus(status), starts_at=start, ends_at=start + dt.timedelta(minutes=minutes),
        local_start="", local_end="", timezone="America/New_York", track_id=None, track=None, room_id=room,
        room=None, capacity=None, effective_capacity=None, seats_taken=0, required_add_on_id=None, credit_hours=0,
        sequence=0, changed_at=None, people=[],
    )  # fmt: skip


def local(hour: int, minute: int = 0, day: int = 14) -> dt.datetime:
    return dt.datetime(2027, 3, day, hour, minute, tzinfo=NY).astimezone(dt.UTC)


def test_the_grid_has_a_column_per_room_used_in_room_order_and_a_row_per_start() -> None:
    sessions = [
        read("Late in the hall", local(11), 60, HALL),
        read("Early in the room", local(9), 60, ROOM),
        read("Early in the hall", local(9), 60, HALL),
        read("Twice at nine", local(9), 30, HALL),
        read("Roomless", local(11), 30),
    ]
    grid = day_grid(sessions, [(HALL, "Hall A"), (uuid4(), "Unused"), (ROOM, "Room 101")], "America/New_York")

    assert grid.rooms == ["Hall A", "Room 101", NO_ROOM]
    assert [row.time for row in grid.rows] == ["09:00", "11:00"]
    assert [[s.title for s in cell] for cell in grid.rows[0].cells] == [
        ["Early in the hall", "Twice at nine"],
        ["Early in the room"],
        [],
    ]
    assert [[s.title for s in cell] for cell in grid.rows[1].cells] == [["Late in the hall"], [], ["Roomless"]]


def test_now_and_next_during_the_day_and_nothing_outside_the_event() -> None:
    timeline = moments(
        [
            read("Keynote", local(9), 60),
            read("Cancelled talk", local(9, 30), 60, status="cancelled"),
            read("Posters", local(10), 90),
            read("Panel A", local(11), 60),
            read("Panel B", local(11), 60),
            read("Tomorrow", local(9, day=15), 60),
        ]
    )
    days = (dt.date(2027, 3, 13), dt.date(2027, 3, 16))

    at_930 = now_and_next(timeline, local(9, 30), days, "America/New_York")
    at_1030 = now_and_next(timeline, local(10, 30), days, "America/New_York")
    evening = now_and_next(timeline, local(20), days, "America/New_York")
    before = now_and_next(timeline, local(9, day=12), days, "America/New_York")

    assert at_930 is not None and [m.title for m in at_930.now] == ["Keynote"]
    assert [m.title for m in at_930.next] == ["Posters"] and at_930.next_at == local(10)
    assert at_1030 is not None and [m.title for m in at_1030.now] == ["Posters"]
    assert sorted(m.title for m in at_1030.next) == ["Panel A", "Panel B"]
    # Tomorrow's first session is not "next" tonight: the day is over.
    assert evening is not None and evening.now == [] and evening.next == [] and evening.next_at is None
    assert before is None
    assert all(isinstance(m, Moment) for m in timeline) and "Cancelled talk" not in [m.title for m in timeline]


@pytest.fixture
async def program(settings: Settings) -> ProgramEvent:
    return await build_program_event(settings)


async def add(client: Client, organizer: dict[str, str], program: ProgramEvent, **body: Any) -> dict[str, Any]:
    response = await client.post(
        f"/api/events/{program.slug}/sessions", json={"status": "published", **body}, headers=organizer
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_the_grid_page_shows_the_day_by_room_and_start_time(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    hall, room = str(program.rooms["Hall A"]), str(program.rooms["Room 101"])
    await add(client, organizer, program, title="Engines of thought", starts_at=at(1, 9), ends_at=at(1, 10),
              room_id=hall)  # fmt: skip
    await add(client, organizer, program, title="Policy hour", starts_at=at(1, 9), ends_at=at(1, 10), room_id=room)
    await add(client, organizer, program, title="Lunch talk", starts_at=at(1, 12), ends_at=at(1, 13), room_id=room)

    page = await client.get(f"/events/{program.slug}/program", params={"day": "2027-03-14", "view": "grid"})
    listed = await client.get(f"/events/{program.slug}/program", params={"day": "2027-03-14"})

    html = page.text
    assert page.status_code == 200
    assert re.search(r'<th scope="col">Hall A</th><th scope="col">Room 101</th>', html)
    rows = re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>", 1)[1], re.S)
    assert "09:00" in rows[0] and "Engines of thought" in rows[0] and "Policy hour" in rows[0]
    assert "12:00" in rows[1] and "Lunch talk" in rows[1] and "Engines" not in rows[1]
    assert 'aria-current="page">At a glance' in html and 'role="region"' in html
    assert "<table>" not in listed.text and "Engines of thought" in listed.text


async def test_now_and_next_leads_the_page_during_the_event_only(
    client: Client, organizer: dict[str, str], program: ProgramEvent, settings: Settings
) -> None:
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(NY).date()
    async with db_session_for(settings) as db_session:
        await db_session.execute(
            update(Event)
            .where(Event.slug == program.slug)
            .values(start_date=today - dt.timedelta(days=1), end_date=today + dt.timedelta(days=1))
        )
        await db_session.commit()
    hall = str(program.rooms["Hall A"])
    later = now + dt.timedelta(minutes=5)
    await add(
        client, organizer, program, title="On right now", room_id=hall,
        starts_at=(now - dt.timedelta(minutes=30)).isoformat(), ends_at=(now + dt.timedelta(minutes=30)).isoformat(),
    )  # fmt: skip
    await add(
        client, organizer, program, title="Starts soon",
        starts_at=later.isoformat(), ends_at=(later + dt.timedelta(minutes=20)).isoformat(),
    )  # fmt: skip

    page = await client.get(f"/events/{program.slug}/program")

    section = page.text.split('<section class="now-next"', 1)[1].split("</section>", 1)[0]
    on_now, after = section.split("<h3>Next", 1) if "<h3>Next" in section else (section, "")
    assert "On right now" in on_now and "Hall A" in on_now and "Starts soon" not in on_now
    if later.astimezone(NY).date() == today:
        assert "Starts soon" in after
    else:  # five minutes before local midnight: the next session is tomorrow's, not "next"
        assert "Nothing else starts today" in section

    async with db_session_for(settings) as db_session:
        await db_session.execute(
            update(Event).where(Event.slug == program.slug).values(start_date=today + dt.timedelta(days=30),
                                                                   end_date=today + dt.timedelta(days=31))
        )  # fmt: skip
        await db_session.commit()
    ahead = await client.get(f"/events/{program.slug}/program")
    assert 'class="now-next"' not in ahead.text
