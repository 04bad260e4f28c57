"""An HTTP client for the app that runs it on the test's own event loop, so requests sent together run together.

Litestar's ``AsyncTestClient`` hands each request to a portal thread and blocks until the response is
complete (its async transport calls the sync one), so requests gathered on it run one after another, and a
"race" through it never races. Here httpx's ASGI transport calls the app on the caller's loop: gathered
requests interleave at every await, as they do in a worker, and the races in the tests are real.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from litestar import Litestar

Client = httpx.AsyncClient
BASE_URL = "http://testserver.local"


@asynccontextmanager
async def app_client(app: Litestar, peer: tuple[str, int] = ("127.0.0.1", 123)) -> AsyncIterator[Client]:
    """The app started (lifespan: startup hooks, pool warm-up) and a client speaking to it in-process.

    ``peer`` is the direct peer's address the app sees (``scope["client"]``). The lifespan runs in a task of
    its own: pytest may set a fixture up and tear it down in different tasks, and the lifespan's cancel scope
    must be left in the task that entered it."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def serve() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    serving = asyncio.create_task(serve())
    starting = asyncio.create_task(started.wait())
    await asyncio.wait({serving, starting}, return_when=asyncio.FIRST_COMPLETED)
    if not started.is_set():
        starting.cancel()
        await serving  # the startup failed: its exception is the fixture's
        raise RuntimeError("the app stopped while starting")
    try:
        # httpx types an ASGI app's scope and messages as plain dicts, Litestar's __call__ as its TypedDicts.
        transport = httpx.ASGITransport(app=app, client=peer)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield client
    finally:
        stop.set()
        await serving
