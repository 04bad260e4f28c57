"""The event's program version, the one fingerprint behind every cached program answer and feed: the
database's triggers move it on each public change to sessions, speakers and their links, rooms and tracks,
whichever path writes (API or raw SQL), and leave it alone for drafts and for agenda seats. Run on this run's
database (SQLite or PostgreSQL), so a migration that drops a trigger fails here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select, update

from events.models import Event, Room
from podium.settings import Settings
from registration.links.tokens import registration_secret
from sessions.models import ProgramSession
from tests.asgi_client import Client
from tests.registration.factories import db_session_for
from tests.sessions.factories import ProgramEvent, build_program_event, confirmed_attendees, create_session


@pytest.fixture
async def program(settings: Settings) -> ProgramEvent:
    return await build_program_event(settings)


async def version(settings: Settings, program: ProgramEvent) -> tuple[int, dt.datetime | None]:
    async with db_session_for(settings) as db_session:
        row = (
            await db_session.execute(
                select(Event.program_version, Event.program_changed_at).where(Event.id == program.event_id)
            )
        ).one()
        return row[0], row[1]


async def moves(settings: Settings, program: ProgramEvent, change: Callable[[], Awaitable[Any]]) -> bool:
    before, _ = await version(settings, program)
    await change()
    after, _ = await version(settings, program)
    assert after >= before
    return after > before


async def new_session(client: Client, organizer: dict[str, str], program: ProgramEvent, **fields: Any) -> str:
    return await create_session(client, organizer, program, **({"room_id": str(program.rooms["Hall A"])} | fields))


async def test_every_public_program_change_moves_the_version(
    client: Client, organizer: dict[str, str], program: ProgramEvent, settings: Settings
) -> None:
    api = f"/api/events/{program.slug}"
    session_id = ""
    speaker_id = ""

    async def add_session() -> None:
        nonlocal session_id
        session_id = await new_session(client, organizer, program)

    async def add_speaker() -> None:
        nonlocal speaker_id
        body = {"name": "Emmy Noether", "affiliation": "Göttingen", "email": "emmy@example.org"}
        response = await client.post(f"{api}/speakers", json=body, headers=organizer)
        assert response.status_code == 201, response.text
        speaker_id = response.json()["id"]

    async def call(method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await client.request(method, url, json=body, headers=organizer)
        assert response.is_success, response.text
        return dict(response.json()) if response.content else {}

    async def add_room() -> None:
        rooms.append((await call("POST", f"{api}/rooms", {"name": "Annex", "capacity": 20}))["id"])

    room, track = program.rooms["Room 101"], program.tracks["Health Policy"]
    rooms: list[str] = []
    assert await moves(settings, program, add_session)
    assert await moves(settings, program, lambda: call("PATCH", f"/api/sessions/{session_id}", {"title": "Cells"}))
    assert await moves(settings, program, add_speaker)
    link = {"speaker_ids": [speaker_id]}
    assert await moves(settings, program, lambda: call("PATCH", f"/api/sessions/{session_id}", link))
    rename = {"name": "Amalie Noether"}
    assert await moves(settings, program, lambda: call("PATCH", f"{api}/speakers/{speaker_id}", rename))
    assert await moves(settings, program, lambda: call("PATCH", f"{api}/rooms/{room}", {"name": "Room 102"}))
    assert await moves(settings, program, lambda: call("PATCH", f"{api}/tracks/{track}", {"name": "Policy"}))
    assert await moves(settings, program, add_room)
    assert await moves(settings, program, lambda: call("DELETE", f"{api}/rooms/{rooms[0]}"))
    assert await moves(settings, program, lambda: call("POST", f"/api/sessions/{session_id}/cancel", {}))


async def test_raw_sql_writes_move_it_too_with_a_timestamp(program: ProgramEvent, settings: Settings) -> None:
    """A write that bypasses the services (an import, a fix by hand) still invalidates every cache."""
    before, _ = await version(settings, program)
    start = dt.datetime.now(dt.UTC)
    async with db_session_for(settings) as db_session:
        await db_session.execute(update(Room).where(Room.id == program.rooms["Hall A"]).values(name="Great Hall"))
        await db_session.commit()
    after, changed_at = await version(settings, program)

    assert after == before + 1
    assert changed_at is not None
    assert start - dt.timedelta(seconds=5) <= changed_at <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)


async def test_drafts_and_agenda_seats_leave_it_alone(
    client: Client, organizer: dict[str, str], program: ProgramEvent, settings: Settings
) -> None:
    draft = await new_session(client, organizer, program, status="draft", title="Secret", room_id=None)
    plenary = await new_session(client, organizer, program, title="Plenary")  # Hall A: 300 seats
    [person] = await confirmed_attendees(settings, program.event_id, 1)
    agenda = f"/api/registrations/{person}/agenda"
    me = {"X-Registration-Secret": registration_secret(settings.secret_key, person, 1)}

    async def pick() -> None:
        response = await client.post(agenda, json={"session_id": plenary}, headers=me)
        assert response.status_code == 200, response.text

    async def edit_draft() -> None:
        response = await client.patch(f"/api/sessions/{draft}", json={"title": "Still secret"}, headers=organizer)
        assert response.status_code == 200, response.text

    assert not await moves(settings, program, edit_draft)
    assert not await moves(settings, program, pick)
    async with db_session_for(settings) as db_session:
        seats = await db_session.scalar(select(ProgramSession.seats_taken).where(ProgramSession.id == UUID(plenary)))
    assert seats == 1
    assert await moves(
        settings,
        program,
        lambda: client.post(f"/api/sessions/{draft}/publish", headers=organizer),
    )


async def test_a_cached_answer_follows_a_change_made_by_raw_sql(
    client: Client, organizer: dict[str, str], program: ProgramEvent, settings: Settings
) -> None:
    """The list, the page and the program feed were cached before the change (on this worker; the JSON and the
    feed in the client too); each answers anew after it."""
    await new_session(client, organizer, program, title="Plenary")
    urls = [
        f"/api/events/{program.slug}/sessions",
        f"/events/{program.slug}/program?day=2027-03-14",
        f"/api/events/{program.slug}/program.ics",
    ]
    first = {url: await client.get(url) for url in urls}
    async with db_session_for(settings) as db_session:
        await db_session.execute(update(Room).where(Room.id == program.rooms["Hall A"]).values(name="Great Hall"))
        await db_session.commit()
    again = {url: await client.get(url, headers=_copy_held(first[url])) for url in urls}

    for url in urls:
        assert first[url].status_code == 200, url
        assert "Hall A" in first[url].text and "Great Hall" not in first[url].text, url
        assert again[url].status_code == 200, url
        assert "Great Hall" in again[url].text, url


def _copy_held(response: httpx.Response) -> dict[str, str]:
    return {"If-None-Match": response.headers["etag"]} if "etag" in response.headers else {}
