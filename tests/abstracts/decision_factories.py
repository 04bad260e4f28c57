"""A call for abstracts with submitted abstracts and their authors, written straight into the database, for
the decision, scheduling and export tests (they don't wait for the submission services)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from uuid import UUID

from abstracts.models import Abstract, AbstractAuthor, AbstractStatus, CallForAbstracts, SubmissionType, Topic
from podium.auth.models import User
from podium.settings import Settings
from tests.registration.factories import db_session_for
from tests.sessions.factories import ProgramEvent, build_program_event

UTC = dt.UTC


@dataclass(frozen=True)
class CallFixture:
    event: ProgramEvent
    call_id: UUID
    submitter_email: str
    abstracts: list[UUID]
    presenters: list[str]  # each abstract's presenting author's email ("" when it has none)

    @property
    def slug(self) -> str:
        return self.event.slug


async def build_call(
    settings: Settings,
    *,
    abstracts: int = 3,
    status: str = AbstractStatus.SUBMITTED,
    embargo_until: dt.datetime | None = None,
    with_presenter: bool = True,
    oral_wording: str = "",
) -> CallFixture:
    """An event with a closed call and ``abstracts`` abstracts in ``status``, numbered 1…n, each with two
    authors (the second presents, unless ``with_presenter`` is false)."""
    event = await build_program_event(settings)
    async with db_session_for(settings) as db_session:
        submitter = User(
            email=f"submitter-{secrets.token_hex(4)}@podium.test",
            display_name="Sam Submitter",
            password_hash="!",
            role="staff",
        )
        closes = dt.datetime(2026, 11, 1, tzinfo=UTC)
        call = CallForAbstracts(
            event_id=event.event_id,
            opens_at=closes - dt.timedelta(days=60),
            closes_at=closes,
            embargo_until=embargo_until or dt.datetime(2027, 3, 1, tzinfo=UTC),
            accept_oral_wording=oral_wording,
            numbers_given=abstracts,
        )
        db_session.add_all([submitter, call])
        await db_session.flush()
        kind = SubmissionType(call_id=call.id, key="oral", name="Oral or poster")
        topic = Topic(call_id=call.id, name="Basic science")
        db_session.add_all([kind, topic])
        await db_session.flush()
        ids: list[UUID] = []
        presenters: list[str] = []
        for number in range(1, abstracts + 1):
            abstract = Abstract(
                call_id=call.id,
                submitter_user_id=submitter.id,
                submission_type_id=kind.id,
                topic_id=topic.id,
                title=f"Abstract number {number} on lipid rafts",
                body=f"Body of abstract {number}: methods, results and conclusions.",
                keywords=["lipids", f"k{number}"],
                status=str(status),
                number=number,
                submitted_at=closes - dt.timedelta(days=1),
            )
            db_session.add(abstract)
            await db_session.flush()
            presenter = f"presenter-{number}-{secrets.token_hex(3)}@uni.test" if with_presenter else ""
            db_session.add_all(
                [
                    AbstractAuthor(
                        abstract_id=abstract.id,
                        position=0,
                        full_name=f"First Author {number}",
                        email=f"first-{number}@uni.test",
                        institution="University of Tests",
                        country="DE",
                    ),
                    AbstractAuthor(
                        abstract_id=abstract.id,
                        position=1,
                        full_name=f"Presenting Author {number}",
                        email=presenter,
                        institution="Institute of Examples",
                        country="FR",
                        is_presenting=with_presenter,
                    ),
                ]
            )
            ids.append(abstract.id)
            presenters.append(presenter)
        await db_session.commit()
        return CallFixture(event, call.id, submitter.email, ids, presenters)
