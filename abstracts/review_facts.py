"""Reading abstracts and reviewers from the database as the plain facts the conflict and assignment rules take
(``abstracts.review_conflicts``), in a few set-wise queries however many there are."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.models import (
    Abstract,
    AbstractAuthor,
    AbstractStatus,
    ReviewAssignment,
    Reviewer,
    ReviewerConflict,
    reviewer_topic,
)
from abstracts.review_conflicts import AbstractFacts, ReviewerFacts, conflict_rule
from podium.auth.models import User

# Abstracts that are reviewed: submitted and not yet decided or withdrawn.
REVIEWED_STATUSES = (AbstractStatus.SUBMITTED,)


async def abstract_facts(
    db_session: AsyncSession, call_id: UUID, abstract_ids: Sequence[UUID] | None = None
) -> list[AbstractFacts]:
    """The call's abstracts under review (or the ones named, in any status) with their authors' emails and
    institutions and the submitter's email."""
    query = select(Abstract.id, Abstract.topic_id, User.email).join(User, User.id == Abstract.submitter_user_id)
    query = query.where(Abstract.call_id == call_id)
    if abstract_ids is None:
        # A symposium's talks are reviewed as its proposal: never assigned on their own.
        query = query.where(Abstract.status.in_(REVIEWED_STATUSES), Abstract.parent_abstract_id.is_(None))
    else:
        query = query.where(Abstract.id.in_(abstract_ids))
    rows = (await db_session.execute(query.order_by(Abstract.id))).all()
    emails: dict[UUID, set[str]] = defaultdict(set)
    institutions: dict[UUID, set[str]] = defaultdict(set)
    # A talk's authors count as its proposal's: a reviewer in conflict with one talk doesn't review the symposium.
    owner = func.coalesce(Abstract.parent_abstract_id, AbstractAuthor.abstract_id)
    authors = select(owner, AbstractAuthor.email, AbstractAuthor.institution)
    authors = authors.join(Abstract, Abstract.id == AbstractAuthor.abstract_id).where(Abstract.call_id == call_id)
    if abstract_ids is not None:
        authors = authors.where(owner.in_(abstract_ids))
    for abstract_id, email, institution in (await db_session.execute(authors)).all():
        if email and email.strip():
            emails[abstract_id].add(email)
        if institution and institution.strip():
            institutions[abstract_id].add(institution)
    return [
        AbstractFacts(
            id=abstract_id,
            topic_id=topic_id,
            author_emails=frozenset(emails[abstract_id]),
            author_institutions=frozenset(institutions[abstract_id]),
            submitter_email=submitter_email,
        )
        for abstract_id, topic_id, submitter_email in rows
    ]


async def reviewer_facts(
    db_session: AsyncSession, call_id: UUID, reviewer_ids: Sequence[UUID] | None = None
) -> list[ReviewerFacts]:
    """The call's reviewers (or the ones named) with their topics, institutions and declared conflicts.
    Reviewers who declined are left out."""
    query = select(Reviewer.id, User.email, Reviewer.institutions).join(User, User.id == Reviewer.user_id)
    query = query.where(Reviewer.call_id == call_id, User.is_active.is_(True))
    if reviewer_ids is None:
        query = query.where(Reviewer.declined_at.is_(None))
    else:
        query = query.where(Reviewer.id.in_(reviewer_ids))
    rows = (await db_session.execute(query)).all()
    ids = [row[0] for row in rows]
    topics: dict[UUID, set[UUID]] = defaultdict(set)
    topic_rows = select(reviewer_topic.c.reviewer_id, reviewer_topic.c.topic_id)
    for reviewer_id, topic_id in (
        await db_session.execute(topic_rows.where(reviewer_topic.c.reviewer_id.in_(ids)))
    ).all():
        topics[reviewer_id].add(topic_id)
    declared: dict[UUID, list[ReviewerConflict]] = defaultdict(list)
    for conflict in (
        await db_session.scalars(select(ReviewerConflict).where(ReviewerConflict.reviewer_id.in_(ids)))
    ).all():
        declared[conflict.reviewer_id].append(conflict)
    return [
        ReviewerFacts(
            id=reviewer_id,
            email=email,
            topic_ids=frozenset(topics[reviewer_id]),
            institutions=frozenset(institutions or ()),
            conflict_abstract_ids=frozenset(c.abstract_id for c in declared[reviewer_id] if c.abstract_id),
            conflict_institutions=frozenset(c.institution for c in declared[reviewer_id] if c.institution),
            conflict_emails=frozenset(c.author_email for c in declared[reviewer_id] if c.author_email),
        )
        for reviewer_id, email, institutions in rows
    ]


async def conflicted_assignments(db_session: AsyncSession, call_id: UUID, reviewer_id: UUID) -> list[UUID]:
    """Ids of the reviewer's assignments that break a conflict rule as things stand now."""
    query = select(ReviewAssignment.abstract_id, ReviewAssignment.id).where(ReviewAssignment.reviewer_id == reviewer_id)
    assigned: dict[UUID, UUID] = {
        abstract_id: assignment_id for abstract_id, assignment_id in await db_session.execute(query)
    }
    if not assigned:
        return []
    (reviewer,) = await reviewer_facts(db_session, call_id, [reviewer_id])
    abstracts = await abstract_facts(db_session, call_id, list(assigned))
    return [assigned[a.id] for a in abstracts if conflict_rule(a, reviewer) is not None]
