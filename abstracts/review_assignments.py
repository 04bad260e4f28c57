"""Assigning reviewers to abstracts: the automatic run over the whole call, and the organizers' hand.

The automatic run reads every abstract under review and every reviewer as facts, plans with
``abstracts.assignment`` (existing assignments kept and counted) and writes only what is missing, in the
caller's one transaction; running it again adds nothing new. By hand, a conflict of interest is refused with
409 naming the rule unless the organizer overrides it.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.assignment import assign_reviewers
from abstracts.models import Abstract, AssignedBy, Review, ReviewAssignment, Reviewer
from abstracts.review_conflicts import conflict_rule
from abstracts.review_facts import abstract_facts, reviewer_facts
from abstracts.review_schemas import AssignmentCreate, AssignmentRead, AutoAssignResult, ShortfallRead
from abstracts.reviewers import call_of
from podium.db import begin_write, savepoint, utcnow
from podium.errors import Conflict, NotFound
from podium.i18n import N_, gettext


def assignment_read(assignment: ReviewAssignment) -> AssignmentRead:
    return AssignmentRead(
        id=assignment.id,
        abstract_id=assignment.abstract_id,
        reviewer_id=assignment.reviewer_id,
        assigned_at=assignment.assigned_at,
        assigned_by=assignment.assigned_by,
    )


async def auto_assign(db_session: AsyncSession, slug: str) -> AutoAssignResult:
    """Bring every abstract under review up to the call's ``reviews_per_abstract`` reviewers."""
    await begin_write(db_session)
    _, call = await call_of(db_session, slug, lock=True)
    abstracts = await abstract_facts(db_session, call.id)
    reviewers = await reviewer_facts(db_session, call.id)
    existing = (
        await db_session.execute(
            select(ReviewAssignment.abstract_id, ReviewAssignment.reviewer_id)
            .join(Reviewer, Reviewer.id == ReviewAssignment.reviewer_id)
            .where(Reviewer.call_id == call.id)
        )
    ).all()
    plan = assign_reviewers(abstracts, reviewers, call.reviews_per_abstract, [(a, r) for a, r in existing])
    now = utcnow()
    if plan.added:
        rows = [
            {
                "id": uuid4(),
                "abstract_id": abstract_id,
                "reviewer_id": reviewer_id,
                "assigned_at": now,
                "assigned_by": AssignedBy.AUTO.value,
                "created_at": now,
                "updated_at": now,
            }
            for abstract_id, reviewer_id in plan.added
        ]
        await db_session.execute(insert(ReviewAssignment), rows)
    short = select(Abstract.id, Abstract.number).where(Abstract.id.in_([s.abstract_id for s in plan.shortfalls]))
    numbers: dict[UUID, int | None] = {abstract_id: number for abstract_id, number in await db_session.execute(short)}
    return AutoAssignResult(
        added=len(plan.added),
        outside_topic=len(plan.outside_topic),
        shortfalls=[
            ShortfallRead(
                abstract_id=s.abstract_id, number=numbers.get(s.abstract_id), wanted=s.wanted, assigned=s.assigned
            )
            for s in sorted(plan.shortfalls, key=lambda s: (numbers.get(s.abstract_id) or 0, s.abstract_id))
        ],
    )


async def assign_by_hand(db_session: AsyncSession, slug: str, data: AssignmentCreate) -> ReviewAssignment:
    """One assignment; 404 for an abstract or reviewer not of this call, 409 ``conflict_of_interest`` naming
    the rule (unless ``override``), 409 ``already_assigned`` for a pair that exists."""
    await begin_write(db_session)
    _, call = await call_of(db_session, slug, lock=True)
    abstracts = await abstract_facts(db_session, call.id, [data.abstract_id])
    if not abstracts:
        raise NotFound(N_("no such abstract in this call"), field="abstract_id")
    reviewers = await reviewer_facts(db_session, call.id, [data.reviewer_id])
    if not reviewers:
        raise NotFound(N_("no such reviewer in this call"), field="reviewer_id")
    rule = conflict_rule(abstracts[0], reviewers[0])
    if rule is not None and not data.override:
        raise Conflict(
            gettext("conflict of interest (%(rule)s): send override=true to assign anyway") % {"rule": rule.value},
            field="reviewer_id",
            code="conflict_of_interest",
        )
    assignment = ReviewAssignment(
        id=uuid4(),
        abstract_id=data.abstract_id,
        reviewer_id=data.reviewer_id,
        assigned_at=utcnow(),
        assigned_by=AssignedBy.MANUAL.value,
    )
    refused = Conflict(
        N_("this reviewer is assigned to this abstract already"), field="reviewer_id", code="already_assigned"
    )
    async with savepoint(db_session, refused):
        db_session.add(assignment)
    return assignment


async def unassign(db_session: AsyncSession, slug: str, assignment_id: UUID) -> None:
    """Remove an assignment; one whose review was submitted stays (409 ``review_submitted``): the review counts."""
    await begin_write(db_session)
    _, call = await call_of(db_session, slug, lock=True)
    assignment = await db_session.scalar(
        select(ReviewAssignment)
        .join(Reviewer, Reviewer.id == ReviewAssignment.reviewer_id)
        .where(ReviewAssignment.id == assignment_id, Reviewer.call_id == call.id)
    )
    if assignment is None:
        raise NotFound(N_("no such assignment in this call"), field="assignment_id")
    submitted = await db_session.scalar(
        select(Review.id).where(Review.assignment_id == assignment.id, Review.submitted_at.is_not(None))
    )
    if submitted is not None:
        raise Conflict(N_("its review was submitted; it stays"), field="assignment_id", code="review_submitted")
    await db_session.execute(delete(ReviewAssignment).where(ReviewAssignment.id == assignment.id))
