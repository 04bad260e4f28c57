"""Shared fixtures: a fresh, Alembic-migrated database per test module (SQLite by default, PostgreSQL when
DATABASE_URL names one), an app built from test settings, and logged-in organizer/staff tokens."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from litestar import Litestar
from sqlalchemy.engine import make_url

from podium.auth import services as auth_services
from podium.auth.schemas import UserCreate
from podium.db import create_engine, session_maker
from podium.main.app import create_app
from podium.main.cli import migrate
from podium.main.mail_wiring import install_mail
from podium.main.unit_of_work import install_audited_entities
from podium.settings import Settings
from tests.asgi_client import Client, app_client

ORGANIZER_PASSWORD = "organizer-password-123"
STAFF_PASSWORD = "staff-password-12345"


def postgres_base_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


async def _create_pg_database(base_url: str, name: str) -> None:
    import asyncpg

    admin = make_url(base_url).set(drivername="postgresql")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_pg_database(base_url: str, name: str) -> None:
    import asyncpg

    admin = make_url(base_url).set(drivername="postgresql")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session", autouse=True)
def composition_installed() -> None:
    """What every process installs at start: the mail registries (``podium.main.mail_wiring``) and the audited
    entities (``podium.main.unit_of_work``), for tests that preview, render or drain mail, or record audit
    entries on the kernel's session maker, without building an app (run alone, they would see empty tables)."""
    install_mail()
    install_audited_entities()


def _new_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database nobody has touched: a new SQLite file, or a new PostgreSQL database on the server."""
    base = postgres_base_url()
    if base is None:
        return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'podium.db'}"
    name = f"podium_t_{secrets.token_hex(6)}"
    asyncio.run(_create_pg_database(base, name))
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    base = postgres_base_url()
    if base is not None:
        asyncio.run(_drop_pg_database(base, str(make_url(url).database)))


@pytest.fixture(scope="module")
def empty_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database nobody has touched, for the tests of the migrations themselves."""
    url = _new_database_url(tmp_path_factory)
    try:
        yield url
    finally:
        _drop_database(url)


@pytest.fixture(scope="session")
def migrated_template_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database per test process, created by running every Alembic migration; each module's database is a
    copy of it. Migrating takes 1.5 s, copying a few milliseconds: over two hundred modules on two engines,
    that was ten minutes of CI."""
    url = _new_database_url(tmp_path_factory)
    migrate(make_settings(url, tmp_path_factory.mktemp("template-data")), "head")
    try:
        yield url
    finally:
        _drop_database(url)


async def _copy_pg_database(base_url: str, template: str, name: str) -> None:
    import asyncpg

    admin = make_url(base_url).set(drivername="postgresql")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def migrated_database_url(migrated_template_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's own migrated database: a copy of the process's template (SQLite's backup API, or
    PostgreSQL's ``CREATE DATABASE … TEMPLATE``), so no module sees another's rows."""
    base = postgres_base_url()
    if base is None:
        path = tmp_path_factory.mktemp("db") / "podium.db"
        source = sqlite3.connect(str(make_url(migrated_template_url).database))
        target = sqlite3.connect(str(path))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"podium_t_{secrets.token_hex(6)}"
    asyncio.run(_copy_pg_database(base, str(make_url(migrated_template_url).database), name))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_drop_pg_database(base, name))


def without_abuse_limits(settings: Settings) -> Settings:
    """Tests place many orders from one address and buyer; the abuse limits' own tests set them small."""
    return dataclasses.replace(
        settings,
        order_limit_per_address=1_000_000,
        order_limit_per_email=1_000_000,
        waitlist_limit_per_address=1_000_000,
        waitlist_limit_per_email=1_000_000,
        login_limit_per_address=1_000_000,
        sign_in_limit_per_email=1_000_000,
        sign_in_limit_per_address=1_000_000,
        open_holds_per_email=1_000_000,
        open_holds_per_address=1_000_000,
        link_mails_per_link=1_000_000,
    )


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    # No background jobs in in-process apps: tests run sweeps and mail drains themselves, or the due jobs
    # (tests/jobs.py), when they mean to.
    base = Settings(
        database_url=database_url,
        secret_key=secrets.token_urlsafe(48),
        environment="test",
        data_dir=data_dir,
        hold_sweep_seconds=0,
        mail_drain_seconds=0,
        refund_send_seconds=0,
        web_runs_jobs=False,
        job_retry_backoff_seconds=0,
        freeze_heap_at_startup=False,
    )
    return dataclasses.replace(without_abuse_limits(base), **overrides)


@pytest.fixture(scope="module")
def settings(migrated_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for a migrated database; migrations are the only way the schema is created."""
    return make_settings(migrated_database_url, tmp_path_factory.mktemp("data"))


async def _make_user(settings: Settings, role: Literal["organizer", "staff"], password: str) -> str:
    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db_session:
            email = f"{role}-{secrets.token_hex(4)}@podium.test"
            user = await auth_services.create_user(
                db_session, UserCreate(email=email, display_name=f"Test {role}", password=password, role=role)
            )
            token, _ = await auth_services.issue_token(db_session, user, settings)
            await db_session.commit()
            return token
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def organizer_token(settings: Settings) -> str:
    return asyncio.run(_make_user(settings, "organizer", ORGANIZER_PASSWORD))


@pytest.fixture(scope="module")
def staff_token(settings: Settings) -> str:
    return asyncio.run(_make_user(settings, "staff", STAFF_PASSWORD))


@pytest.fixture
def organizer(organizer_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {organizer_token}"}


@pytest.fixture
def staff(staff_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {staff_token}"}


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[Client]:
    """Requests gathered on this client really run concurrently (``tests.asgi_client``)."""
    async with app_client(app) as test_client:
        yield test_client
