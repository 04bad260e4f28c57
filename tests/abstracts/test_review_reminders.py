"""Reminders to reviewers with open assignments: once per reviewer per window, none once the review is in."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from abstracts.models import ReviewAssignment
from abstracts.review_reminders import remind_reviewers
from abstracts.review_tasks import REMIND_JOB
from podium.jobs import JOBS
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from tests.abstracts.review_factories import add_abstract, build_review_call, make_person
from tests.asgi_client import Client
from tests.registration.factories import db_session_for

WINDOW = dt.timedelta(days=3)


async def remind(settings: Settings, now: dt.datetime) -> int:
    async with db_session_for(settings) as db_session:
        reminded = await remind_reviewers(db_session, window=WINDOW, now=now)
        await db_session.commit()
        return reminded


async def reminders_to(settings: Settings, email: str) -> list[OutboxMessage]:
    async with db_session_for(settings) as db_session:
        query = select(OutboxMessage).where(
            OutboxMessage.to_address == email, OutboxMessage.template == "review_reminder"
        )
        return list((await db_session.scalars(query)).all())


async def test_a_late_reviewer_is_reminded_once_per_window_and_not_after_reviewing(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings, reviews_per_abstract=1)
    submitter = await make_person(settings, "Sue Submitter")
    late, fresh = await make_person(settings, "Larry Late"), await make_person(settings, "Fran Fresh")
    await add_abstract(settings, built, submitter, number=1)
    await add_abstract(settings, built, submitter, number=2)
    api = f"/api/organizer/events/{built.slug}/review"
    for person in (late, fresh):
        assert (
            await client.post(f"{api}/reviewers", json={"email": person.email}, headers=organizer)
        ).status_code == 200
    assert (await client.post(f"{api}/assignments/auto", headers=organizer)).json()["added"] == 2
    now = dt.datetime.now(dt.UTC)
    late_items = (await client.get(f"/api/review/events/{built.slug}/assignments", headers=late.headers)).json()
    async with db_session_for(settings) as db_session:
        await db_session.execute(
            update(ReviewAssignment)
            .where(ReviewAssignment.id == late_items[0]["assignment_id"])
            .values(assigned_at=now - WINDOW - dt.timedelta(hours=1))
        )
        await db_session.commit()

    assert await remind(settings, now) == 1
    assert await remind(settings, now + dt.timedelta(hours=1)) == 0
    mails = await reminders_to(settings, late.email)
    assert len(mails) == 1 and mails[0].context["open_reviews"] == 1
    assert await reminders_to(settings, fresh.email) == []  # assigned just now

    assert await remind(settings, now + WINDOW + dt.timedelta(hours=2)) == 2  # both are late now
    assert len(await reminders_to(settings, late.email)) == 2

    abstract_id = late_items[0]["abstract_id"]
    scores = {str(c): 3 for c in built.criteria}
    written = await client.put(
        f"/api/review/events/{built.slug}/abstracts/{abstract_id}/review", json={"scores": scores}, headers=late.headers
    )
    assert written.status_code == 200
    await remind(settings, now + 3 * WINDOW)
    assert len(await reminders_to(settings, late.email)) == 2


def test_the_reminder_job_is_periodic_on_its_setting(settings: Settings) -> None:
    spec = JOBS[REMIND_JOB]

    assert spec.interval(settings) == settings.review_reminder_check_seconds == 3600
