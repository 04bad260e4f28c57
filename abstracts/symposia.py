"""Symposium proposals: an abstract of a symposium type (its title, its body the rationale, a chair) whose talks
are abstracts of their own naming it (``parent_abstract_id``), each with its authors and its type's limits.

The rules, checked when the proposal is submitted (``abstracts.submissions.submit``): a chair, between the
type's ``min_talks`` and ``max_talks`` talks, and every talk submittable by its own type's rules, each failure
named on its talk (``talks[2].body``). The proposal and its talks are submitted together, and withdrawn
together; a talk alone is neither. Reviewers review the proposal (talks are never assigned, their authors
count for the proposal's conflicts); deciding the proposal decides its talks (``abstracts.decisions``), and
placing the proposal in a session places its talks, in order (``abstracts.scheduling``).
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.calls import CallView
from abstracts.models import Abstract, AbstractStatus, SubmissionType
from abstracts.schemas import AuthorWrite
from abstracts.submission_checks import Draft, submit_errors
from podium.errors import FieldError
from podium.i18n import N_, gettext


async def talks_of(db_session: AsyncSession, proposal_id: UUID, *, lock: bool = False) -> list[Abstract]:
    """The proposal's talks not withdrawn, in the order they were added (their order in the session)."""
    query = (
        select(Abstract)
        .where(Abstract.parent_abstract_id == proposal_id, Abstract.status != AbstractStatus.WITHDRAWN.value)
        .order_by(Abstract.created_at, Abstract.id)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list((await db_session.scalars(query)).all())


async def talks_by_proposal(db_session: AsyncSession, proposal_ids: Sequence[UUID]) -> dict[UUID, list[Abstract]]:
    """The talks of each of these abstracts that is a proposal (others are left out), in order, locked."""
    found: dict[UUID, list[Abstract]] = {}
    if not proposal_ids:
        return found
    rows = await db_session.scalars(
        select(Abstract)
        .where(
            Abstract.parent_abstract_id.in_(proposal_ids),
            Abstract.status.not_in((AbstractStatus.WITHDRAWN.value, AbstractStatus.DRAFT.value)),
        )
        .order_by(Abstract.created_at, Abstract.id)
        .with_for_update()
    )
    for talk in rows:
        assert talk.parent_abstract_id is not None
        found.setdefault(talk.parent_abstract_id, []).append(talk)
    return found


def proposal_errors(
    view: CallView,
    kind: SubmissionType,
    chair: str,
    talks: Sequence[tuple[Abstract, list[AuthorWrite]]],
) -> list[FieldError]:
    """Every rule of a symposium proposal beyond an abstract's own, each on its field."""
    errors: list[FieldError] = []
    if not chair.strip():
        errors.append(FieldError("chair", N_("name the symposium's chair")))
    count = len(talks)
    if count < kind.min_talks:
        wording = gettext("%(num)d talks; a %(kind)s proposal has at least %(limit)d")
        errors.append(FieldError("talks", wording % {"num": count, "kind": kind.name, "limit": kind.min_talks}))
    elif count > kind.max_talks:
        wording = gettext("%(num)d talks; a %(kind)s proposal has at most %(limit)d")
        errors.append(FieldError("talks", wording % {"num": count, "kind": kind.name, "limit": kind.max_talks}))
    for index, (talk, authors) in enumerate(talks):
        talk_kind = view.type_by_id(talk.submission_type_id)
        assert talk_kind is not None  # a type of the call (RESTRICT foreign key)
        draft = Draft(talk_kind, talk.topic_id, talk.title, talk.body, talk.keywords, talk.answers, authors)
        errors += [FieldError(f"talks[{index}].{e.field}", e.message) for e in submit_errors(view, draft)]
    return errors
