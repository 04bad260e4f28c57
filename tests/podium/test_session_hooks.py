"""The kernel's session hooks (jobs woken after commit, audit entries' event ids) live on the unit of work's
session makers, not on SQLAlchemy's global ``Session``, and importing their modules installs nothing (issue 15)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from podium import audit, db
from podium.audit_models import AuditEntry
from podium.jobs import kicks
from podium.main import unit_of_work
from podium.outbox import SEND_MAIL_JOB
from podium.settings import Settings
from tests.registration.factories import build_catalog

ROOT = Path(__file__).resolve().parents[2]
KERNEL_LISTENERS = (*kicks.LISTENERS, *audit.LISTENERS)

# Imports the hooks' modules, builds the app and every kind of session maker, and prints after each step which
# of the kernel's listeners are on the global ``Session``.
_PROBE = """
from sqlalchemy import event
from sqlalchemy.orm import Session
from podium.jobs import kicks
from podium import audit
listeners = (*kicks.LISTENERS, *audit.LISTENERS)
def installed():
    return ",".join(name for name, fn in listeners if event.contains(Session, name, fn)) or "none"
print(installed())
import sessions.hooks, badges.hooks
from podium.db import create_engine, session_maker
from podium.main import unit_of_work
from podium.main.app import create_app
from podium.settings import Settings
create_app()
engine = create_engine(Settings.from_env())
session_maker(engine)
unit_of_work.session_maker(engine)
print(installed())
"""


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(settings)
    yield engine
    await engine.dispose()


def _listening(maker: async_sessionmaker[AsyncSession]) -> list[bool]:
    return [db.runs_hook(maker(), name, fn) for name, fn in KERNEL_LISTENERS]


def test_importing_the_hooks_and_building_makers_installs_nothing_on_every_session() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite+aiosqlite:///:memory:"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["none", "none"]


async def test_each_maker_gets_the_kernel_s_hooks_once_and_a_plain_maker_none(engine: AsyncEngine) -> None:
    maker = db.session_maker(engine)
    db.install_kernel_hooks(maker)  # again: still one listener each
    plain: async_sessionmaker[AsyncSession] = async_sessionmaker(engine)

    session = maker().sync_session

    assert list(session.dispatch.after_commit) == [kicks._after_commit]
    assert _listening(maker) == [True] * len(KERNEL_LISTENERS)
    assert _listening(plain) == [False] * len(KERNEL_LISTENERS)
    assert type(session) is not type(db.session_maker(engine)().sync_session)


async def test_makers_made_and_dropped_one_after_another_each_get_the_hooks(engine: AsyncEngine) -> None:
    """A new maker is often born where a dropped one was (SQLAlchemy's ``event.contains`` took it for the old)."""
    hooked = [kicks._after_commit in db.session_maker(engine)().sync_session.dispatch.after_commit for _ in range(200)]

    assert hooked == [True] * 200


async def test_a_kick_wakes_its_job_after_commit_and_not_after_rollback(engine: AsyncEngine) -> None:
    woken: list[set[str]] = []
    kicks.register_kicker(engine, woken.append)

    try:
        async with db.session_maker(engine)() as db_session:
            kicks.kick_after_commit(db_session, SEND_MAIL_JOB)
            await db_session.rollback()
            after_rollback = list(woken)
            kicks.kick_after_commit(db_session, SEND_MAIL_JOB)
            await db_session.commit()
    finally:
        kicks.unregister_kicker(engine)

    assert (after_rollback, woken) == ([], [{SEND_MAIL_JOB}])


async def test_an_entry_recorded_without_its_event_gets_it_in_a_kernel_session(engine: AsyncEngine) -> None:
    unit_of_work.install_audited_entities()  # what the composition root does at start; the kernel has none of its own
    async with db.session_maker(engine)() as db_session:
        catalog = await build_catalog(db_session)
        entry = audit.record(db_session, "category", catalog.member.id, None, "noted", audit.JOB)
        await db_session.commit()

    async with db.session_maker(engine)() as db_session:
        stored = await db_session.scalar(select(AuditEntry.event_id).where(AuditEntry.id == entry.id))
    assert stored == catalog.event_id


async def test_a_session_without_the_hooks_is_refused_what_would_be_lost(engine: AsyncEngine) -> None:
    unit_of_work.install_audited_entities()
    async with AsyncSession(engine) as bare, db.session_maker(engine)() as db_session:
        catalog = await build_catalog(db_session)
        await db_session.commit()

        with pytest.raises(RuntimeError, match=r"podium\.db's session makers"):
            kicks.kick_after_commit(bare, SEND_MAIL_JOB)
        with pytest.raises(RuntimeError, match=r"podium\.db's session makers"):
            audit.record(bare, "category", catalog.member.id, None, "noted", audit.JOB)
        given = audit.record(bare, "category", catalog.member.id, None, "noted", audit.JOB, event_id=catalog.event_id)

        assert given.event_id == catalog.event_id


_ENTITIES_PROBE = """
import importlib, pkgutil
import registration
for module in pkgutil.walk_packages(registration.__path__, "registration."):
    importlib.import_module(module.name)
from podium import audit
print(",".join(sorted(audit._EVENT_OF)) or "none")
from podium.db import create_engine
from podium.main import unit_of_work
from podium.settings import Settings
unit_of_work.session_maker(create_engine(Settings.from_env()))
print(",".join(sorted(audit._EVENT_OF)) or "none")
"""


def test_registration_s_audited_entities_are_installed_by_the_composition_root_not_by_an_import() -> None:
    from registration.audit.services import AUDITED_ENTITIES

    completed = subprocess.run(
        [sys.executable, "-c", _ENTITIES_PROBE],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite+aiosqlite:///:memory:"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    after_imports, after_maker = completed.stdout.split()
    assert after_imports == "none"
    assert after_maker.split(",") == sorted(AUDITED_ENTITIES)
