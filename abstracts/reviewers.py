"""Reviewers of a call: inviting them, and what they declare (topics, institutions, conflicts of interest).

A reviewer is an account (``user_account``) tied to one event's call; everything a reviewer does is looked up
from the signed-in account and the event, so nobody reaches another's assignments by guessing ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID, uuid4

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.calls import no_call
from abstracts.models import (
    Abstract,
    CallForAbstracts,
    Review,
    ReviewAssignment,
    Reviewer,
    ReviewerConflict,
    Topic,
    reviewer_topic,
)
from abstracts.review_conflicts import normalize
from abstracts.review_facts import conflicted_assignments
from abstracts.review_mail import enqueue_invitation
from abstracts.review_schemas import (
    ConflictDeclaration,
    ReviewerInvite,
    ReviewerProfileRead,
    ReviewerProfileUpdate,
    ReviewerRead,
)
from events.models import Event
from events.services import get_event
from podium.auth.models import User
from podium.auth.services import normalise_email
from podium.auth.sign_in import member_account
from podium.db import begin_write, utcnow
from podium.errors import FieldError, InvalidInput, NotFound
from podium.i18n import N_, ngettext


async def call_of(db_session: AsyncSession, slug: str, *, lock: bool = False) -> tuple[Event, CallForAbstracts]:
    """The event and its call for abstracts; 404 naming ``event`` when either is missing. ``lock``: hold the
    call's row until the transaction ends, so writers of assignments and reviewers of one call take turns (two
    assignment runs at once would otherwise both add the same missing pair)."""
    event = await get_event(db_session, slug, with_children=False)
    query = select(CallForAbstracts).where(CallForAbstracts.event_id == event.id)
    call = await db_session.scalar(query.with_for_update() if lock else query)
    if call is None:
        raise NotFound(no_call(slug), field="event")
    return event, call


async def reviewer_of(
    db_session: AsyncSession, slug: str, user_id: UUID, *, lock: bool = False
) -> tuple[Event, CallForAbstracts, Reviewer]:
    """The signed-in account's reviewer record for this event; 404 when they don't review it. ``lock``: hold
    the reviewer's row (one profile update at a time)."""
    event, call = await call_of(db_session, slug)
    query = select(Reviewer).where(Reviewer.call_id == call.id, Reviewer.user_id == user_id)
    reviewer = await db_session.scalar(query.with_for_update() if lock else query)
    if reviewer is None:
        raise NotFound(N_("you are not a reviewer of this event"), field="event")
    return event, call, reviewer


async def topic_ids_of(db_session: AsyncSession, reviewer_ids: Sequence[UUID]) -> dict[UUID, list[UUID]]:
    rows = await db_session.execute(
        select(reviewer_topic.c.reviewer_id, reviewer_topic.c.topic_id).where(
            reviewer_topic.c.reviewer_id.in_(reviewer_ids)
        )
    )
    found: dict[UUID, list[UUID]] = {reviewer_id: [] for reviewer_id in reviewer_ids}
    for reviewer_id, topic_id in rows.all():
        found[reviewer_id].append(topic_id)
    return found


def reviewer_read(reviewer: Reviewer, user: User, topic_ids: list[UUID]) -> ReviewerRead:
    return ReviewerRead(
        id=reviewer.id,
        user_id=user.id,
        email=user.email,
        display_name=user.display_name,
        topic_ids=sorted(topic_ids),
        institutions=list(reviewer.institutions),
        invited_at=reviewer.invited_at,
        accepted_at=reviewer.accepted_at,
    )


async def list_reviewers(db_session: AsyncSession, slug: str) -> list[ReviewerRead]:
    _, call = await call_of(db_session, slug)
    rows = (
        await db_session.execute(
            select(Reviewer, User).join(User, User.id == Reviewer.user_id).where(Reviewer.call_id == call.id)
        )
    ).all()
    topics = await topic_ids_of(db_session, [reviewer.id for reviewer, _ in rows])
    reads = [reviewer_read(reviewer, user, topics[reviewer.id]) for reviewer, user in rows]
    return sorted(reads, key=lambda read: read.email)


async def invite_reviewer(db_session: AsyncSession, slug: str, data: ReviewerInvite) -> ReviewerRead:
    """Make the person a reviewer of the event's call (making their member account when the address has none,
    ``podium.auth.sign_in.member_account``) and mail them the way in, in ``data.locale``, once per reviewer
    record: inviting the same person again makes nothing and mails nothing."""
    await begin_write(db_session)
    event, call = await call_of(db_session, slug, lock=True)
    user = await member_account(db_session, data.email, data.display_name)
    reviewer = await db_session.scalar(select(Reviewer).where(Reviewer.call_id == call.id, Reviewer.user_id == user.id))
    if reviewer is None:
        reviewer = Reviewer(id=uuid4(), call_id=call.id, user_id=user.id, institutions=[], invited_at=utcnow())
        db_session.add(reviewer)
        await db_session.flush()
        await enqueue_invitation(db_session, event, reviewer, user, data.locale)
    return reviewer_read(reviewer, user, (await topic_ids_of(db_session, [reviewer.id]))[reviewer.id])


async def _conflicts(db_session: AsyncSession, reviewer_id: UUID) -> list[ConflictDeclaration]:
    rows = await db_session.scalars(
        select(ReviewerConflict)
        .where(ReviewerConflict.reviewer_id == reviewer_id)
        .order_by(ReviewerConflict.created_at)
    )
    return [
        ConflictDeclaration(
            abstract_id=row.abstract_id, institution=row.institution, author_email=row.author_email, reason=row.reason
        )
        for row in rows.all()
    ]


async def my_profile(db_session: AsyncSession, slug: str, user_id: UUID) -> ReviewerProfileRead:
    _, _, reviewer = await reviewer_of(db_session, slug, user_id)
    return ReviewerProfileRead(
        reviewer_id=reviewer.id,
        topic_ids=sorted((await topic_ids_of(db_session, [reviewer.id]))[reviewer.id]),
        institutions=list(reviewer.institutions),
        conflicts=await _conflicts(db_session, reviewer.id),
    )


async def _check_profile(
    db_session: AsyncSession, call: CallForAbstracts, data: ReviewerProfileUpdate
) -> list[FieldError]:
    errors: list[FieldError] = []
    topics = set((await db_session.scalars(select(Topic.id).where(Topic.call_id == call.id))).all())
    errors += [
        FieldError(f"topic_ids[{n}]", N_("no such topic in this call"))
        for n, topic_id in enumerate(data.topic_ids)
        if topic_id not in topics
    ]
    errors += [
        FieldError(f"institutions[{n}]", N_("must not be blank"))
        for n, name in enumerate(data.institutions)
        if not normalize(name)
    ]
    wanted = [c.abstract_id for c in data.conflicts if c.abstract_id is not None]
    known = set(
        (
            await db_session.scalars(select(Abstract.id).where(Abstract.call_id == call.id, Abstract.id.in_(wanted)))
        ).all()
    )
    for n, conflict in enumerate(data.conflicts):
        given = [conflict.abstract_id, conflict.institution, conflict.author_email]
        if sum(value is not None for value in given) != 1:
            errors.append(
                FieldError(f"conflicts[{n}]", N_("name exactly one of abstract_id, institution, author_email"))
            )
        elif conflict.abstract_id is not None and conflict.abstract_id not in known:
            errors.append(FieldError(f"conflicts[{n}].abstract_id", N_("no such abstract in this call")))
        elif conflict.institution is not None and not normalize(conflict.institution):
            errors.append(FieldError(f"conflicts[{n}].institution", N_("must not be blank")))
    return errors


async def update_my_profile(
    db_session: AsyncSession, slug: str, user_id: UUID, data: ReviewerProfileUpdate
) -> ReviewerProfileRead:
    """Replace the reviewer's topics, institutions and declared conflicts (all errors at once, 422), and drop
    their assignments that now conflict and have no submitted review, so the next automatic run fills them
    with someone else. Saving the profile also accepts the invitation."""
    await begin_write(db_session)
    _, call, reviewer = await reviewer_of(db_session, slug, user_id, lock=True)
    errors = await _check_profile(db_session, call, data)
    if errors:
        detail = ngettext("%(num)d field needs attention", "%(num)d fields need attention", len(errors))
        raise InvalidInput(detail % {"num": len(errors)}, errors=errors)
    reviewer.institutions = sorted({" ".join(name.split()) for name in data.institutions})
    reviewer.accepted_at = reviewer.accepted_at or utcnow()
    await db_session.execute(delete(reviewer_topic).where(reviewer_topic.c.reviewer_id == reviewer.id))
    if data.topic_ids:
        rows = [{"reviewer_id": reviewer.id, "topic_id": topic_id} for topic_id in sorted(set(data.topic_ids))]
        await db_session.execute(insert(reviewer_topic), rows)
    await db_session.execute(delete(ReviewerConflict).where(ReviewerConflict.reviewer_id == reviewer.id))
    db_session.add_all(
        ReviewerConflict(
            id=uuid4(),
            reviewer_id=reviewer.id,
            abstract_id=c.abstract_id,
            institution=" ".join(c.institution.split()) if c.institution else None,
            author_email=normalise_email(c.author_email) if c.author_email else None,
            reason=c.reason.strip(),
        )
        for c in data.conflicts
    )
    await db_session.flush()
    await _drop_conflicting_assignments(db_session, call, reviewer)
    return await my_profile(db_session, slug, user_id)


async def _drop_conflicting_assignments(db_session: AsyncSession, call: CallForAbstracts, reviewer: Reviewer) -> None:
    dropped = await conflicted_assignments(db_session, call.id, reviewer.id)
    if dropped:
        submitted = select(Review.assignment_id).where(Review.submitted_at.is_not(None))
        await db_session.execute(
            delete(ReviewAssignment).where(ReviewAssignment.id.in_(dropped), ReviewAssignment.id.not_in(submitted))
        )
