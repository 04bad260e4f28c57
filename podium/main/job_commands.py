"""``podium worker`` and ``podium jobs``: running background jobs, looking at them, queueing failed ones again."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import click

from podium.main.cli import safe_url
from podium.settings import Settings


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(1, 100), default=None, help="Jobs at once (PODIUM_JOB_CONCURRENCY).")
@click.option(
    "--nice", type=click.IntRange(0, 19), default=None, help="Niceness to run at, 0-19 (PODIUM_WORKER_NICE, 10)."
)
@click.option(
    "--idle/--no-idle",
    default=None,
    help="Run in Linux's idle scheduling class, on the CPU others leave (PODIUM_WORKER_IDLE, on).",
)
def worker_command(concurrency: int | None, nice: int | None, idle: bool | None) -> None:
    """Run background jobs (mail, refunds, sweeps) until stopped; start as many as you like, on any machine."""
    import dataclasses
    import logging

    import podium.main.app  # noqa: F401  (the composition imports every module that registers jobs)
    from podium.jobs.runtime import run_worker
    from podium.main.mail_wiring import install_mail
    from podium.main.unit_of_work import session_maker

    settings = Settings.from_env()
    if settings.log_format == "json":  # the web workers' JSON lines (podium/log_config.py), for one collector
        from podium.log_config import logging_config

        logging_config(settings).configure()
    else:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if concurrency is not None:
        settings = dataclasses.replace(settings, job_concurrency=concurrency)
    niceness = lower_priority(settings.worker_nice if nice is None else nice)
    idle_class = settings.worker_idle if idle is None else idle
    in_idle_class = idle_class and run_when_idle()
    scheduling = " (idle class; jobs wait for spare CPU)" if in_idle_class else ""
    click.echo(
        f"job worker on {safe_url(settings.database_url)}, {settings.job_concurrency} at once, nice {niceness}"
        f"{scheduling}",
        err=True,
    )
    install_mail()  # what the outbox drain asks of the domains (still-true checks, attachments)
    asyncio.run(run_worker(settings, session_maker, idle_class=in_idle_class))


def lower_priority(niceness: int) -> int:
    """Run at ``niceness`` at least (never raised: a worker started niced stays so); the niceness it runs at.

    Jobs can wait where requests can't: mail has a minute, a buyer has the answer to a click."""
    if not hasattr(os, "nice"):  # not on this platform (Windows): priorities are left as they are
        return 0
    current = os.nice(0)
    return os.nice(niceness - current) if niceness > current else current


def run_when_idle() -> bool:
    """Move this process to Linux's idle scheduling class, where it runs only on CPU no other class wants; True
    if it is there. Niceness is a share of a busy machine (a niced worker still took 4-10 % of a rush's CPU);
    this is none of it, and all of an idle one."""
    idle = getattr(os, "SCHED_IDLE", None)
    if idle is None:  # not Linux: niceness alone
        return False
    try:
        os.sched_setscheduler(0, idle, os.sched_param(0))
    except OSError:  # refused (a seccomp profile, say): niceness alone
        return False
    return True


@click.group("jobs")
def jobs_group() -> None:
    """Look at background jobs and queue failed ones again."""


@jobs_group.command("list")
@click.option(
    "--state",
    type=click.Choice(["todo", "doing", "failed", "cancelled", "aborted"]),
    default=None,
    help="Only jobs in this state (succeeded jobs are not kept).",
)
@click.option("--limit", type=click.IntRange(1, 500), default=100, show_default=True)
def jobs_list_command(state: str | None, limit: int) -> None:
    """One line per job, newest first: id, state, tries, task and its arguments."""
    import json

    from podium.jobs import services

    for job in asyncio.run(_with_job_app(lambda app: services.list_jobs(app, state, limit=limit))):
        args = json.dumps(job.args, sort_keys=True)
        click.echo(f"{job.id}\t{job.state}\t{job.attempts}\t{job.task}\t{args}")


@jobs_group.command("retry")
@click.argument("job_id", type=click.IntRange(1, 2**53 - 1))
def jobs_retry_command(job_id: int) -> None:
    """Queue the failed job JOB_ID again, now, with the same arguments."""
    from podium.errors import DomainError
    from podium.jobs import services

    try:
        job = asyncio.run(_with_job_app(lambda app: services.retry_job(app, job_id, actor="cli")))
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"job {job.id} ({job.task}) is queued again")


@jobs_group.command("run")
def jobs_run_command() -> None:
    """Run the jobs that are due now, then stop (no worker left running)."""
    import podium.main.app  # noqa: F401  (registers every job)
    from podium.jobs.runtime import run_due_jobs
    from podium.main.mail_wiring import install_mail
    from podium.main.unit_of_work import session_maker

    install_mail()  # the due jobs may drain the outbox
    asyncio.run(run_due_jobs(Settings.from_env(), session_maker))


async def _with_job_app(use: Any) -> Any:
    import podium.main.app  # noqa: F401  (registers every job)
    from podium.jobs.runtime import create_job_app

    app = create_job_app(Settings.from_env(), periodic=False, pool_size=1)
    async with app.open_async():
        return await use(app)
