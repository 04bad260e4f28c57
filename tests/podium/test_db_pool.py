"""The connection pool serves waiting requests first come, first served (podium/db_pool.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from podium.db_pool import FairAsyncQueuePool, HandoffQueue


async def _waiting(queue: HandoffQueue[int]) -> asyncio.Task[int]:
    task = asyncio.create_task(queue.get())
    await asyncio.sleep(0)  # now it waits in line
    return task


async def test_an_item_goes_to_the_longest_waiter_and_a_newcomer_cannot_jump_the_line() -> None:
    queue: HandoffQueue[int] = HandoffQueue()
    first, second = await _waiting(queue), await _waiting(queue)

    queue.put_nowait(1)
    with pytest.raises(asyncio.QueueEmpty):  # handed to the first waiter, though it has not run yet
        queue.get_nowait()
    queue.put_nowait(2)

    assert (await first, await second) == (1, 2)
    queue.put_nowait(3)  # nobody waits: it stays for the next taker
    assert queue.get_nowait() == 3


async def test_an_item_handed_to_a_waiter_that_is_cancelled_passes_to_the_next() -> None:
    queue: HandoffQueue[int] = HandoffQueue()
    timed_out, patient = await _waiting(queue), await _waiting(queue)

    queue.put_nowait(1)
    timed_out.cancel()  # e.g. the pool's timeout fired just as the connection came back

    with pytest.raises(asyncio.CancelledError):
        await timed_out
    assert await patient == 1


async def test_the_pool_serves_waiters_in_arrival_order(tmp_path: Path) -> None:
    """A request that gives its connection back and at once asks again waits behind those already waiting
    (SQLAlchemy's own asyncio pool would hand it straight back and the first waiter would wait on)."""
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}", poolclass=FairAsyncQueuePool, pool_size=1, max_overflow=0
    )
    served: list[str] = []

    async def use(name: str) -> None:
        async with engine.connect() as connection:
            served.append(name)
            await connection.execute(text("select 1"))

    try:
        holder = await engine.connect()
        waiters = [asyncio.create_task(use(f"waiter {n}")) for n in range(3)]
        await asyncio.sleep(0.05)  # all three wait for the one connection
        await holder.close()
        await use("holder again")
        await asyncio.gather(*waiters)
    finally:
        await engine.dispose()

    assert served == ["waiter 0", "waiter 1", "waiter 2", "holder again"]


async def test_the_engine_pool_queues_through_the_handoff_queue(tmp_path: Path) -> None:
    """The two private details db_pool.py relies on still take effect (see its docstring): the pool's queue
    class is ours and wraps a HandoffQueue once used."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}", poolclass=FairAsyncQueuePool)

    try:
        async with engine.connect() as connection:
            await connection.execute(text("select 1"))
        queue = engine.pool._pool  # type: ignore[attr-defined]  # the private detail under test

        assert isinstance(queue._queue, HandoffQueue)
        assert queue.qsize() == 1
    finally:
        await engine.dispose()
