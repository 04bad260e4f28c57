"""Reading and retrying jobs for organizers (API, page and CLI), through procrastinate's job manager so the
same calls work on both engines."""

from __future__ import annotations

import datetime as dt
import logging

from procrastinate import App, exceptions
from procrastinate.jobs import Job

from podium.errors import Conflict, NotFound
from podium.i18n import gettext
from podium.jobs.schemas import JobRead

logger = logging.getLogger("podium.jobs")

LIST_LIMIT = 500


def job_read(job: Job) -> JobRead:
    assert job.id is not None
    return JobRead(
        id=job.id,
        task=job.task_name,
        state=str(job.status),
        args=dict(job.task_kwargs),
        attempts=job.attempts,
        queue=job.queue,
        scheduled_at=job.scheduled_at,
    )


async def list_jobs(app: App, state: str | None = None, *, limit: int = 100) -> list[JobRead]:
    """Jobs in ``state`` (all if None), newest first. Succeeded jobs are not kept, so this lists what is
    waiting, running, or failed for good."""
    jobs = await app.job_manager.list_jobs_async(status=state)
    newest = sorted(jobs, key=lambda job: job.id or 0, reverse=True)[: min(limit, LIST_LIMIT)]
    return [job_read(job) for job in newest]


async def get_job(app: App, job_id: int) -> JobRead:
    found = list(await app.job_manager.list_jobs_async(id=job_id))
    if not found:
        raise NotFound(gettext("there is no job %(id)d") % {"id": job_id}, field="id", code="job_not_found")
    return job_read(found[0])


async def retry_job(app: App, job_id: int, *, actor: str) -> JobRead:
    """Queue a failed job again, now, with its arguments. Only a failed job: one that is waiting or running
    will run anyway, and running it twice at once is what the queue exists to prevent."""
    job = await get_job(app, job_id)
    if job.state != "failed":
        raise Conflict(
            gettext("job %(id)d is %(state)s, not failed") % {"id": job_id, "state": gettext(job.state)},
            field="id",
            code="job_not_failed",
        )
    try:
        await app.job_manager.retry_job_by_id_async(job_id=job_id, retry_at=dt.datetime.now(dt.UTC))
    except exceptions.ConnectorException as exc:  # another organizer retried it a moment ago
        raise Conflict(
            gettext("job %(id)d is no longer failed") % {"id": job_id}, field="id", code="job_not_failed"
        ) from exc
    logger.info("job %s (%s) retried by %s", job_id, job.task, actor)
    return await get_job(app, job_id)
