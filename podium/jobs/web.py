"""The job queue as the web process sees it: a procrastinate app to defer and list jobs, the wake-ups after
commit (``podium.jobs.kicks``), and, where the settings say so (SQLite by default), an embedded worker.

Started and stopped with the app's on_startup/on_shutdown, so nothing outlives the lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from procrastinate import App

from podium.jobs.kicks import register_kicker, unregister_kicker
from podium.jobs.runtime import UnitOfWork, create_job_app, defer_job, run_worker
from podium.jobs.sqlite_connector import wake_workers
from podium.settings import Settings

logger = logging.getLogger("podium.jobs")

STATE_KEY = "jobs"
# The least time between two defers of one job by this process (the delay a kick may add to its job).
KICK_SPACING_SECONDS = 0.2


class WebJobs:
    """One per app; ``app.state["jobs"]``."""

    def __init__(self, settings: Settings, engine: Any, unit_of_work: UnitOfWork) -> None:
        self.settings = settings
        self.engine = engine
        self.unit_of_work = unit_of_work  # the embedded worker's jobs open their sessions from its makers
        # The web side only defers and lists; a small pool is plenty.
        self.app: App = create_job_app(settings, periodic=False, pool_size=2)
        self._worker: asyncio.Task[None] | None = None
        self._kicks: set[asyncio.Task[None]] = set()
        self._deferring: set[str] = set()  # jobs with a defer under way
        self._again: set[str] = set()  # ... and kicked again since it started
        self._open = False
        self._opening = asyncio.Lock()

    async def _ensure_open(self) -> None:
        async with self._opening:
            if not self._open:
                await self.app.open_async()
                self._open = True

    async def start(self) -> None:
        try:
            await self._ensure_open()
        except Exception:
            # Not fatal, like the pool warm-up: /health says so, and the work waits in the database.
            logger.warning("could not open the job queue at startup", exc_info=True)
        register_kicker(self.engine, self.kick)
        if self.settings.runs_jobs_in_web:
            self._worker = asyncio.create_task(
                run_worker(self.settings, self.unit_of_work, name="web", install_signal_handlers=False)
            )

    async def stop(self) -> None:
        unregister_kicker(self.engine)
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        if self._kicks:
            await asyncio.gather(*self._kicks, return_exceptions=True)
        if self._open:
            await self.app.close_async()
            self._open = False

    def kick(self, names: set[str]) -> None:
        """Defer each named job soon, off the request's path (called from a commit hook, which can't await). On
        SQLite the commit queued them already (``podium.jobs.kicks``): only this process's worker is woken.

        At most one defer per job is under way, and one starts at most every ``KICK_SPACING_SECONDS``: a kick
        that comes meanwhile asks for one more after it, which starts after this commit, so the job still runs
        after it. In a rush that is a few defers a second instead of one per commit: each costs round trips
        for the pool's check, the INSERT (failing on the queueing lock when the job waits already) and the
        connection's reset, and a paid order kicks three (bench/order_profile counts them)."""
        if self.settings.is_sqlite:
            wake_workers(self.settings.database_url)
            return
        for name in names:
            if name in self._deferring:
                self._again.add(name)
                continue
            self._deferring.add(name)
            task = asyncio.get_running_loop().create_task(self._defer_while_kicked(name))
            self._kicks.add(task)
            task.add_done_callback(self._kicks.discard)

    async def _defer_while_kicked(self, name: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                self._again.discard(name)
                started = loop.time()
                await self._defer(name)
                # The kicks of the next moments wait for one defer after it (a rush's, gathered).
                await asyncio.sleep(max(0.0, started + KICK_SPACING_SECONDS - loop.time()))
                if name not in self._again:
                    return
        finally:
            self._deferring.discard(name)

    async def _defer(self, name: str) -> None:
        try:
            await self._ensure_open()
            await defer_job(self.app, name)
        except Exception:
            logger.warning("could not queue job %s; its periodic run will do the work", name, exc_info=True)
