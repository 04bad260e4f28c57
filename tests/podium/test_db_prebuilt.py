"""Prebuilt statements answer alike on every path: straight to asyncpg (PostgreSQL in autocommit, or on a
connection ``pooled`` lends) or through SQLAlchemy (SQLite, or inside a transaction, where they must see the
transaction's own writes); a lent connection always goes back to the pool, a broken one is replaced."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from typing import cast
from uuid import UUID, uuid4

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import QueuePool

from events.models import Event
from podium.db import create_engine
from podium.db_prebuilt import Driver, Prebuilt, pooled
from podium.settings import Settings

_event = Event.metadata.tables[Event.__tablename__]
_BY_SLUG = Prebuilt(
    select(_event.c.id, _event.c.name, _event.c.start_date, _event.c.updated_at).where(
        _event.c.slug == bindparam("slug"), _event.c.status == "draft"
    )
)
_RENAME = Prebuilt(text("UPDATE event SET name = :name WHERE slug = :slug"))
_RESLUG = Prebuilt(text("UPDATE event SET slug = :new WHERE slug = :slug"))
_BACKEND = Prebuilt(text("SELECT pg_backend_pid() AS pid"))


def _checked_out(engine: AsyncEngine) -> int:
    return cast(QueuePool, engine.pool).checkedout()


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


async def _insert_event(connection: AsyncConnection, slug: str) -> UUID:
    event_id = uuid4()
    now = dt.datetime.now(dt.UTC)
    await connection.execute(
        _event.insert().values(
            id=event_id, slug=slug, name="Prebuilt Meeting", kind="workshop", timezone="UTC", venue="Hall",
            city="Basel", currency="CHF", start_date=dt.date(2027, 5, 3), end_date=dt.date(2027, 5, 4),
            status="draft", created_at=now, updated_at=now,
        )
    )  # fmt: skip
    return event_id


async def test_a_row_reads_the_same_in_autocommit_and_in_a_transaction(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        event_id = await _insert_event(connection, "prebuilt-read")

    async with engine.connect() as plain:
        in_transaction = await _BY_SLUG.first(plain, {"slug": "prebuilt-read"})
        await plain.rollback()
    async with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as autocommit:
        in_autocommit = await _BY_SLUG.first(autocommit, {"slug": "prebuilt-read"})
        missing = await _BY_SLUG.first(autocommit, {"slug": "no-such-meeting"})

    for row in (in_transaction, in_autocommit):
        assert (row.id, row.name, row.start_date) == (event_id, "Prebuilt Meeting", dt.date(2027, 5, 3))
        assert row.updated_at.utcoffset() == dt.timedelta(0)
        with pytest.raises(AttributeError):
            _ = row.no_such_column
    assert missing is None


async def test_inside_a_transaction_it_sees_the_transaction_s_own_writes(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await _insert_event(connection, "prebuilt-uncommitted")

        assert (await _BY_SLUG.first(connection, {"slug": "prebuilt-uncommitted"})).name == "Prebuilt Meeting"
        assert await _RENAME.rowcount(connection, {"name": "Renamed", "slug": "prebuilt-uncommitted"}) == 1
        await connection.rollback()

    async with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as autocommit:
        assert await _BY_SLUG.first(autocommit, {"slug": "prebuilt-uncommitted"}) is None


async def test_rowcount_counts_the_rows_written_in_autocommit(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await _insert_event(connection, "prebuilt-write")

    async with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as autocommit:
        renamed = await _RENAME.rowcount(autocommit, {"name": "Renamed Meeting", "slug": "prebuilt-write"})
        nothing = await _RENAME.rowcount(autocommit, {"name": "Nobody", "slug": "no-such-meeting"})
        await autocommit.commit()  # nothing to do on PostgreSQL; SQLite (never autocommit in the app) commits
    async with engine.connect() as connection:
        name = (await _BY_SLUG.first(connection, {"slug": "prebuilt-write"})).name

    assert (renamed, nothing, name) == (1, 0, "Renamed Meeting")


async def test_a_pooled_connection_writes_for_good_and_goes_back_to_the_pool(settings: Settings) -> None:
    engine = create_engine(dataclasses.replace(settings, db_pool_size=1))
    try:
        async with engine.begin() as connection:
            await _insert_event(connection, "prebuilt-pooled")

        async with pooled(engine) as lent:
            renamed = await _RENAME.rowcount(lent, {"name": "Lent Meeting", "slug": "prebuilt-pooled"})
            if isinstance(lent, AsyncConnection):
                await lent.commit()  # SQLite: an ordinary connection, whose writes need their commit
            checked_out = _checked_out(engine)
        async with engine.connect() as other:
            name = (await _BY_SLUG.first(other, {"slug": "prebuilt-pooled"})).name

        assert isinstance(lent, Driver) == (not settings.is_sqlite)
        assert (renamed, name, checked_out, _checked_out(engine)) == (1, "Lent Meeting", 1, 0)
    finally:
        await engine.dispose()


async def test_a_refused_write_raises_sqlalchemy_s_integrity_error_and_keeps_the_connection(settings: Settings) -> None:
    engine = create_engine(dataclasses.replace(settings, db_pool_size=1))
    try:
        async with engine.begin() as connection:
            await _insert_event(connection, "prebuilt-taken")
            await _insert_event(connection, "prebuilt-moving")

        with pytest.raises(IntegrityError):
            async with pooled(engine) as lent:
                await _RESLUG.rowcount(lent, {"new": "prebuilt-taken", "slug": "prebuilt-moving"})
        async with pooled(engine) as lent:
            still = await _BY_SLUG.first(lent, {"slug": "prebuilt-moving"})

        assert still is not None and _checked_out(engine) == 0
    finally:
        await engine.dispose()


async def test_a_statement_cancelled_midway_costs_the_pool_that_connection_not_the_next_caller(
    settings: Settings,
) -> None:
    if settings.is_sqlite:
        pytest.skip("SQLite has no server connection to lose: pooled() lends SQLAlchemy's own connection there")
    engine = create_engine(dataclasses.replace(settings, db_pool_size=1))
    try:
        async with pooled(engine) as lent:
            first = (await _BACKEND.first(lent, {})).pid
        started = asyncio.Event()

        async def slow() -> None:
            async with pooled(engine) as lent:
                assert isinstance(lent, Driver)
                started.set()
                await lent.connection.execute("SELECT pg_sleep(30)")

        task = asyncio.create_task(slow())
        await started.wait()
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with pooled(engine) as lent:
            after = (await _BACKEND.first(lent, {})).pid

        assert after != first  # a fresh connection, not one left mid-statement
        assert _checked_out(engine) == 0
    finally:
        await engine.dispose()
