"""The demo's call for abstracts: the knob's worth of submitted abstracts with authors and disclosures, member
reviewers, the assignment the organizers' service makes (no conflict of interest, the call's N reviewers
each, loads within one) and reviews scored on every rubric criterion, ready for the ranked lists."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import func, select

from abstracts.models import (
    Abstract,
    AbstractAuthor,
    AbstractStatus,
    CallForAbstracts,
    Review,
    ReviewAssignment,
    Reviewer,
    ReviewScore,
    RubricCriterion,
)
from abstracts.review_conflicts import conflict_rule
from abstracts.review_facts import abstract_facts, reviewer_facts
from demo.seed import DemoSize, seed_demo
from podium.auth.models import Role, User
from podium.settings import Settings
from tests.registration.factories import db_session_for

ABSTRACTS, REVIEWERS = 150, 40


@pytest.fixture(scope="module")
def seeded(settings: Settings) -> Settings:
    asyncio.run(seed_demo(settings, DemoSize(rooms=6, abstracts=ABSTRACTS, reviewers=REVIEWERS)))
    return settings


async def test_the_call_is_seeded_submitted_assigned_without_conflicts_and_reviewed(seeded: Settings) -> None:
    async with db_session_for(seeded) as db_session:
        call = (await db_session.scalars(select(CallForAbstracts))).one()
        statuses = Counter((await db_session.scalars(select(Abstract.status))).all())
        numbers = sorted(n or 0 for n in (await db_session.scalars(select(Abstract.number))).all())
        presenting = await db_session.scalar(
            select(func.count()).select_from(AbstractAuthor).where(AbstractAuthor.is_presenting.is_(True))
        )
        roles = Counter((await db_session.scalars(select(User.role).join(Reviewer, Reviewer.user_id == User.id))).all())
        pairs = (await db_session.execute(select(ReviewAssignment.abstract_id, ReviewAssignment.reviewer_id))).all()
        abstracts = {a.id: a for a in await abstract_facts(db_session, call.id)}
        reviewers = {r.id: r for r in await reviewer_facts(db_session, call.id)}
        criteria = await db_session.scalar(select(func.count()).select_from(RubricCriterion))
        reviews = await db_session.scalar(select(func.count()).select_from(Review))
        scores = await db_session.scalar(select(func.count()).select_from(ReviewScore))

    assert statuses == {AbstractStatus.SUBMITTED.value: ABSTRACTS}
    assert numbers == list(range(1, ABSTRACTS + 1)) and call.numbers_given == ABSTRACTS
    assert presenting == ABSTRACTS
    assert roles == {Role.MEMBER.value: REVIEWERS}
    per_abstract = Counter(abstract_id for abstract_id, _ in pairs)
    assert set(per_abstract.values()) == {call.reviews_per_abstract} and len(per_abstract) == ABSTRACTS
    assert [pair for pair in pairs if conflict_rule(abstracts[pair[0]], reviewers[pair[1]])] == []
    loads = Counter(reviewer_id for _, reviewer_id in pairs).values()
    assert max(loads) - min(loads) <= 2  # topic first and conflicts may cost one more than perfect balance
    assert 0.6 * len(pairs) < (reviews or 0) < len(pairs)  # most reviewed, a few reviewers late
    assert scores == (reviews or 0) * (criteria or 0)


async def test_seeding_again_after_a_reset_reuses_the_member_accounts(seeded: Settings) -> None:
    async with db_session_for(seeded) as db_session:
        before = await db_session.scalar(select(func.count()).select_from(User))

    await seed_demo(seeded, DemoSize(rooms=6, abstracts=ABSTRACTS, reviewers=REVIEWERS), reset=True)

    async with db_session_for(seeded) as db_session:
        after = await db_session.scalar(select(func.count()).select_from(User))
        abstracts = await db_session.scalar(select(func.count()).select_from(Abstract))
    assert (after, abstracts) == (before, ABSTRACTS)
