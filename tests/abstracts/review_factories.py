"""A call for abstracts ready for review, built straight into the database: two topics, two submission types,
a two-criterion rubric, submitted abstracts with authors, and accounts (with API tokens) to invite as reviewers."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from uuid import UUID, uuid4

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.models import (
    Abstract,
    AbstractAuthor,
    CallForAbstracts,
    RubricCriterion,
    SubmissionType,
    Topic,
)
from events.models import Event
from podium.auth import services as auth_services
from podium.auth.schemas import UserCreate
from podium.settings import Settings
from tests.registration.factories import db_session_for

PASSWORD = "a long enough test password"


@dataclass(frozen=True)
class Person:
    user_id: UUID
    email: str
    headers: dict[str, str]


@dataclass
class ReviewCall:
    slug: str
    call_id: UUID
    topics: list[UUID]
    types: list[UUID]
    criteria: list[UUID]
    abstracts: list[UUID] = field(default_factory=list)
    # Every author name, email and institution, to look for in what reviewers receive.
    author_strings: set[str] = field(default_factory=set)


async def make_person(settings: Settings, name: str) -> Person:
    """An account with an API token (staff until the kernel offers passwordless members: the review's guard
    takes any account, and what it may see is decided by its reviewer record)."""
    async with db_session_for(settings) as db_session:
        email = f"{name.lower().replace(' ', '.')}-{secrets.token_hex(3)}@review.test"
        user = await auth_services.create_user(
            db_session, UserCreate(email=email, display_name=name, password=PASSWORD, role="staff")
        )
        token, _ = await auth_services.issue_token(db_session, user, settings)
        await db_session.commit()
        return Person(user.id, email, {"Authorization": f"Bearer {token}"})


async def build_review_call(
    settings: Settings, *, reviews_per_abstract: int = 2, event_slug: str | None = None
) -> ReviewCall:
    """A call on a new event, or on the event ``event_slug`` when given."""
    now = dt.datetime.now(dt.UTC)
    async with db_session_for(settings) as db_session:
        if event_slug is not None:
            event = await db_session.scalar(select(Event).where(Event.slug == event_slug))
            assert event is not None
        else:
            event = await _new_event(db_session)
        slug = event.slug
        call = CallForAbstracts(
            id=uuid4(),
            event_id=event.id,
            opens_at=now - dt.timedelta(days=30),
            closes_at=now - dt.timedelta(days=1),
            embargo_until=now + dt.timedelta(days=60),
            reviews_per_abstract=reviews_per_abstract,
        )
        db_session.add(call)
        await db_session.flush()
        topics = [
            Topic(id=uuid4(), call_id=call.id, name=name, position=n) for n, name in enumerate(["Cardio", "Neuro"])
        ]
        types = [
            SubmissionType(id=uuid4(), call_id=call.id, key="oral", name="Oral", position=0),
            SubmissionType(id=uuid4(), call_id=call.id, key="poster", name="Poster", position=1),
        ]
        criteria = [
            RubricCriterion(
                id=uuid4(), call_id=call.id, name="Originality", weight=2, min_score=1, max_score=5, position=0
            ),
            RubricCriterion(
                id=uuid4(), call_id=call.id, name="Clarity", weight=1, min_score=1, max_score=5, position=1
            ),
        ]
        db_session.add_all([*topics, *types, *criteria])
        await db_session.commit()
        return ReviewCall(slug, call.id, [t.id for t in topics], [t.id for t in types], [c.id for c in criteria])


async def _new_event(db_session: AsyncSession) -> Event:
    event = Event(
        slug=f"review-{secrets.token_hex(4)}",
        name="Review Test Meeting",
        kind="annual_meeting",
        timezone="Europe/Stockholm",
        venue="Waterfront",
        city="Stockholm",
        currency="EUR",
        start_date=dt.date(2027, 6, 7),
        end_date=dt.date(2027, 6, 10),
        status="published",
    )
    db_session.add(event)
    await db_session.flush()
    return event


async def add_abstract(
    settings: Settings,
    built: ReviewCall,
    submitter: Person,
    *,
    number: int,
    topic: int = 0,
    kind: int = 0,
    authors: list[tuple[str, str, str]] | None = None,
    status: str = "submitted",
) -> UUID:
    """A submitted abstract; ``authors`` are (name, email, institution)."""
    authors = authors or [(f"Author {number}", f"author{number}@uni{number}.test", f"University {number}")]
    async with db_session_for(settings) as db_session:
        abstract = Abstract(
            id=uuid4(),
            call_id=built.call_id,
            submitter_user_id=submitter.user_id,
            submission_type_id=built.types[kind],
            topic_id=built.topics[topic],
            title=f"Abstract number {number} on β-blockers",
            body="We measured µ-opioid receptors ≥ 3 times in H~2~O <b>unsafe</b>.",
            keywords=["cardiology"],
            answers={},
            status=status,
            number=number,
            submitted_at=dt.datetime.now(dt.UTC),
        )
        db_session.add(abstract)
        await db_session.flush()
        db_session.add_all(
            AbstractAuthor(
                abstract_id=abstract.id,
                position=n,
                full_name=name,
                email=email,
                institution=institution,
                country="SE",
                is_presenting=n == 0,
            )
            for n, (name, email, institution) in enumerate(authors)
        )
        await db_session.commit()
    built.abstracts.append(abstract.id)
    for name, email, institution in authors:
        built.author_strings |= {name, email, institution}
    built.author_strings.add(submitter.email)
    return abstract.id
