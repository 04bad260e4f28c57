"""A visitor reads a public session page after the call's embargo: its talks in order with their times, each
linking to its abstract, which they open. Both pages pass axe-core."""

from __future__ import annotations

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from uuid import UUID

from playwright.sync_api import Page, expect

from abstracts.scheduling import Slot, schedule
from podium.audit import SYSTEM
from podium.settings import Settings
from sessions.models import ProgramSession
from tests.abstracts.decision_factories import build_call
from tests.browser.conftest import Server, assert_accessible
from tests.registration.factories import db_session_for
from tests.sessions.factories import NY


@dataclass(frozen=True)
class Placed:
    slug: str
    session_id: UUID


async def _scheduled(settings: Settings) -> Placed:
    """Two accepted orals, past their embargo, placed in a 09:00 session: abstract 2 (20 min), then 1 (15)."""
    call = await build_call(
        settings, abstracts=2, status="accepted_oral", embargo_until=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    )
    first, second = call.abstracts
    async with db_session_for(settings) as db_session:
        session = ProgramSession(
            event_id=call.event.event_id,
            title="Membranes",
            starts_at=dt.datetime(2027, 3, 14, 9, tzinfo=NY),
            ends_at=dt.datetime(2027, 3, 14, 10, tzinfo=NY),
            status="published",
        )
        db_session.add(session)
        await db_session.flush()
        slots = [Slot(second, minutes=20), Slot(first, minutes=15)]
        await schedule(db_session, call.slug, session.id, slots, poster=False, actor=SYSTEM)
        await db_session.commit()
        return Placed(call.slug, session.id)


def test_a_visitor_sees_the_talks_in_order_and_opens_one(page: Page, server: Server) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:  # beside Playwright's own event loop
        placed = pool.submit(asyncio.run, _scheduled(server.settings)).result()

    page.goto(f"/events/{placed.slug}/sessions/{placed.session_id}")

    expect(page.get_by_role("heading", level=1)).to_have_text("Membranes")
    talks = page.locator("ol.talks > li")
    expect(talks).to_have_count(2)
    expect(talks.nth(0).locator(".talk-time > time")).to_have_text(["09:00", "09:20"])  # the event's clock
    expect(talks.nth(0)).to_contain_text("Abstract number 2 on lipid rafts")
    expect(talks.nth(0)).to_contain_text("Presented by Presenting Author 2")
    expect(talks.nth(1).locator(".talk-time > time")).to_have_text(["09:20", "09:35"])
    expect(talks.nth(1)).to_contain_text("Abstract number 1 on lipid rafts")
    assert_accessible(page)

    talks.nth(1).get_by_role("link", name="Abstract number 1 on lipid rafts").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("1. Abstract number 1 on lipid rafts")
    expect(page.locator("main")).to_contain_text("Body of abstract 1: methods, results and conclusions.")
    assert_accessible(page)
