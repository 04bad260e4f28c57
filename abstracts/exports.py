"""Everything about a call's abstracts for the organizers, as JSON and as CSV: each abstract with its authors,
decision, place in the program and, where reviews were submitted, the review count and the mean score per
rubric criterion. Read in a handful of set queries for the whole call (no query per abstract), so a call of
thousands exports in one request. CSV cells go through ``podium.spreadsheet.to_cell`` (never a formula).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from uuid import UUID

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.decisions import call_of_event
from abstracts.models import (
    Abstract,
    AbstractAuthor,
    Decision,
    Review,
    ReviewAssignment,
    ReviewScore,
    RubricCriterion,
    SubmissionType,
    Topic,
)
from podium.spreadsheet import to_cell


class AuthorExport(msgspec.Struct):
    position: int
    full_name: str
    email: str
    institution: str
    country: str
    is_presenting: bool


class DecisionExport(msgspec.Struct):
    decided_at: dt.datetime
    mailed_outcome: str | None
    mailed_at: dt.datetime | None


class AbstractExport(msgspec.Struct):
    id: UUID
    number: int | None
    status: str
    title: str
    body: str
    keywords: list[str]
    submission_type: str
    topic: str | None
    submitted_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    presenting_confirmed_at: dt.datetime | None
    session_id: UUID | None
    talk_position: int | None
    talk_minutes: int | None
    poster_board: str | None
    authors: list[AuthorExport]
    decision: DecisionExport | None
    reviews_submitted: int
    # Criterion name → mean of the submitted reviews' scores (absent when none scored it).
    mean_scores: dict[str, float]


async def export_call(db_session: AsyncSession, slug: str) -> tuple[list[str], list[AbstractExport]]:
    """The call's rubric criteria (in order) and every abstract but drafts, by number."""
    _event, call = await call_of_event(db_session, slug)
    abstracts = (
        await db_session.execute(
            select(Abstract, SubmissionType.name, Topic.name)
            .join(SubmissionType, SubmissionType.id == Abstract.submission_type_id)
            .outerjoin(Topic, Topic.id == Abstract.topic_id)
            .where(Abstract.call_id == call.id, Abstract.status != "draft")
            .order_by(Abstract.number, Abstract.id)
        )
    ).all()
    in_call = select(Abstract.id).where(Abstract.call_id == call.id)
    authors: dict[UUID, list[AuthorExport]] = defaultdict(list)
    for a in await db_session.scalars(
        select(AbstractAuthor).where(AbstractAuthor.abstract_id.in_(in_call)).order_by(AbstractAuthor.position)
    ):
        authors[a.abstract_id].append(
            AuthorExport(a.position, a.full_name, a.email, a.institution, a.country, a.is_presenting)
        )
    decisions = {
        d.abstract_id: DecisionExport(d.decided_at, d.mailed_outcome, d.mailed_at)
        for d in await db_session.scalars(select(Decision).where(Decision.abstract_id.in_(in_call)))
    }
    criteria = (
        await db_session.scalars(
            select(RubricCriterion.name).where(RubricCriterion.call_id == call.id).order_by(RubricCriterion.position)
        )
    ).all()
    submitted = Review.submitted_at.is_not(None)
    counts = dict(
        (
            await db_session.execute(
                select(ReviewAssignment.abstract_id, func.count(Review.id))
                .join(Review, Review.assignment_id == ReviewAssignment.id)
                .where(ReviewAssignment.abstract_id.in_(in_call), submitted)
                .group_by(ReviewAssignment.abstract_id)
            )
        )
        .tuples()
        .all()
    )
    means: dict[UUID, dict[str, float]] = defaultdict(dict)
    for abstract_id, name, mean in (
        await db_session.execute(
            select(ReviewAssignment.abstract_id, RubricCriterion.name, func.avg(ReviewScore.score))
            .join(Review, Review.assignment_id == ReviewAssignment.id)
            .join(ReviewScore, ReviewScore.review_id == Review.id)
            .join(RubricCriterion, RubricCriterion.id == ReviewScore.criterion_id)
            .where(ReviewAssignment.abstract_id.in_(in_call), submitted)
            .group_by(ReviewAssignment.abstract_id, RubricCriterion.name)
        )
    ).all():
        means[abstract_id][name] = round(float(mean), 3)
    rows = [
        AbstractExport(
            id=a.id,
            number=a.number,
            status=a.status,
            title=a.title,
            body=a.body,
            keywords=list(a.keywords),
            submission_type=kind,
            topic=topic,
            submitted_at=a.submitted_at,
            withdrawn_at=a.withdrawn_at,
            presenting_confirmed_at=a.presenting_confirmed_at,
            session_id=a.session_id,
            talk_position=a.talk_position,
            talk_minutes=a.talk_minutes,
            poster_board=a.poster_board,
            authors=authors.get(a.id, []),
            decision=decisions.get(a.id),
            reviews_submitted=counts.get(a.id, 0),
            mean_scores=means.get(a.id, {}),
        )
        for a, kind, topic in abstracts
    ]
    return list(criteria), rows


CSV_COLUMNS = (
    "number",
    "id",
    "status",
    "title",
    "submission_type",
    "topic",
    "keywords",
    "authors",
    "institutions",
    "presenting_author",
    "presenting_email",
    "presenting_confirmed_at",
    "decided_at",
    "mailed_outcome",
    "session_id",
    "talk_position",
    "talk_minutes",
    "poster_board",
    "reviews_submitted",
)


def _instant(value: dt.datetime | None) -> str:
    return value.isoformat() if value else ""


def render_csv(criteria: list[str], rows: list[AbstractExport]) -> str:
    """One line per abstract; authors in order, separated by "; "; one column per criterion's mean score."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*CSV_COLUMNS, *(f"mean: {name}" for name in criteria), "body"])
    for row in rows:
        presenter = next((a for a in row.authors if a.is_presenting), None)
        institutions = list(dict.fromkeys(a.institution for a in row.authors if a.institution))
        values = [
            row.number,
            row.id,
            row.status,
            row.title,
            row.submission_type,
            row.topic,
            "; ".join(row.keywords),
            "; ".join(a.full_name for a in row.authors),
            "; ".join(institutions),
            presenter.full_name if presenter else "",
            presenter.email if presenter else "",
            _instant(row.presenting_confirmed_at),
            _instant(row.decision.decided_at) if row.decision else "",
            row.decision.mailed_outcome if row.decision else "",
            row.session_id,
            row.talk_position,
            row.talk_minutes,
            row.poster_board,
            row.reviews_submitted,
            *(row.mean_scores.get(name, "") for name in criteria),
            row.body,
        ]
        writer.writerow([to_cell(v) for v in values])
    return out.getvalue()
