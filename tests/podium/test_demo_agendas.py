"""Demo agendas: the size knob's worth of attendees get about twenty non-overlapping sessions each, seats
counted exactly within capacities, and a private feed that opens in any calendar."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import uuid
from collections import Counter

import pytest
from icalendar import Calendar
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from demo.seed import DemoSize, seed_demo
from events.models import Room
from podium.settings import Settings
from registration.models import Registration
from sessions.feeds import agenda_token
from sessions.models import AgendaFeed, AgendaItem, ProgramSession
from tests.registration.factories import db_session_for


@pytest.fixture(scope="module")
def seeded(settings: Settings) -> Settings:
    asyncio.run(seed_demo(settings, DemoSize(rooms=12, registrations=60, agendas=40)))
    return settings


async def test_agendas_are_full_non_overlapping_and_seats_add_up(seeded: Settings) -> None:
    async with db_session_for(seeded) as db_session:
        rows = (
            await db_session.execute(
                select(AgendaItem.registration_id, ProgramSession.starts_at, ProgramSession.ends_at).join(
                    ProgramSession, ProgramSession.id == AgendaItem.session_id
                )
            )
        ).all()
        reserved = dict(
            (
                await db_session.execute(
                    select(AgendaItem.session_id, func.count())
                    .where(AgendaItem.reserved.is_(True))
                    .group_by(AgendaItem.session_id)
                )
            )
            .tuples()
            .all()
        )
        sessions = (
            await db_session.execute(
                select(ProgramSession.id, ProgramSession.seats_taken, ProgramSession.capacity, Room.capacity).outerjoin(
                    Room, Room.id == ProgramSession.room_id
                )
            )
        ).all()
        feeds = await db_session.scalar(select(func.count()).select_from(AgendaFeed))

    per_person: dict[uuid.UUID, list[tuple[dt.datetime, dt.datetime]]] = {}
    for registration_id, starts, ends in rows:
        per_person.setdefault(registration_id, []).append((starts, ends))
    assert len(per_person) == feeds == 40
    assert Counter(len(v) for v in per_person.values()) == {20: 40}
    for picks in per_person.values():
        picks.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(picks))
    for session_id, seats_taken, own, room in sessions:
        assert seats_taken == reserved.get(session_id, 0)
        limit = own if own is not None else room
        assert limit is None or seats_taken <= limit


async def test_a_demo_agenda_feed_opens(seeded: Settings, app: Litestar) -> None:
    async with db_session_for(seeded) as db_session:
        feed = await db_session.scalar(select(AgendaFeed).order_by(AgendaFeed.id).limit(1))
        assert feed is not None
        registration = await db_session.get_one(Registration, feed.registration_id)
    token = agenda_token(seeded.secret_key, feed.id, feed.version, registration.secret_version)
    async with AsyncTestClient(app) as client:
        response = await client.get(f"/api/agenda/{token}.ics")
    assert response.status_code == 200
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 20
