"""HTTP for the review: organizers invite reviewers, assign (automatically or by hand), follow progress and read
the ranked lists; reviewers declare their topics and conflicts, read their assigned abstracts blind and review
them. Thin: each handler calls one service and owns the transaction."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.openapi.spec import SecurityRequirement
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts import figures, review_assignments, review_reports, review_work, reviewers
from abstracts.controllers import figure_response
from abstracts.guards import requires_signed_in, signed_in_user
from abstracts.review_schemas import (
    AssignmentCreate,
    AssignmentRead,
    AutoAssignResult,
    BlindAbstractRead,
    MyAssignmentRead,
    MyReviewRead,
    ProgressRead,
    RankedGroupRead,
    ReviewerInvite,
    ReviewerProfileRead,
    ReviewerProfileUpdate,
    ReviewerRead,
    ReviewWrite,
)
from podium.auth.guards import requires_organizer
from podium.errors import problem_responses

ERRORS = problem_responses(401, 403, 404, 409, 422)
BEARER: list[SecurityRequirement] = [{"bearer": []}]


class ReviewOrganizerController(Controller):
    path = "/api/organizer/events/{event:str}/review"
    tags = ["abstracts: review (organizer)"]
    guards = [requires_organizer]
    security = BEARER

    @get("/reviewers", operation_id="listReviewers", responses=ERRORS)
    async def list_reviewers(
        self, event: FromPath[str], db_session: NamedDependency[AsyncSession]
    ) -> list[ReviewerRead]:
        return await reviewers.list_reviewers(db_session, event)

    @post("/reviewers", operation_id="inviteReviewer", status_code=HTTP_200_OK, responses=ERRORS)
    async def invite(
        self, event: FromPath[str], data: JSONBody[ReviewerInvite], db_session: NamedDependency[AsyncSession]
    ) -> ReviewerRead:
        """Make a person a reviewer of the event's call and mail them the way to their review page (once); an
        address with no account gets a member's account (passwordless sign-in)."""
        read = await reviewers.invite_reviewer(db_session, event, data)
        await db_session.commit()
        return read

    @post("/assignments/auto", operation_id="autoAssignReviewers", status_code=HTTP_200_OK, responses=ERRORS)
    async def auto_assign(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> AutoAssignResult:
        """Give every abstract under review its N reviewers: topic first, no conflicts, balanced; existing
        assignments kept, so running again adds only what is missing. Abstracts left short are listed."""
        result = await review_assignments.auto_assign(db_session, event)
        await db_session.commit()
        return result

    @post("/assignments", operation_id="assignReviewer", responses=ERRORS)
    async def assign(
        self, event: FromPath[str], data: JSONBody[AssignmentCreate], db_session: NamedDependency[AsyncSession]
    ) -> AssignmentRead:
        """Assign by hand; a conflict of interest is 409 ``conflict_of_interest`` naming the rule unless
        ``override``."""
        assignment = await review_assignments.assign_by_hand(db_session, event, data)
        read = review_assignments.assignment_read(assignment)
        await db_session.commit()
        return read

    @delete(
        "/assignments/{assignment_id:uuid}",
        operation_id="unassignReviewer",
        status_code=HTTP_204_NO_CONTENT,
        responses=ERRORS,
    )
    async def unassign(
        self, event: FromPath[str], assignment_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> None:
        await review_assignments.unassign(db_session, event, assignment_id)
        await db_session.commit()

    @get("/progress", operation_id="reviewProgress", responses=ERRORS)
    async def progress(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> ProgressRead:
        """Assigned and submitted reviews per reviewer and per topic."""
        return await review_reports.progress(db_session, event)

    @get("/ranking", operation_id="reviewRanking", responses=ERRORS)
    async def ranking(
        self,
        event: FromPath[str],
        db_session: NamedDependency[AsyncSession],
        topic: FromQuery[UUID | None] = None,
        type: FromQuery[UUID | None] = None,
    ) -> list[RankedGroupRead]:
        """The ranked list per topic and submission type: normalized mean (per-reviewer z-scores) beside the
        raw mean of the weighted scores of submitted reviews, best first."""
        return await review_reports.ranking(db_session, event, topic_id=topic, submission_type_id=type)


class ReviewerController(Controller):
    """The signed-in reviewer's own review work for one event; nothing else is reachable from here."""

    path = "/api/review/events/{event:str}"
    tags = ["abstracts: review (reviewer)"]
    guards = [requires_signed_in]
    security = BEARER

    @get("/me", operation_id="getReviewerProfile", responses=ERRORS)
    async def profile(
        self, event: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> ReviewerProfileRead:
        return await reviewers.my_profile(db_session, event, signed_in_user(request).id)

    @put("/me", operation_id="updateReviewerProfile", responses=ERRORS)
    async def update_profile(
        self,
        event: FromPath[str],
        data: JSONBody[ReviewerProfileUpdate],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> ReviewerProfileRead:
        """Topics, institutions and declared conflicts (replacing what was there); unreviewed assignments that
        now conflict are dropped."""
        read = await reviewers.update_my_profile(db_session, event, signed_in_user(request).id, data)
        await db_session.commit()
        return read

    @get("/assignments", operation_id="listMyAssignments", responses=ERRORS)
    async def assignments(
        self, event: FromPath[str], request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> list[MyAssignmentRead]:
        return await review_work.my_assignments(db_session, event, signed_in_user(request).id)

    @get("/abstracts/{abstract_id:uuid}", operation_id="readAssignedAbstract", responses=ERRORS)
    async def abstract(
        self,
        event: FromPath[str],
        abstract_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> BlindAbstractRead:
        """An assigned abstract, blind (no authors or institutions), with the rubric and one's own review."""
        return await review_work.blind_abstract(db_session, event, signed_in_user(request).id, abstract_id)

    @get(
        "/abstracts/{abstract_id:uuid}/figure",
        operation_id="readAssignedAbstractFigure",
        responses=ERRORS,
        media_type="image/png",
    )
    async def figure(
        self,
        event: FromPath[str],
        abstract_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[bytes]:
        """An assigned abstract's figure: the image only, re-encoded without metadata."""
        found = await figures.reviewer_figure(db_session, event, abstract_id, signed_in_user(request).id)
        return figure_response(found)

    @put("/abstracts/{abstract_id:uuid}/review", operation_id="writeReview", responses=ERRORS)
    async def review(
        self,
        event: FromPath[str],
        abstract_id: FromPath[UUID],
        data: JSONBody[ReviewWrite],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> MyReviewRead:
        """Save (``submit: false``) or submit one's review; each score out of its criterion's range is 422
        naming ``scores.<criterion id>``."""
        read = await review_work.write_review(db_session, event, signed_in_user(request).id, abstract_id, data)
        await db_session.commit()
        return read


REVIEW_CONTROLLERS = (ReviewOrganizerController, ReviewerController)
