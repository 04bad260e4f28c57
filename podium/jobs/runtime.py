"""Building procrastinate apps from settings and running their workers: ``podium worker``, the embedded worker
of the web process (SQLite), and ``run_due_jobs`` for tests and the CLI.

On PostgreSQL the queue is procrastinate's own schema (migrated by Alembic) through its PsycopgConnector, with
LISTEN/NOTIFY waking idle workers at once. On SQLite it is the same worker over our ``SQLiteConnector``.

Jobs open their sessions from the makers of the ``unit_of_work`` a worker is given: the composition root's
(``podium.main.unit_of_work.session_maker``), so a job's transaction runs the same hooks as a request's (the kernel
knows no domain, so it can't pick them itself).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import importlib
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

from procrastinate import App, BaseRetryStrategy, JobContext, PsycopgConnector, RetryDecision, exceptions
from procrastinate.jobs import Job
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from podium.db import create_engine
from podium.jobs.cpu_pressure import wait_for_spare_cpu
from podium.jobs.registry import JOBS, JobEnv, JobSpec
from podium.jobs.sqlite_connector import SQLiteConnector
from podium.settings import Settings

logger = logging.getLogger("podium.jobs")

ENV_KEY = "podium"
# A job's waits between tries grow as backoff * 2**attempt, up to this.
LONGEST_RETRY_WAIT_SECONDS = 3600.0
# A worker that stopped on an error (the database went away, say) starts again after this long.
RESTART_DELAY_SECONDS = 5.0
# How long a stopping worker lets running jobs finish before it aborts them (they are retried).
SHUTDOWN_GRACE_SECONDS = 20.0
# Builds the unit of work's session maker for an engine: the kernel's hooks and the domains'.
UnitOfWork = Callable[[AsyncEngine], async_sessionmaker[AsyncSession]]


class ExponentialBackoff(BaseRetryStrategy):
    """procrastinate's retry hook: ``retries`` more tries after the first, waiting backoff, 2x, 4x … (capped).

    procrastinate's own RetryStrategy computes ``exponential_wait ** attempt`` (a base, not a first wait), which
    can't express "2 s, then 4, then 8" and a zero backoff for tests at once; this is the same decision, simpler.
    """

    def __init__(self, retries: int, backoff_seconds: float) -> None:
        self.retries = retries
        self.backoff_seconds = backoff_seconds

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if job.attempts >= self.retries:
            return None
        wait = min(LONGEST_RETRY_WAIT_SECONDS, self.backoff_seconds * 2**job.attempts)
        return RetryDecision(retry_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=wait))


def cron_every(seconds: float) -> str:
    """A cron line (croniter's, seconds last) for "every ``seconds``", in whole seconds, minutes or hours.

    Cron counts within the minute (or hour): every 45 s means at :00 and :45 of each minute. Below a second
    rounds up to one."""
    whole = max(1, math.ceil(seconds))
    if whole < 60:
        return f"* * * * * */{whole}"
    if whole < 3600:
        return f"*/{max(1, whole // 60)} * * * *"
    return f"0 */{min(23, max(1, whole // 3600))} * * *"


def psycopg_conninfo(database_url: str) -> str:
    """Our SQLAlchemy URL (``postgresql+asyncpg://…``) as the libpq connection string psycopg wants."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _connector(settings: Settings, *, pool_size: int) -> Any:
    if settings.is_sqlite:
        return SQLiteConnector(settings)
    return PsycopgConnector(
        conninfo=psycopg_conninfo(settings.database_url),
        min_size=1,
        max_size=pool_size,
        timeout=settings.db_pool_timeout,
        kwargs={"connect_timeout": max(1, round(settings.db_connect_timeout))},
    )


def _register(app: App, spec: JobSpec, settings: Settings, *, periodic: bool) -> None:
    function = spec.function
    every = spec.interval(settings)

    async def run(context: JobContext, /, timestamp: int | None = None, **kwargs: Any) -> Any:
        """``timestamp``: procrastinate passes each periodic run its tick, which no job takes."""
        env: JobEnv = context.additional_context[ENV_KEY]
        await env.spare_cpu()
        return await function(env, **kwargs)

    run.__name__ = run.__qualname__ = spec.name
    retry = ExponentialBackoff(settings.job_retries, settings.job_retry_backoff_seconds) if spec.retry else False
    task = app.task(
        name=spec.name,
        pass_context=True,
        retry=retry,
        queue=spec.queue,
        lock=spec.lock,
        queueing_lock=spec.queueing_lock,
    )(run)
    if periodic and every > 0:
        app.periodic(cron=cron_every(every), periodic_id=spec.name)(task)


def create_job_app(settings: Settings, *, periodic: bool = True, pool_size: int | None = None) -> App:
    """A procrastinate App with every registered job (``podium.jobs.registry.JOBS``), configured by ``settings``.

    Open it before use (``async with app.open_async():``). ``periodic=False`` leaves the schedules out: a worker
    of that app runs what is due and defers nothing by itself (``run_due_jobs``)."""
    for module in settings.job_modules:
        importlib.import_module(module)
    app = App(
        connector=_connector(settings, pool_size=pool_size or settings.job_concurrency + 3),
        # A worker that starts after a pause defers each periodic job's latest missed tick, if recent.
        periodic_defaults={"max_delay": 600},
    )
    for spec in JOBS.values():
        _register(app, spec, settings, periodic=periodic)
    return app


def job_env(
    settings: Settings, app: App, unit_of_work: UnitOfWork, *, idle_class: bool = False
) -> tuple[JobEnv, Callable[[], Awaitable[None]]]:
    """The environment jobs run with, and the coroutine function that releases it. ``idle_class``: the worker
    runs in the idle scheduling class, and its jobs wait for spare CPU (``spare_cpu``) before their work."""
    engine = create_engine(settings)

    async def defer(name: str, **kwargs: Any) -> int | None:
        return await defer_job(app, name, **kwargs)

    env = JobEnv(settings=settings, session_maker=unit_of_work(engine), defer=defer)
    if idle_class:
        env = dataclasses.replace(env, spare_cpu=_spare_cpu)
    return env, engine.dispose


async def _spare_cpu() -> float:
    waited = await wait_for_spare_cpu()
    if waited >= 1.0:
        logger.info("waited %.1f s for spare CPU", waited)
    return waited


async def defer_job(app: App, name: str, **kwargs: Any) -> int | None:
    """Queue the job ``name``; None if its queueing lock says one is already waiting (that one will do)."""
    try:
        return await app.configure_task(name, allow_unknown=False).defer_async(**kwargs)
    except exceptions.AlreadyEnqueued:
        return None


async def log_failures(call_next: Callable[[], Awaitable[Any]], context: JobContext, worker: Any) -> Any:
    """Worker middleware: a job that raises is logged with its arguments at WARNING (procrastinate says so at
    INFO for a try that will be retried, which default logging hides)."""
    try:
        return await call_next()
    except Exception:
        job = context.job
        logger.warning("job %s failed on attempt %d", job.call_string, job.attempts + 1, exc_info=True)
        raise


def worker_options(settings: Settings, env: JobEnv, **overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "concurrency": settings.job_concurrency,
        "additional_context": {ENV_KEY: env},
        # Succeeded jobs leave no row (a periodic sweep every 30 s would pile up); failed ones stay for organizers.
        "delete_jobs": "successful",
        "shutdown_graceful_timeout": SHUTDOWN_GRACE_SECONDS,
        # LISTEN/NOTIFY (PostgreSQL) or this process's own defers (SQLite) wake a worker at once; this is the fallback.
        "fetch_job_polling_interval": 2.0 if settings.is_sqlite else 5.0,
        "worker_middleware": [log_failures],
    }
    return options | overrides


async def run_worker(
    settings: Settings,
    unit_of_work: UnitOfWork,
    *,
    name: str = "worker",
    install_signal_handlers: bool = True,
    idle_class: bool = False,
) -> None:
    """Run a worker until cancelled or signalled (``podium worker``, or the web process's embedded one).

    procrastinate's worker stops when one of its side tasks fails (a lost database connection for the
    heartbeat, say); this one then starts again after a pause, so background work never stops for good.
    ``idle_class``: this process runs in the idle scheduling class, and its jobs wait for spare CPU
    (``JobEnv.spare_cpu``)."""
    while True:
        app = create_job_app(settings)
        env, release = job_env(settings, app, unit_of_work, idle_class=idle_class)
        try:
            async with app.open_async():
                await app.run_worker_async(
                    **worker_options(settings, env, name=name, install_signal_handlers=install_signal_handlers)
                )
            return  # stopped on purpose (a signal)
        except asyncio.CancelledError:
            raise
        except Exception:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # Cancelled (the web process shutting down), and procrastinate's own shutdown then failed (its
                # worker row could not be unregistered: SQLite busy, say). Starting again would swallow the
                # cancellation and keep the process from ever exiting; the next worker prunes the stale row.
                logger.warning("job worker %s failed while stopping", name, exc_info=True)
                raise asyncio.CancelledError from None
            logger.exception("job worker %s stopped on an error; starting again in %s s", name, RESTART_DELAY_SECONDS)
        finally:
            await release()
        await asyncio.sleep(RESTART_DELAY_SECONDS)


async def run_due_jobs(settings: Settings, unit_of_work: UnitOfWork) -> None:
    """Run every job that is due now, including retries that fall due meanwhile, then return.

    For tests ("wait for state" without a background loop) and ``podium jobs run``: no periodic deferrer,
    one job at a time, so what ran is deterministic."""
    app = create_job_app(settings, periodic=False, pool_size=2)
    env, release = job_env(settings, app, unit_of_work)
    try:
        async with app.open_async():
            await app.run_worker_async(
                **worker_options(
                    settings,
                    env,
                    name="due-jobs",
                    wait=False,
                    concurrency=1,
                    listen_notify=False,
                    install_signal_handlers=False,
                )
            )
    finally:
        await release()
