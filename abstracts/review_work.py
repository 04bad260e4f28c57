"""A reviewer's own work: their assignments, an assigned abstract read blind, and their review of it.

Every read starts from the signed-in account's reviewer record, so an abstract not assigned to them is 404 and
nobody else's review is ever read. The blind view is built field by field from the abstract alone: authors,
emails, institutions and disclosures are never loaded here.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.formatting import render_body
from abstracts.models import (
    Abstract,
    AbstractFigure,
    Review,
    ReviewAssignment,
    Reviewer,
    ReviewScore,
    RubricCriterion,
    SubmissionType,
    Topic,
)
from abstracts.review_schemas import (
    BlindAbstractRead,
    BlindTalkRead,
    CriterionRead,
    MyAssignmentRead,
    MyReviewRead,
    ReviewWrite,
)
from abstracts.reviewers import reviewer_of
from abstracts.symposia import talks_of
from podium.db import begin_write, utcnow
from podium.errors import FieldError, InvalidInput, NotFound
from podium.i18n import N_, gettext, ngettext


def review_state(review: Review | None) -> str:
    if review is None:
        return "open"
    return "submitted" if review.submitted_at is not None else "draft"


async def my_assignments(db_session: AsyncSession, slug: str, user_id: UUID) -> list[MyAssignmentRead]:
    _, _, reviewer = await reviewer_of(db_session, slug, user_id)
    rows = (
        await db_session.execute(
            select(ReviewAssignment, Abstract.number, Abstract.title, Topic.name, SubmissionType.name, Review)
            .join(Abstract, Abstract.id == ReviewAssignment.abstract_id)
            .join(SubmissionType, SubmissionType.id == Abstract.submission_type_id)
            .outerjoin(Topic, Topic.id == Abstract.topic_id)
            .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
            .where(ReviewAssignment.reviewer_id == reviewer.id)
            .order_by(Abstract.number, Abstract.id)
        )
    ).all()
    return [
        MyAssignmentRead(
            assignment_id=assignment.id,
            abstract_id=assignment.abstract_id,
            number=number,
            title=title,
            topic=topic or "",
            submission_type=kind,
            review=review_state(review),
        )
        for assignment, number, title, topic, kind, review in rows
    ]


async def _assignment(
    db_session: AsyncSession, reviewer: Reviewer, abstract_id: UUID, *, lock: bool = False
) -> tuple[ReviewAssignment, Abstract]:
    """The reviewer's assignment to the abstract (404 otherwise); ``lock`` holds the assignment's row, so two
    saves of one review at once take turns instead of both creating it."""
    query = (
        select(ReviewAssignment, Abstract)
        .join(Abstract, Abstract.id == ReviewAssignment.abstract_id)
        .where(ReviewAssignment.reviewer_id == reviewer.id, ReviewAssignment.abstract_id == abstract_id)
    )
    row = (await db_session.execute(query.with_for_update(of=ReviewAssignment) if lock else query)).first()
    if row is None:
        raise NotFound(N_("no such abstract among your assignments"), field="abstract_id")
    return row[0], row[1]


async def _criteria(db_session: AsyncSession, call_id: UUID) -> list[RubricCriterion]:
    query = select(RubricCriterion).where(RubricCriterion.call_id == call_id)
    return list((await db_session.scalars(query.order_by(RubricCriterion.position, RubricCriterion.name))).all())


async def _my_review(db_session: AsyncSession, assignment_id: UUID) -> MyReviewRead | None:
    review = await db_session.scalar(select(Review).where(Review.assignment_id == assignment_id))
    if review is None:
        return None
    scores = (
        await db_session.execute(
            select(ReviewScore.criterion_id, ReviewScore.score).where(ReviewScore.review_id == review.id)
        )
    ).all()
    return MyReviewRead(
        scores={str(criterion_id): score for criterion_id, score in scores},
        comments_to_authors=review.comments_to_authors,
        comments_to_committee=review.comments_to_committee,
        submitted_at=review.submitted_at,
    )


async def blind_abstract(db_session: AsyncSession, slug: str, user_id: UUID, abstract_id: UUID) -> BlindAbstractRead:
    _, call, reviewer = await reviewer_of(db_session, slug, user_id)
    assignment, abstract = await _assignment(db_session, reviewer, abstract_id)
    topic = await db_session.get(Topic, abstract.topic_id) if abstract.topic_id else None
    kind = await db_session.get_one(SubmissionType, abstract.submission_type_id)
    has_figure = await db_session.scalar(select(AbstractFigure.id).where(AbstractFigure.abstract_id == abstract.id))
    talks = await talks_of(db_session, abstract.id) if kind.is_symposium else []
    return BlindAbstractRead(
        abstract_id=abstract.id,
        number=abstract.number,
        title=abstract.title,
        body=abstract.body,
        body_html=str(render_body(abstract.body)),
        keywords=list(abstract.keywords),
        topic=topic.name if topic else "",
        submission_type=kind.name,
        criteria=[
            CriterionRead(id=c.id, name=c.name, weight=c.weight, min_score=c.min_score, max_score=c.max_score)
            for c in await _criteria(db_session, call.id)
        ],
        my_review=await _my_review(db_session, assignment.id),
        figure_url=f"/api/review/events/{slug}/abstracts/{abstract.id}/figure" if has_figure else None,
        talks=[
            BlindTalkRead(title=t.title, body=t.body, body_html=str(render_body(t.body)), keywords=list(t.keywords))
            for t in talks
        ],
    )


def _checked_scores(data: ReviewWrite, criteria: list[RubricCriterion]) -> dict[UUID, int]:
    """Every criterion scored within its range when submitting (a draft may leave some out); each wrong one a
    422 error naming ``scores.<criterion id>`` and the criterion."""
    by_id = {str(c.id): c for c in criteria}
    errors: list[FieldError] = []
    scores: dict[UUID, int] = {}
    errored: set[UUID] = set()
    for key, score in data.scores.items():
        criterion = by_id.get(key.strip().lower())
        if criterion is None:
            errors.append(FieldError(f"scores.{key}", N_("no such criterion in this call's rubric")))
        elif not criterion.min_score <= score <= criterion.max_score:
            message = gettext("%(criterion)s: between %(low)s and %(high)s") % {
                "criterion": criterion.name,
                "low": criterion.min_score,
                "high": criterion.max_score,
            }
            errors.append(FieldError(f"scores.{criterion.id}", message))
            errored.add(criterion.id)
        else:
            scores[criterion.id] = score
    if data.submit:
        errors += [
            FieldError(f"scores.{c.id}", gettext("%(criterion)s: a score is required") % {"criterion": c.name})
            for c in criteria
            if c.id not in scores and c.id not in errored
        ]
    if errors:
        detail = ngettext("%(num)d score needs attention", "%(num)d scores need attention", len(errors))
        raise InvalidInput(detail % {"num": len(errors)}, errors=errors)
    return scores


async def write_review(
    db_session: AsyncSession, slug: str, user_id: UUID, abstract_id: UUID, data: ReviewWrite
) -> MyReviewRead:
    """Save or submit the reviewer's review of an assigned abstract; a submitted review may still be updated
    (it stays submitted)."""
    await begin_write(db_session)
    _, call, reviewer = await reviewer_of(db_session, slug, user_id)
    assignment, _ = await _assignment(db_session, reviewer, abstract_id, lock=True)
    scores = _checked_scores(data, await _criteria(db_session, call.id))
    review = await db_session.scalar(select(Review).where(Review.assignment_id == assignment.id))
    if review is None:
        review = Review(id=uuid4(), assignment_id=assignment.id)
        db_session.add(review)
    review.comments_to_authors = data.comments_to_authors
    review.comments_to_committee = data.comments_to_committee
    if data.submit and review.submitted_at is None:
        review.submitted_at = utcnow()
    await db_session.flush()
    await db_session.execute(delete(ReviewScore).where(ReviewScore.review_id == review.id))
    db_session.add_all(
        ReviewScore(id=uuid4(), review_id=review.id, criterion_id=criterion_id, score=score)
        for criterion_id, score in scores.items()
    )
    await db_session.flush()
    found = await _my_review(db_session, assignment.id)
    assert found is not None  # just written
    return found
