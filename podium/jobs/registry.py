"""The list of background jobs: a domain declares one with one decorator (``@job(...)``) in its ``tasks.py``.

The decorator only records the function and its options, at import time, and reads no settings: each
procrastinate App is built later from settings (``podium.jobs.runtime.create_job_app``), so retries and periodic
schedules come from the settings of that app, and tests can build apps with their own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from podium.settings import Settings

JobFunction = Callable[..., Awaitable[Any]]
F = TypeVar("F", bound=JobFunction)


async def no_wait() -> float:
    """``JobEnv.spare_cpu`` of a worker in the normal scheduling class: no wait."""
    return 0.0


@dataclass(frozen=True, slots=True)
class JobEnv:
    """What a running job gets besides its own arguments: the settings and a database session maker.

    A job owns its transactions (the services it calls never commit), like a request does."""

    settings: Settings
    session_maker: async_sessionmaker[AsyncSession]
    # Defer another job from inside a job: ``await env.defer("registration.send_due_mail")``.
    defer: Callable[..., Awaitable[int | None]]
    # Waits while the machine's CPU is contended, in a worker of the idle scheduling class (``podium.jobs.
    # cpu_pressure``; at once elsewhere); the seconds waited. Each job waits before it starts; one that works in
    # batches awaits it before each further batch too.
    spare_cpu: Callable[[], Awaitable[float]] = no_wait


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One registered job. ``every`` makes it periodic: seconds, or a function of the settings (0: not periodic)."""

    name: str
    function: JobFunction
    every: float | Callable[[Settings], float] | None
    retry: bool
    queueing_lock: str | None
    lock: str | None
    queue: str

    def interval(self, settings: Settings) -> float:
        every = self.every
        if every is None:
            return 0.0
        return float(every(settings)) if callable(every) else float(every)


JOBS: dict[str, JobSpec] = {}


def job(
    name: str,
    *,
    every: float | Callable[[Settings], float] | None = None,
    retry: bool = True,
    queueing_lock: str | None = None,
    lock: str | None = None,
    queue: str = "default",
) -> Callable[[F], F]:
    """Register ``async def f(env: JobEnv, **kwargs)`` as the job ``name`` (keyword arguments are JSON values).

    ``queueing_lock``: at most one job with that lock waits in the queue (a wake-up job deferred after every
    commit stays one row). ``lock``: jobs sharing it never run at once. ``retry``: a job that raises is tried
    again with exponential backoff (``PODIUM_JOB_RETRIES``), then stays failed and visible to organizers.
    """

    def register(function: F) -> F:
        if name in JOBS and JOBS[name].function is not function:
            raise ValueError(f"two jobs are named {name!r}")
        JOBS[name] = JobSpec(name, function, every, retry, queueing_lock, lock, queue)
        return function

    return register
