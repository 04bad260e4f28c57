"""Demo personal agendas: for a size knob's worth of the Annual Meeting's paid attendees, about twenty
sessions each (a few per day, never two at once), with seats reserved where seats are limited and within
each room's capacity, plus each agenda's private feed. Deterministic, bulk-inserted."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from demo.program import stable_id
from events.models import Event, Room
from registration.models import Registration
from sessions.models import AgendaFeed, AgendaItem, ProgramSession

PICKS_PER_AGENDA = 20
STAMP = dt.datetime(2026, 11, 12, 9, 0, tzinfo=dt.UTC)


async def seed_agendas(db_session: AsyncSession, event: Event, count: int) -> int:
    """Agendas for the first ``count`` confirmed registrations (by id); returns how many got one."""
    if count <= 0:
        return 0
    registrations = (
        await db_session.scalars(
            select(Registration.id)
            .where(Registration.event_id == event.id, Registration.status == "confirmed")
            .order_by(Registration.id)
            .limit(count)
        )
    ).all()
    choices, capacity = await _choices(db_session, event)
    taken: dict[uuid.UUID, int] = defaultdict(int)
    items, feeds = [], []
    for registration_id in registrations:
        items += _pick(registration_id, choices, capacity, taken)
        feeds.append(
            {
                "id": stable_id("agenda-feed", registration_id),
                "registration_id": registration_id,
                "version": 1,
                "created_at": STAMP,
                "updated_at": STAMP,
            }
        )
    for start in range(0, len(items), 5000):
        await db_session.execute(insert(AgendaItem), items[start : start + 5000])
    for start in range(0, len(feeds), 5000):
        await db_session.execute(insert(AgendaFeed), feeds[start : start + 5000])
    for session_id, seats in taken.items():
        await db_session.execute(
            update(ProgramSession)
            .where(ProgramSession.id == session_id)
            .values(seats_taken=ProgramSession.seats_taken + seats)
            .execution_options(synchronize_session=False)
        )
    return len(registrations)


async def _choices(db_session: AsyncSession, event: Event) -> tuple[list[Row[Any]], dict[uuid.UUID, int | None]]:
    """The sessions an attendee may pick, in start order, and each one's seat limit (its own, else its room's)."""
    rooms = dict(
        (await db_session.execute(select(Room.id, Room.capacity).where(Room.event_id == event.id))).tuples().all()
    )
    sessions = (
        await db_session.execute(
            select(
                ProgramSession.id,
                ProgramSession.starts_at,
                ProgramSession.ends_at,
                ProgramSession.capacity,
                ProgramSession.room_id,
                ProgramSession.required_add_on_id,
            )
            .where(
                ProgramSession.event_id == event.id,
                ProgramSession.status == "published",
                ProgramSession.kind.not_in(["break"]),
            )
            .order_by(ProgramSession.starts_at, ProgramSession.id)
        )
    ).all()
    # Workshops need their add-on, which demo attendees didn't buy: they stay out of demo agendas.
    choices = [s for s in sessions if s.required_add_on_id is None]
    capacity = {s.id: s.capacity if s.capacity is not None else rooms.get(s.room_id) for s in choices}
    return choices, capacity


def _pick(
    registration_id: uuid.UUID,
    choices: list[Row[Any]],
    capacity: dict[uuid.UUID, int | None],
    taken: dict[uuid.UUID, int],
) -> list[dict[str, object]]:
    """One attendee's agenda items: a seeded sample, skipping overlaps and full sessions; counts seats in ``taken``."""
    chooser = random.Random(str(registration_id))  # noqa: S311 - demo data, reproducible on purpose
    picked: list[tuple[dt.datetime, dt.datetime]] = []
    items: list[dict[str, object]] = []
    for candidate in chooser.sample(choices, min(len(choices), PICKS_PER_AGENDA * 4)):
        if len(picked) == PICKS_PER_AGENDA:
            break
        if any(candidate.starts_at < end and start < candidate.ends_at for start, end in picked):
            continue
        limit = capacity[candidate.id]
        if limit is not None and taken[candidate.id] >= limit:
            continue
        if limit is not None:
            taken[candidate.id] += 1
        picked.append((candidate.starts_at, candidate.ends_at))
        items.append(
            {
                "id": stable_id("agenda", registration_id, candidate.id),
                "registration_id": registration_id,
                "session_id": candidate.id,
                "reserved": limit is not None,
                "created_at": STAMP,
                "updated_at": STAMP,
            }
        )
    return items
