"""The engine's SQLite connections: a failed statement leaves nothing behind that can stop the event loop. And
the unit of work's helper for a write that must outlive its request's transaction."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import time

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from podium.db import create_engine, session_maker, write_apart
from podium.settings import Settings
from registration.models import WebhookEvent

BUSY_TIMEOUT = 3.0


async def test_a_failed_statements_garbage_never_stalls_the_writer_queue(settings: Settings) -> None:
    """Racing webhooks: a copy fails on the event id, its error is collected later by the cyclic GC, while the
    failed statement's connection, back in the pool, waits for the write lock another request holds. Before,
    freeing that failed cursor on the event loop waited for the connection's mutex, held by its thread through
    the whole busy wait: the loop stopped, the lock holder never committed, and the waiter (like every writer)
    got "database is locked" after the busy timeout."""
    if not settings.is_sqlite:
        pytest.skip("SQLite only: its connections each run in a thread of their own, behind a mutex")
    # Only this test's garbage is collected in the timed part below: a process that ran hundreds of tests before
    # (pytest-xdist) holds a heap whose full collection alone took seconds on the loop (CI: 3.06 s, a false alarm).
    gc.collect()
    gc.freeze()
    try:
        await _collect_while_waiting(settings)
    finally:
        gc.unfreeze()


async def _collect_while_waiting(settings: Settings) -> None:
    engine = create_engine(dataclasses.replace(settings, db_statement_timeout=BUSY_TIMEOUT))
    row = {"provider": "stripe", "event_id": "evt_dup", "event_type": "payment_intent.succeeded"}
    async with engine.begin() as connection:
        await connection.execute(insert(WebhookEvent).values(**row))
    holder = await engine.connect()  # opened first, so the pool hands the failed one to ``waiter``
    failed = await engine.connect()
    try:
        await failed.execute(insert(WebhookEvent).values(**row))
    except IntegrityError as exc:
        error: IntegrityError | None = exc
    await failed.rollback()
    await failed.close()
    waiter = await engine.connect()  # the failed statement's connection, back from the pool
    gc.disable()  # the error (in a reference cycle) is collected when the test says
    try:
        await holder.begin()
        await holder.execute(insert(WebhookEvent).values(**{**row, "event_id": "evt_holder"}))

        async def take_the_lock() -> float:
            started = time.monotonic()
            await waiter.begin()  # BEGIN IMMEDIATE: waits in the connection's thread for ``holder`` to commit
            return time.monotonic() - started

        waiting = asyncio.create_task(take_the_lock())
        await asyncio.sleep(0.5)  # the waiter's thread is in SQLite's busy wait now
        assert error is not None
        error = None
        gc.collect()
        await holder.commit()

        waited = await waiting
    finally:
        gc.enable()
        await holder.close()
        await waiter.close()
        await engine.dispose()

    assert waited < BUSY_TIMEOUT  # it took the lock as soon as ``holder`` let go, well before the busy timeout


class _Dropped(Exception):
    pass


async def test_write_apart_commits_its_block_alone_and_never_a_callers_writes(settings: Settings) -> None:
    def row(event_id: str) -> WebhookEvent:
        return WebhookEvent(provider="apart", event_id=event_id, event_type="test")

    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db_session:
            await db_session.scalar(select(WebhookEvent.id).limit(1))  # a read transaction, ended by write_apart
            async with write_apart(db_session):
                db_session.add(row("evt_kept"))
            with pytest.raises(_Dropped):
                async with write_apart(db_session):
                    db_session.add(row("evt_dropped"))
                    await db_session.flush()
                    raise _Dropped
            db_session.add(row("evt_callers"))  # the caller's change, not its to commit
            with pytest.raises(RuntimeError):
                async with write_apart(db_session):
                    pass
            await db_session.rollback()

            stored = (
                await db_session.scalars(select(WebhookEvent.event_id).where(WebhookEvent.provider == "apart"))
            ).all()
    finally:
        await engine.dispose()

    assert stored == ["evt_kept"]
