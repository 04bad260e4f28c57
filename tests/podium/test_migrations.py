"""The schema comes only from Alembic: it upgrades, downgrades and upgrades again on this run's database
(SQLite or PostgreSQL), and the models never drift from the migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import anyio.to_thread
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from podium.db import create_engine
from podium.jobs.schema import not_queue_object
from podium.main.cli import downgrade, migrate
from podium.main.models import metadata
from podium.settings import Settings
from tests.conftest import make_settings

REPO = Path(__file__).resolve().parents[2]
EXPECTED = {
    "event",
    "room",
    "track",
    "user_account",
    "auth_token",
    "rate_limit",
    "login_address",
    "reg_order",
    "registration",
    "quota",
}


async def _tables(settings: Settings) -> set[str]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": connection.dialect.name != "sqlite",
            "render_as_batch": True,
            "include_object": not_queue_object,
        },
    )
    return compare_metadata(context, metadata)


async def _model_drift(settings: Settings) -> list[object]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_diff)
    finally:
        await engine.dispose()


@pytest.fixture
def fresh(empty_database_url: str, tmp_path: Path) -> Settings:
    return make_settings(empty_database_url, tmp_path)


async def test_upgrade_downgrade_upgrade(fresh: Settings) -> None:
    await _run(migrate, fresh, "head")
    after_upgrade = await _tables(fresh)
    await _run(downgrade, fresh, "base")
    after_downgrade = await _tables(fresh)
    await _run(migrate, fresh, "head")
    again = await _tables(fresh)

    assert after_upgrade >= EXPECTED
    assert after_downgrade <= {"alembic_version"}
    assert again == after_upgrade


async def test_models_match_the_migrations(fresh: Settings) -> None:
    await _run(migrate, fresh, "head")

    assert await _model_drift(fresh) == []


def test_plain_alembic_upgrade_migrates_the_database_url(fresh: Settings) -> None:
    downgrade(fresh, "base")  # the module's database may have been migrated by the tests above
    env = {**os.environ, "DATABASE_URL": fresh.database_url, "PODIUM_DATA_DIR": str(fresh.data_dir)}

    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"], cwd=REPO, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert "Running upgrade  -> " in result.stderr


async def _run(step: Callable[[Settings, str], None], settings: Settings, revision: str) -> None:
    """Alembic's env.py runs its own event loop, so migrations run in a worker thread here."""
    await anyio.to_thread.run_sync(step, settings, revision)
