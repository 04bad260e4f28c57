"""The demo program: 600+ conflict-free published sessions at the Annual Meeting, a two-day Policy Summit,
workshops tied to their add-ons, and the same rows on every seed."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from demo.seed import DemoSize, seed_demo
from events.models import Event
from podium.settings import Settings
from registration.models import AddOn, Quota
from sessions import queries
from sessions.models import ProgramSession
from tests.registration.factories import db_session_for


@pytest.fixture(scope="module")
def seeded(settings: Settings) -> Settings:
    asyncio.run(seed_demo(settings, DemoSize()))
    return settings


async def _program(settings: Settings, slug: str) -> tuple[Event, list[ProgramSession]]:
    async with db_session_for(settings) as db_session:
        return await queries.list_sessions(db_session, slug)


async def test_annual_meeting_has_600_published_conflict_free_sessions_over_five_days(seeded: Settings) -> None:
    event, sessions = await _program(seeded, "annual-meeting-2027")
    async with db_session_for(seeded) as db_session:
        conflicts = await queries.conflict_report(db_session, "annual-meeting-2027")

    tz = ZoneInfo(event.timezone)
    days = Counter(s.starts_at.astimezone(tz).date() for s in sessions)
    kinds = Counter(s.kind for s in sessions)
    assert len(sessions) >= 600
    assert {s.status for s in sessions} == {"published"}
    assert conflicts == []
    assert sorted(days) == [dt.date(2027, 4, 14) + dt.timedelta(days=i) for i in range(5)]
    assert set(kinds) == {
        "keynote",
        "plenary",
        "symposium",
        "scientific_session",
        "workshop",
        "poster_session",
        "break",
        "social",
    }
    keynote = next(s for s in sessions if s.kind == "keynote")
    assert (keynote.title, keynote.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")) == (
        "State of the field",
        "2027-04-14 08:00",
    )
    scientific = [s for s in sessions if s.kind == "scientific_session"]
    assert all({p.role for p in s.people} == {"speaker", "chair"} for s in scientific)
    assert all(s.track_id is not None and s.room_id is not None for s in scientific)


async def test_workshops_require_their_add_on_and_seat_as_many_as_it_sells(seeded: Settings) -> None:
    event, sessions = await _program(seeded, "annual-meeting-2027")
    async with db_session_for(seeded) as db_session:
        sizes = dict(
            (
                await db_session.execute(
                    select(AddOn.id, Quota.size)
                    .join(Quota, Quota.id == AddOn.capacity_quota_id)
                    .where(AddOn.event_id == event.id, AddOn.kind == "workshop")
                )
            )
            .tuples()
            .all()
        )

    workshops = [s for s in sessions if s.kind == "workshop"]
    assert len(workshops) == 3
    assert {w.required_add_on_id: w.capacity for w in workshops} == sizes


async def test_policy_summit_has_a_two_day_program_and_workshop_events_one_session_each(seeded: Settings) -> None:
    summit, summit_sessions = await _program(seeded, "policy-summit-2027")
    _, workshop_sessions = await _program(seeded, "workshop-grant-writing-2027")

    tz = ZoneInfo(summit.timezone)
    assert {s.starts_at.astimezone(tz).date() for s in summit_sessions} == {dt.date(2027, 2, 23), dt.date(2027, 2, 24)}
    assert len(summit_sessions) >= 12
    assert [s.kind for s in workshop_sessions] == ["workshop"]
    async with db_session_for(seeded) as db_session:
        assert await queries.conflict_report(db_session, "policy-summit-2027") == []


async def test_seeding_again_gives_the_same_sessions(seeded: Settings) -> None:
    _, before = await _program(seeded, "annual-meeting-2027")

    await seed_demo(seeded, DemoSize(), reset=True)
    _, after = await _program(seeded, "annual-meeting-2027")

    assert [(s.id, s.title, s.starts_at, s.room_id is None) for s in after] == [
        (s.id, s.title, s.starts_at, s.room_id is None) for s in before
    ]
