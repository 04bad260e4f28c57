"""A connection pool that serves waiting requests first come, first served.

SQLAlchemy's asyncio pool keeps idle connections in an ``asyncio.Queue``. When a connection comes back,
that queue wakes the first waiter, but a request that asks before the waiter runs takes the connection, and
the waiter goes to the back of the line. Under load (a registration rush: 32 requests per worker for 10
connections) some requests lose that race again and again: the median order took 15 ms and the slowest
1 % over 400 ms. Here a returned connection is handed straight to the longest waiter, and a newcomer waits
behind everyone already waiting, so the wait is the same for all.

Why a subclass of SQLAlchemy's pool and not a public hook: the unfairness happens inside the pool's queue,
between a connection coming back and the woken waiter running, and no public hook runs there. The pool events
(``checkout``, ``checkin``, ``connect``) fire after a connection has been taken or given back; ``creator`` and
``async_creator`` only open new connections; asyncpg's ``init``/``setup`` run per connection (and asyncpg's own
pool queues the same way). A gate in front of the pool would have to hold a place per request from its first
statement to its commit, which the engine gives no hook for either. So this module relies on two private details,
and on nothing else: ``AsyncAdaptedQueuePool._queue_class`` (the class of the pool's queue) and that class's
``_queue`` (the ``asyncio.Queue`` it wraps, created on first use). ``tests/podium/test_db_pool.py`` fails if either
stops taking effect, and ``scripts/test-pool-versions`` runs it against every SQLAlchemy release the pin in
pyproject.toml allows (2.0.36 to 2.0.58 passed).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Generic, TypeVar

from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util import memoized_property
from sqlalchemy.util.queue import AsyncAdaptedQueue

T = TypeVar("T")


class HandoffQueue(Generic[T]):
    """The part of ``asyncio.Queue`` the pool uses, with items handed to waiters in arrival order."""

    def __init__(self, maxsize: int = 0) -> None:
        self.maxsize = maxsize
        self._items: deque[T] = deque()
        self._waiters: deque[asyncio.Future[T]] = deque()

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self._items)

    def put_nowait(self, item: T) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(item)
                return
        if self.full():
            raise asyncio.QueueFull
        self._items.append(item)

    async def put(self, item: T) -> None:
        self.put_nowait(item)

    def get_nowait(self) -> T:
        # Items only wait here while nobody waits for one (``put_nowait`` hands them over), so taking one
        # never jumps the line.
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.popleft()

    async def get(self) -> T:
        if self._items:
            return self._items.popleft()
        waiter: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            # Timed out or cancelled just as a connection was handed over: pass it to the next in line.
            if waiter.done() and not waiter.cancelled():
                self.put_nowait(waiter.result())
            raise


class _HandoffAdaptedQueue(AsyncAdaptedQueue[Any]):
    @memoized_property
    def _queue(self) -> HandoffQueue[Any]:  # type: ignore[override]  # the same calls as asyncio.Queue's
        return HandoffQueue(maxsize=self.maxsize)


class FairAsyncQueuePool(AsyncAdaptedQueuePool):
    """SQLAlchemy's asyncio pool (size, overflow, timeout, recycle all as usual), first come, first served."""

    _queue_class = _HandoffAdaptedQueue
