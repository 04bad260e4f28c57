"""The demo is ready to scan: checkpoints for every demo event, badges that check in with the demo staff."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from demo.badges import demo_badges_pdf
from demo.seed import DemoSize, seed_demo
from events.models import Event
from podium.settings import Settings
from registration.models import Registration
from tests.badges.conftest import Client, badge_token, post_scans, scan
from tests.badges.test_badge_documents import read_qr_codes
from tests.registration.factories import db_session_for

SLUG = "annual-meeting-2027"


@pytest.fixture(scope="module")
def seeded(settings: Settings) -> str:
    return str(asyncio.run(seed_demo(settings, DemoSize(rooms=6, registrations=25))))


async def test_demo_events_get_checkpoints_and_their_badges_scan(
    seeded: str, settings: Settings, client: Client, staff: dict[str, str]
) -> None:
    async with db_session_for(settings) as db_session:
        event_id = await db_session.scalar(select(Event.id).where(Event.slug == SLUG))
        event_registrations = (
            await db_session.scalars(select(Registration.id).where(Registration.event_id == event_id))
        ).all()
    listed = await client.get(f"/api/events/{SLUG}/checkpoints", headers=staff)
    kinds = [c["kind"] for c in listed.json()]
    token = await badge_token(client, staff, event_registrations[0])
    entrance = next(c["id"] for c in listed.json() if c["kind"] == "entrance")

    results = await post_scans(client, staff, scan(token, entrance))

    assert "check-in points" in seeded
    assert kinds.count("entrance") == 1
    assert kinds.count("room") == 6
    assert len(event_registrations) == 25
    assert results[0]["reason"] == "admitted"


async def test_the_demo_badge_pdf_scans_at_the_entrance(
    seeded: str, settings: Settings, client: Client, staff: dict[str, str], tmp_path: Path
) -> None:
    pdf = await demo_badges_pdf(settings)
    assert pdf is not None
    [token] = await read_qr_codes(pdf, tmp_path)
    listed = await client.get(f"/api/events/{SLUG}/checkpoints", headers=staff)
    entrance = next(c["id"] for c in listed.json() if c["kind"] == "entrance")
    [result] = await post_scans(client, staff, scan(token, entrance))
    # Verified and known (the first test may have admitted this attendee already).
    assert result["reason"] in {"admitted", "already_admitted"}
