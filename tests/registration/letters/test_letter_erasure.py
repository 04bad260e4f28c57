"""Erasure after the event, on a controlled clock: the passport data is nulled ``erase_after_days`` after the
event ends (30 by default), never before; the public page keeps showing the name, event and validity."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import select

from events.models import Event
from podium.db import create_engine
from podium.jobs.registry import JOBS
from podium.main.unit_of_work import session_maker
from podium.settings import Settings
from registration.letters.jobs import ERASE_JOB, erase_passports
from registration.models import VisaLetter
from tests.asgi_client import Client
from tests.registration.factories import CatalogFixture, db_session_for
from tests.registration.letters.conftest import NUMBER, PASSPORT, registration_of


async def _erase(settings: Settings, now: dt.datetime) -> int:
    engine = create_engine(settings)
    try:
        return await erase_passports(session_maker(engine), now)
    finally:
        await engine.dispose()


async def test_passport_data_is_erased_the_set_days_after_the_event(
    client: Client, settings: Settings, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    registration = await registration_of(client, settings, catalog)
    headers = {"X-Registration-Secret": registration["secret"]}
    letter = (
        await client.post(f"/api/registrations/{registration['id']}/letter", json=PASSPORT, headers=headers)
    ).json()
    async with db_session_for(settings) as db_session:
        end = (await db_session.get_one(Event, catalog.event_id)).end_date
    last_kept = dt.datetime.combine(end + dt.timedelta(days=30), dt.time(23, 59), dt.UTC)

    kept = await _erase(settings, last_kept)
    erased = await _erase(settings, last_kept + dt.timedelta(minutes=2))
    again = await _erase(settings, last_kept + dt.timedelta(days=5))

    assert (kept, erased, again) == (0, 1, 0)
    async with db_session_for(settings) as db_session:
        row = (
            await db_session.execute(
                select(VisaLetter.sealed, VisaLetter.number_tail, VisaLetter.erased_at).where(
                    VisaLetter.id == UUID(letter["id"])
                )
            )
        ).one()
    assert row.sealed is None and row.number_tail is None and row.erased_at is not None
    mine = await client.get(f"/api/registrations/{registration['id']}/letter", headers=headers)
    assert (mine.json()["erased"], mine.json()["passport_number"], mine.json()["status"]) == (True, None, "issued")
    pdf = await client.get(f"/api/registrations/{registration['id']}/letter/pdf", headers=headers)
    assert pdf.status_code == 409 and pdf.json()["code"] == "letter_erased"
    view = await client.get(f"/api/events/{catalog.slug}/letters/{letter['id']}/passport", headers=organizer)
    assert view.json() == {"letter_id": letter["id"], "erased": True, "passport_name": None, "nationality": None,
                           "passport_number": None, "date_of_birth": None}  # fmt: skip
    page = await client.get(f"/letters/{letter['code']}")
    assert page.status_code == 200 and "Ada Lovelace" in page.text and "<strong>Valid</strong>" in page.text
    assert NUMBER not in page.text


async def test_the_events_own_delay_counts_and_the_job_is_periodic(
    client: Client, settings: Settings, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    await client.put(
        f"/api/events/{catalog.slug}/letters/settings",
        json={"review_first": False, "erase_after_days": 0},
        headers=organizer,
    )
    registration = await registration_of(client, settings, catalog)
    await client.post(
        f"/api/registrations/{registration['id']}/letter",
        json=PASSPORT,
        headers={"X-Registration-Secret": registration["secret"]},
    )
    async with db_session_for(settings) as db_session:
        end = (await db_session.get_one(Event, catalog.event_id)).end_date

    on_last_day = await _erase(settings, dt.datetime.combine(end, dt.time(23), dt.UTC))
    day_after = await _erase(settings, dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0, 1), dt.UTC))

    assert (on_last_day, day_after) == (0, 1)
    assert JOBS[ERASE_JOB].interval(settings) == 3600.0
