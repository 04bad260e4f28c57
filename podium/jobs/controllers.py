"""HTTP for background jobs: organizers see what failed (``GET /api/jobs?state=failed``, ``/organizer/jobs``)
and queue it again (``POST /api/jobs/{id}/retry``)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, PathParameter, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK

from podium.auth.guards import requires_organizer
from podium.auth.schemas import CurrentUser
from podium.errors import DomainError, InvalidInput, problem_responses
from podium.i18n import N_, gettext
from podium.jobs import services
from podium.jobs.schemas import JobRead, JobState
from podium.jobs.web import STATE_KEY, WebJobs
from podium.pages import redirect, render

StateFilter = Annotated[JobState | None, QueryParameter(name="state")]
Limit = Annotated[int, QueryParameter(ge=1, le=services.LIST_LIMIT)]
# Job ids are PostgreSQL bigints; past the largest integer JSON carries exactly they are refused as input.
MAX_JOB_ID = 2**53 - 1
JobId = Annotated[int, PathParameter(ge=1, le=MAX_JOB_ID)]
LIST_PARAMETERS = frozenset({"state", "limit"})
ERRORS = problem_responses(400, 401, 403, 404, 409, 422)


def _jobs(request: Request[Any, Any, Any]) -> WebJobs:
    return request.app.state[STATE_KEY]


def _actor(request: Request[Any, Any, Any]) -> str:
    user = request.scope.get("user")
    return f"organizer:{user.email}" if isinstance(user, CurrentUser) else "organizer"


class JobController(Controller):
    path = "/api/jobs"
    tags = ["jobs"]
    security = [{"bearer": []}]
    guards = [requires_organizer]

    @get("/", operation_id="listJobs", responses=ERRORS)
    async def list_jobs(
        self, request: Request[Any, Any, Any], job_state: FromQuery[StateFilter] = None, limit: FromQuery[Limit] = 100
    ) -> list[JobRead]:
        """Jobs newest first, by state: ``failed`` are those that raised on every try (succeeded ones aren't kept)."""
        for name in request.query_params:
            if name not in LIST_PARAMETERS:  # a misspelt filter would otherwise list every job
                raise InvalidInput(
                    gettext("unknown query parameter %(name)s") % {"name": repr(name)},
                    field=name,
                    code="unknown_parameter",
                )
        return await services.list_jobs(_jobs(request).app, job_state, limit=limit)

    @post("/{job_id:int}/retry", operation_id="retryJob", status_code=HTTP_200_OK, responses=ERRORS)
    async def retry(self, request: Request[Any, Any, Any], job_id: FromPath[JobId]) -> JobRead:
        """Queue a failed job again now, with the same arguments (409 unless it is failed)."""
        return await services.retry_job(_jobs(request).app, job_id, actor=_actor(request))


# The states the page filters by; each is also the word shown for it (marked here, translated in the template).
STATES = [N_("failed"), N_("todo"), N_("doing"), N_("cancelled"), N_("aborted")]


class OrganizerJobPages(Controller):
    path = "/organizer/jobs"
    include_in_schema = False
    guards = [requires_organizer]

    @get("/")
    async def jobs_page(
        self,
        request: Request[Any, Any, Any],
        job_state: FromQuery[StateFilter] = "failed",
        notice: FromQuery[str | None] = None,
        error: FromQuery[str | None] = None,
    ) -> Template:
        jobs = await services.list_jobs(_jobs(request).app, job_state)
        return render(
            request,
            "organizer/jobs.html",
            jobs=jobs,
            job_state=job_state,
            states=STATES,
            notice=(notice or "")[:200] or None,
            error=(error or "")[:200] or None,
        )

    @post("/{job_id:int}/retry")
    async def retry_from_page(self, request: Request[Any, Any, Any], job_id: FromPath[JobId]) -> Redirect:
        try:
            job = await services.retry_job(_jobs(request).app, job_id, actor=_actor(request))
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            return redirect(f"/organizer/jobs?{urlencode({'error': exc.detail})}")
        notice = gettext("Job %(id)s (%(task)s) is queued again.") % {"id": job.id, "task": job.task}
        return redirect(f"/organizer/jobs?{urlencode({'notice': notice})}")
