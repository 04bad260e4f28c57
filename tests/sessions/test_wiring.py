"""Importing the program wires nothing: the composition root attaches the one flush hook it needs to the session
makers it builds (``podium.main.unit_of_work``), never to SQLAlchemy's global ``Session``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from uuid import UUID

from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from podium import db
from podium.auth.middleware import SESSION_MAKER_STATE_KEY
from podium.main import unit_of_work
from podium.settings import Settings
from registration.links.tokens import registration_secret
from registration.models import Registration
from sessions import hooks
from sessions.models import ProgramSession
from tests.asgi_client import Client
from tests.sessions.factories import build_program_event, confirmed_attendees, create_session

ROOT = Path(__file__).resolve().parents[2]

# Imports every module of the sessions package, then prints which of its listeners are on ``Session``.
_PROBE = """
import importlib, pkgutil, sys
import sessions
for module in pkgutil.iter_modules(sessions.__path__):
    importlib.import_module(f"sessions.{module.name}")
from sqlalchemy import event
from sqlalchemy.orm import Session
from sessions import hooks
def installed():
    return [name for name, listener in hooks.LISTENERS if event.contains(Session, name, listener)]
print(",".join(installed()) or "none")
if sys.argv[1:] == ["app"]:
    from podium.db import create_engine
    from podium.main.app import create_app
    from podium.main.unit_of_work import session_maker
    from podium.settings import Settings
    create_app()
    create_app()
    session_maker(create_engine(Settings.from_env()))
    print(",".join(installed()) or "none")
"""


def _probe(*args: str) -> list[str]:
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite+aiosqlite:///:memory:"},
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.split()


def _listening(maker: async_sessionmaker[AsyncSession]) -> list[bool]:
    return [db.runs_hook(maker(), name, listener) for name, listener in hooks.LISTENERS]


def test_importing_sessions_installs_no_session_listener() -> None:
    assert _probe() == ["none"]


def test_building_the_app_and_the_jobs_maker_installs_nothing_on_every_session() -> None:
    before, after = _probe("app")

    assert (before, after) == ("none", "none")


async def test_the_app_s_and_the_composed_makers_release_seats_the_kernel_s_alone_does_not(
    app: Litestar, settings: Settings
) -> None:
    engine = db.create_engine(settings)

    on_app = _listening(app.state[SESSION_MAKER_STATE_KEY])
    on_composed = _listening(unit_of_work.session_maker(engine))
    on_kernel = _listening(db.session_maker(engine))
    await engine.dispose()

    assert on_app == on_composed == [True, True, True]
    assert on_kernel == [False, False, False]


async def _cancel(maker: async_sessionmaker[AsyncSession], registration_id: UUID) -> None:
    async with maker() as db_session:
        (await db_session.get_one(Registration, registration_id)).status = "cancelled"
        await db_session.commit()


async def _seats_taken(maker: async_sessionmaker[AsyncSession], session_id: str) -> int | None:
    async with maker() as db_session:
        return await db_session.scalar(select(ProgramSession.seats_taken).where(ProgramSession.id == UUID(session_id)))


async def test_a_registration_cancelled_in_a_composed_session_gives_its_seat_back(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    program = await build_program_event(settings)
    session_id = await create_session(client, organizer, program, capacity=2, room_id=str(program.rooms["Hall A"]))
    people = await confirmed_attendees(settings, program.event_id, 2)
    for person in people:
        secret = {"X-Registration-Secret": registration_secret(settings.secret_key, person, 1)}
        url = f"/api/registrations/{person}/agenda"
        picked = await client.post(url, json={"session_id": session_id}, headers=secret)
        assert picked.status_code == 200, picked.text
    engine = db.create_engine(settings)
    composed, kernel_only = unit_of_work.session_maker(engine), db.session_maker(engine)

    try:
        await _cancel(kernel_only, people[0])
        after_kernel_only = await _seats_taken(composed, session_id)
        await _cancel(composed, people[1])
        after_composed = await _seats_taken(composed, session_id)
    finally:
        await engine.dispose()

    assert (after_kernel_only, after_composed) == (2, 1)
