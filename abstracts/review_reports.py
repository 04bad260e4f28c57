"""What organizers read about the review: progress per reviewer and per topic, and the ranked lists.

Only submitted reviews count (a draft is the reviewer's own); the arithmetic is ``abstracts.ranking``'s.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from uuid import UUID

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.models import (
    DECIDED,
    Abstract,
    AbstractStatus,
    Review,
    ReviewAssignment,
    Reviewer,
    ReviewScore,
    RubricCriterion,
    SubmissionType,
    Topic,
)
from abstracts.ranking import CriterionFacts, RankableAbstract, ReviewFacts, ranked_lists
from abstracts.review_schemas import (
    ProgressRead,
    RankedAbstractRead,
    RankedGroupRead,
    ReviewerProgress,
    TopicProgress,
)
from abstracts.reviewers import call_of
from podium.auth.models import User

# Abstracts that are ranked: under review or decided (organizers re-read the list while deciding).
RANKED_STATUSES = (AbstractStatus.SUBMITTED, *DECIDED)


async def progress(db_session: AsyncSession, slug: str) -> ProgressRead:
    _, call = await call_of(db_session, slug)
    submitted = func.count(Review.submitted_at)
    per_reviewer = (
        await db_session.execute(
            select(Reviewer.id, User.email, User.display_name, func.count(ReviewAssignment.id), submitted)
            .join(User, User.id == Reviewer.user_id)
            .outerjoin(ReviewAssignment, ReviewAssignment.reviewer_id == Reviewer.id)
            .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
            .where(Reviewer.call_id == call.id)
            .group_by(Reviewer.id, User.email, User.display_name)
            .order_by(User.email)
        )
    ).all()
    topics = (
        await db_session.scalars(select(Topic).where(Topic.call_id == call.id).order_by(Topic.position, Topic.name))
    ).all()
    under_review = Abstract.call_id == call.id, Abstract.status == AbstractStatus.SUBMITTED
    per_topic = select(Abstract.topic_id, func.count()).where(*under_review).group_by(Abstract.topic_id)
    abstracts: Counter[UUID | None] = Counter({topic_id: n for topic_id, n in await db_session.execute(per_topic)})
    counts = (
        await db_session.execute(
            select(Abstract.topic_id, func.count(ReviewAssignment.id), submitted)
            .join(ReviewAssignment, ReviewAssignment.abstract_id == Abstract.id)
            .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
            .where(*under_review)
            .group_by(Abstract.topic_id)
        )
    ).all()
    by_topic = {topic_id: (assigned, done) for topic_id, assigned, done in counts}
    names: list[tuple[UUID | None, str]] = [(topic.id, topic.name) for topic in topics]
    if abstracts[None] or None in by_topic:
        names.append((None, ""))
    return ProgressRead(
        reviewers=[
            ReviewerProgress(reviewer_id=rid, email=email, display_name=name, assigned=assigned, submitted=done)
            for rid, email, name, assigned, done in per_reviewer
        ],
        topics=[
            TopicProgress(
                topic_id=topic_id,
                topic=name,
                abstracts=abstracts[topic_id],
                assigned=by_topic.get(topic_id, (0, 0))[0],
                submitted=by_topic.get(topic_id, (0, 0))[1],
            )
            for topic_id, name in names
        ],
    )


async def _submitted_reviews(db_session: AsyncSession, ranked: Select[tuple[UUID]]) -> list[ReviewFacts]:
    """Every submitted review by a reviewer who reviewed one of the ``ranked`` abstracts: all of their reviews,
    since a z-score is against the reviewer's whole marking, and nobody else's. Reviewers mostly review their own
    topics, so one topic's list reads about its share of the scores (the whole call's scores took ~650 ms of the
    list's time at 3,000 abstracts, 300 reviewers)."""
    submitted = Review.submitted_at.is_not(None)
    involved = (
        select(ReviewAssignment.reviewer_id)
        .join(Review, Review.assignment_id == ReviewAssignment.id)
        .where(submitted, ReviewAssignment.abstract_id.in_(ranked))
    )
    statement = (
        select(ReviewAssignment.abstract_id, ReviewAssignment.reviewer_id, ReviewScore.criterion_id, ReviewScore.score)
        .join(Review, Review.assignment_id == ReviewAssignment.id)
        .join(ReviewScore, ReviewScore.review_id == Review.id)
        .where(submitted, ReviewAssignment.reviewer_id.in_(involved))
    )
    # Past the ORM's execute path (plain rows; it cost a fifth of the list's time), and without the review's id:
    # an assignment, so a review, is one (abstract, reviewer) pair.
    rows = (await (await db_session.connection()).execute(statement)).all()
    scores: dict[tuple[UUID, UUID], dict[UUID, float]] = defaultdict(dict)
    for abstract_id, reviewer_id, criterion_id, score in rows:
        scores[(abstract_id, reviewer_id)][criterion_id] = float(score)
    return [ReviewFacts(pair[0], pair[1], scores[pair]) for pair in sorted(scores)]


async def ranking(
    db_session: AsyncSession, slug: str, *, topic_id: UUID | None = None, submission_type_id: UUID | None = None
) -> list[RankedGroupRead]:
    """The ranked list of every topic and submission type (or the one asked for), in the call's topic and type
    order."""
    _, call = await call_of(db_session, slug)
    conditions = [Abstract.call_id == call.id, Abstract.status.in_(RANKED_STATUSES)]
    if topic_id is not None:
        conditions.append(Abstract.topic_id == topic_id)
    if submission_type_id is not None:
        conditions.append(Abstract.submission_type_id == submission_type_id)
    query = select(Abstract.id, Abstract.topic_id, Abstract.submission_type_id, Abstract.number, Abstract.title)
    rows = (await db_session.execute(query.where(*conditions))).all()
    titles = {row[0]: row[4] for row in rows}
    criteria = [
        CriterionFacts(criterion_id, float(weight))
        for criterion_id, weight in (
            await db_session.execute(
                select(RubricCriterion.id, RubricCriterion.weight).where(RubricCriterion.call_id == call.id)
            )
        ).all()
    ]
    ranked = select(Abstract.id).where(*conditions)
    # Every review of the reviewers involved, not only of the listed abstracts: an abstract's normalized mean is
    # the same in one topic's list as in the whole call's.
    reviews = await _submitted_reviews(db_session, ranked)
    lists = ranked_lists([RankableAbstract(a, t, k, n) for a, t, k, n, _ in rows], reviews, criteria)
    topics = {t.id: t for t in (await db_session.scalars(select(Topic).where(Topic.call_id == call.id))).all()}
    kinds = {
        k.id: k
        for k in (await db_session.scalars(select(SubmissionType).where(SubmissionType.call_id == call.id))).all()
    }

    def order(key: tuple[UUID | None, UUID | None]) -> tuple[bool, int, str, int, str]:
        topic, kind = topics.get(key[0]) if key[0] else None, kinds[key[1]] if key[1] else None
        by_topic = (topic is None, topic.position if topic else 0, topic.name if topic else "")
        return (*by_topic, kind.position if kind else 0, kind.name if kind else "")

    return [
        RankedGroupRead(
            topic_id=key[0],
            topic=topics[key[0]].name if key[0] in topics else "",
            submission_type_id=kinds[key[1]].id if key[1] in kinds else None,
            submission_type=kinds[key[1]].name if key[1] in kinds else "",
            abstracts=[
                RankedAbstractRead(
                    position=item.position,
                    abstract_id=item.abstract.id,
                    number=item.abstract.number,
                    title=titles[item.abstract.id],
                    reviews=item.standing.reviews,
                    raw_mean=item.standing.raw_mean,
                    normalized_mean=item.standing.normalized_mean,
                )
                for item in lists[key]
            ],
        )
        for key in sorted(lists, key=order)
    ]
