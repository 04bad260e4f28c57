"""Each worker reuses its copy of an event and its catalog for new orders; any change shows at once.

The copies are checked against one snapshot read per order (``registration.orders.snapshot``), so an
organizer's edit made through another worker (here: another database session) applies to the very next order.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.lru import Lru
from podium.settings import Settings
from registration.models import AddOn, Category
from registration.orders import validation
from registration.orders.validation import CatalogView
from tests.asgi_client import Client
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session, workshop_seats=5)


async def _order(client: Client, slug: str, **overrides: object) -> tuple[int, dict[str, Any]]:
    response = await client.post(f"/api/events/{slug}/orders", json=order_body(attendee() | overrides))
    return response.status_code, response.json()


async def test_closing_registration_applies_to_the_next_order(
    settings: Settings, client: Client, catalog: CatalogFixture
) -> None:
    assert (await _order(client, catalog.slug))[0] == 201  # the worker now holds a copy of the event
    async with db_session_for(settings) as db_session:
        event = await db_session.scalar(select(Event).where(Event.slug == catalog.slug))
        assert event is not None
        event.registration_closes_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        await db_session.commit()

    status, problem = await _order(client, catalog.slug)

    assert (status, problem["code"], problem["field"]) == (409, "registration_closed", "event")


async def test_unpublishing_the_event_applies_to_the_next_order(
    settings: Settings, client: Client, catalog: CatalogFixture
) -> None:
    assert (await _order(client, catalog.slug))[0] == 201
    async with db_session_for(settings) as db_session:
        event = await db_session.scalar(select(Event).where(Event.slug == catalog.slug))
        assert event is not None
        event.status = "draft"
        await db_session.commit()

    status, problem = await _order(client, catalog.slug)

    assert (status, problem["field"]) == (404, "event")


async def test_catalog_edits_apply_to_the_next_order(
    settings: Settings, client: Client, catalog: CatalogFixture
) -> None:
    status, first = await _order(client, catalog.slug, add_ons=["workshop"])
    assert status == 201
    async with db_session_for(settings) as db_session:
        workshop = await db_session.get_one(AddOn, catalog.workshop.id)
        workshop.amount = 13_500
        category = await db_session.get_one(Category, catalog.member.id)
        category.name = "Society member"
        await db_session.commit()

    status, second = await _order(client, catalog.slug, add_ons=["workshop"])

    assert status == 201
    registrations = second["registrations"]
    assert isinstance(registrations, list)
    assert registrations[0]["category_name"] == "Society member"
    assert registrations[0]["add_ons"][0]["amount"] == 13_500
    assert second["total"] == first["total"] + 1_500


async def test_an_unknown_or_malformed_event_is_not_found(client: Client) -> None:
    for slug in ("no-such-meeting", "Not a slug!"):
        status, problem = await _order(client, slug)
        assert (status, problem["field"]) == (404, "event")


async def _load_concurrently(
    settings: Settings, catalog: CatalogFixture, monkeypatch: pytest.MonkeyPatch, requests: int, *, fail_first: bool
) -> tuple[list[CatalogView | BaseException], int]:
    """``requests`` requests of one worker missing its copy of the catalog at once; (their results, reads)."""
    async with db_session_for(settings) as db_session:
        event = await db_session.get_one(Event, catalog.event_id)
    real_read = validation._read_catalog
    reads = 0

    async def slow_read(db_session: AsyncSession, event: Event) -> CatalogView:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.05)  # everyone else arrives meanwhile
        if fail_first and reads == 1:
            raise ConnectionResetError("the database went away")
        return await real_read(db_session, event)

    monkeypatch.setattr(validation, "_read_catalog", slow_read)
    monkeypatch.setattr(validation, "_catalogs", Lru[CatalogView](size=32))  # this worker has no copy yet

    async def one() -> CatalogView:
        async with db_session_for(settings) as db_session:
            return await validation.load_catalog(db_session, event)

    results = await asyncio.gather(*(one() for _ in range(requests)), return_exceptions=True)
    return results, reads


async def test_requests_that_miss_the_catalog_together_share_one_read(
    settings: Settings, catalog: CatalogFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    views, reads = await _load_concurrently(settings, catalog, monkeypatch, 8, fail_first=False)

    assert reads == 1
    assert all(view is views[0] for view in views) and isinstance(views[0], CatalogView)


async def test_when_the_shared_read_fails_the_others_read_for_themselves(
    settings: Settings, catalog: CatalogFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    results, _ = await _load_concurrently(settings, catalog, monkeypatch, 4, fail_first=True)

    assert [type(r).__name__ for r in results].count("ConnectionResetError") == 1
    assert sum(isinstance(r, CatalogView) for r in results) == 3
