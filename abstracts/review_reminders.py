"""Reminding reviewers of the abstracts they still have to review (run by ``abstracts.review_tasks``).

A reviewer is reminded when they have open assignments (no submitted review, the abstract still under review)
and the oldest of them is at least one reminder window old; then at most once per window. Two guards keep it
to once, also with several workers sweeping at the same time: the assignments' ``reminded_at`` (nobody reminded
within the last window), and the mail's dedupe key, which names the window (fixed steps from the epoch).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from uuid import UUID

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.models import Abstract, AbstractStatus, CallForAbstracts, Review, ReviewAssignment, Reviewer
from abstracts.review_mail import enqueue_reminder
from events.models import Event
from podium.auth.models import User
from podium.db import begin_write, utcnow

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def window_start(now: dt.datetime, window: dt.timedelta) -> dt.datetime:
    return EPOCH + ((now - EPOCH) // window) * window


def _aware(instant: dt.datetime) -> dt.datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)


async def remind_reviewers(db_session: AsyncSession, *, window: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Write the reminders now due (the caller commits); returns how many reviewers were reminded."""
    now = now or utcnow()
    await begin_write(db_session)
    submitted = select(Review.assignment_id).where(Review.submitted_at.is_not(None))
    rows = (
        await db_session.execute(
            select(ReviewAssignment.id, ReviewAssignment.assigned_at, ReviewAssignment.reminded_at, Reviewer.id)
            .join(Reviewer, Reviewer.id == ReviewAssignment.reviewer_id)
            .join(Abstract, Abstract.id == ReviewAssignment.abstract_id)
            .join(User, User.id == Reviewer.user_id)
            .where(
                Abstract.status == AbstractStatus.SUBMITTED,
                ReviewAssignment.id.not_in(submitted),
                Reviewer.declined_at.is_(None),
                User.is_active.is_(True),
            )
        )
    ).all()
    open_by_reviewer: dict[UUID, list[UUID]] = defaultdict(list)
    due: set[UUID] = set()
    recent: set[UUID] = set()
    for assignment_id, assigned_at, reminded_at, reviewer_id in rows:
        open_by_reviewer[reviewer_id].append(assignment_id)
        if _aware(assigned_at) <= now - window:
            due.add(reviewer_id)
        if reminded_at is not None and _aware(reminded_at) > now - window:
            recent.add(reviewer_id)
    reminded = 0
    step = window_start(now, window)
    for reviewer_id in sorted(due - recent):
        reviewer, user, event = (
            await db_session.execute(
                select(Reviewer, User, Event)
                .join(User, User.id == Reviewer.user_id)
                .join(CallForAbstracts, CallForAbstracts.id == Reviewer.call_id)
                .join(Event, Event.id == CallForAbstracts.event_id)
                .where(Reviewer.id == reviewer_id)
            )
        ).one()
        assignments = open_by_reviewer[reviewer_id]
        claimed = await db_session.execute(
            update(ReviewAssignment)
            .where(
                ReviewAssignment.id.in_(assignments),
                or_(ReviewAssignment.reminded_at.is_(None), ReviewAssignment.reminded_at <= now - window),
            )
            .values(reminded_at=now)
        )
        if claimed.rowcount == len(assignments):  # type: ignore[attr-defined]  # a DML result has a rowcount
            await enqueue_reminder(db_session, event, reviewer, user, len(assignments), step)
            reminded += 1
    return reminded
