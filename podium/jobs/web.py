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
from podium.jobs.runtime import create_job_app, defer_job, run_worker
from podium.jobs.sqlite_connector import wake_workers
from podium.settings import Settings

logger = logging.getLogger("podium.jobs")

STATE_KEY = "jobs"


class WebJobs:
    """One per app; ``app.state["jobs"]``."""

    def __init__(self, settings: Settings, engine: Any) -> None:
        self.settings = settings
        self.engine = engine
        # The web side only defers and lists; a small pool is plenty.
        self.app: App = create_job_app(settings, periodic=False, pool_size=2)
        self._worker: asyncio.Task[None] | None = None
        self._kicks: set[asyncio.Task[None]] = set()
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
            self._worker = asyncio.create_task(run_worker(self.settings, name="web", install_signal_handlers=False))

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
        SQLite the commit queued them already (``podium.jobs.kicks``): only this process's worker is woken."""
        if self.settings.is_sqlite:
            wake_workers(self.settings.database_url)
            return
        for name in names:
            task = asyncio.get_running_loop().create_task(self._defer(name))
            self._kicks.add(task)
            task.add_done_callback(self._kicks.discard)

    async def _defer(self, name: str) -> None:
        try:
            await self._ensure_open()
            await defer_job(self.app, name)
        except Exception:
            logger.warning("could not queue job %s; its periodic run will do the work", name, exc_info=True)
