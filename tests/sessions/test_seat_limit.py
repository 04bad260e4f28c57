"""The seats a session may give out: its own capacity, else its room's. Whatever changes that limit (the
session's capacity, its room, the room's capacity, a CSV import) can't go below the seats already reserved,
and picks racing a change never end above it."""

from __future__ import annotations

import asyncio
import csv
import io
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from podium.settings import Settings
from sessions.capacity import seat_limit
from sessions.models import ProgramSession
from tests.asgi_client import Client
from tests.registration.factories import db_session_for
from tests.sessions.factories import ProgramEvent, build_program_event, confirmed_attendees
from tests.sessions.test_agenda import assert_problem, published, seats_taken, secret_of


async def _small_room(client: Client, organizer: dict[str, str], program: ProgramEvent, capacity: int) -> str:
    made = await client.post(
        f"/api/events/{program.slug}/rooms", json={"name": "Seminar room", "capacity": capacity}, headers=organizer
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def _pick(client: Client, settings: Settings, person: UUID, session_id: str) -> httpx.Response:
    return await client.post(
        f"/api/registrations/{person}/agenda", json={"session_id": session_id}, headers=secret_of(settings, person)
    )


async def test_a_room_cannot_shrink_below_the_seats_reserved_in_its_sessions(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    program = await build_program_event(settings)
    room = await _small_room(client, organizer, program, 3)
    session_id = await published(client, organizer, program, room_id=room)
    people = await confirmed_attendees(settings, program.event_id, 3)
    for person in people[:2]:
        assert (await _pick(client, settings, person, session_id)).status_code == 200

    shrunk = await client.patch(f"/api/events/{program.slug}/rooms/{room}", json={"capacity": 1}, headers=organizer)

    assert_problem(shrunk, 409, "capacity")
    assert "has more seats reserved than 1" in shrunk.json()["detail"]
    rooms = (await client.get(f"/api/events/{program.slug}", headers=organizer)).json()["rooms"]
    assert next(r["capacity"] for r in rooms if r["id"] == room) == 3

    exact = await client.patch(f"/api/events/{program.slug}/rooms/{room}", json={"capacity": 2}, headers=organizer)
    assert exact.status_code == 200, exact.text
    full = await _pick(client, settings, people[2], session_id)
    assert_problem(full, 409, "session_id", "session_full")
    assert await seats_taken(settings, session_id) == 2


async def test_a_session_with_its_own_capacity_ignores_its_room_shrinking(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    program = await build_program_event(settings)
    room = await _small_room(client, organizer, program, 5)
    session_id = await published(client, organizer, program, room_id=room, capacity=2)
    people = await confirmed_attendees(settings, program.event_id, 2)
    for person in people:
        assert (await _pick(client, settings, person, session_id)).status_code == 200

    shrunk = await client.patch(f"/api/events/{program.slug}/rooms/{room}", json={"capacity": 1}, headers=organizer)

    assert shrunk.status_code == 200, shrunk.text
    assert await seats_taken(settings, session_id) == 2


async def test_a_room_shrinking_while_people_pick_never_leaves_more_seats_taken_than_it_holds(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    program = await build_program_event(settings)
    room = await _small_room(client, organizer, program, 30)
    session_id = await published(client, organizer, program, room_id=room)
    people = await confirmed_attendees(settings, program.event_id, 30)

    async def shrink() -> httpx.Response:
        return await client.patch(f"/api/events/{program.slug}/rooms/{room}", json={"capacity": 10}, headers=organizer)

    answers = await asyncio.gather(*(_pick(client, settings, p, session_id) for p in people), shrink())

    shrunk = answers[-1]
    taken = await seats_taken(settings, session_id)
    rooms = (await client.get(f"/api/events/{program.slug}", headers=organizer)).json()["rooms"]
    holds = next(r["capacity"] for r in rooms if r["id"] == room)
    assert taken <= holds
    assert shrunk.status_code in (200, 409), shrunk.text
    assert holds == (10 if shrunk.status_code == 200 else 30)
    assert sum(a.status_code == 200 for a in answers[:-1]) == taken


async def test_a_csv_import_cannot_move_reserved_seats_into_a_smaller_room(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    program = await build_program_event(settings)
    await _small_room(client, organizer, program, 1)
    session_id = await published(client, organizer, program)  # Hall A, 300 seats
    for person in await confirmed_attendees(settings, program.event_id, 2):
        assert (await _pick(client, settings, person, session_id)).status_code == 200
    exported = (await client.get(f"/api/events/{program.slug}/sessions.csv", headers=organizer)).text
    rows = list(csv.DictReader(io.StringIO(exported)))
    rows[0]["room"] = "Seminar room"
    edited = io.StringIO()
    writer = csv.DictWriter(edited, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)

    moved = await client.post(
        f"/api/events/{program.slug}/sessions.csv",
        content=edited.getvalue().encode(),
        headers={**organizer, "Content-Type": "text/csv"},
    )

    assert moved.status_code == 422, moved.text
    assert [(e["field"], e["message"]) for e in moved.json()["errors"]] == [
        ("line 2: room", "2 seats are reserved; that leaves 1")
    ]
    assert await seats_taken(settings, session_id) == 2


@pytest.mark.parametrize(
    ("own", "room", "expected"),
    [(None, None, None), (None, "Hall A", 300), (12, "Hall A", 12), (7, None, 7), (0, "Room 101", 0)],
)
async def test_the_database_keeps_the_limit_the_rule_gives(
    client: Client,
    organizer: dict[str, str],
    settings: Settings,
    own: int | None,
    room: str | None,
    expected: int | None,
) -> None:
    """The column the picks compare against and ``sessions.capacity.seat_limit`` agree, after a session is
    made, moved, and its room resized."""
    program = await build_program_event(settings)
    room_id = str(program.rooms[room]) if room else None
    session_id = await published(client, organizer, program, room_id=room_id, capacity=own)

    assert await _limit_in_database(settings, session_id) == expected == seat_limit(own, 300 if room else None)
    resized = await client.patch(
        f"/api/events/{program.slug}/rooms/{program.rooms['Room 101']}", json={"capacity": 45}, headers=organizer
    )
    assert resized.status_code == 200, resized.text
    moved = await client.patch(
        f"/api/sessions/{session_id}",
        json={"room_id": str(program.rooms["Room 101"]), "override_conflicts": True},
        headers=organizer,
    )
    assert moved.status_code == 200, moved.text
    assert await _limit_in_database(settings, session_id) == seat_limit(own, 45) == moved.json()["effective_capacity"]


async def _limit_in_database(settings: Settings, session_id: str) -> int | None:
    async with db_session_for(settings) as db_session:
        return await db_session.scalar(select(ProgramSession.seat_limit).where(ProgramSession.id == UUID(session_id)))
