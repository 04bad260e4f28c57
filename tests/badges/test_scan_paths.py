"""The scan's fast path on PostgreSQL: a badge that gets in between the lookup and the write (another door
admitting it at that very moment) must still get ``already_admitted``, written once, with nothing half done."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from badges import presence, scan_queries
from badges.models import Badge, Checkin, CheckinPresence
from podium.settings import Settings
from tests.badges.conftest import Client, badge_token, checkpoints_of, post_scans, scan
from tests.badges.factories import BadgeEvent, add_registration
from tests.registration.factories import db_session_for


async def _admit_elsewhere(settings: Settings, badge_id: UUID, checkpoint_id: UUID, at: dt.datetime) -> None:
    async with db_session_for(settings) as db_session:
        entered = await presence.enter(db_session, badge_id, "entrance", at, checkpoint_id, "side-door")
        await db_session.commit()
    assert entered


async def test_a_badge_admitted_between_lookup_and_write_is_already_admitted_once(
    settings: Settings,
    client: Client,
    staff: dict[str, str],
    organizer: dict[str, str],
    badge_event: BadgeEvent,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if settings.is_sqlite:
        pytest.skip("on SQLite the lookup already holds the write lock: no other door can get in between")
    points = await checkpoints_of(client, organizer, badge_event.slug)
    registration = await add_registration(settings, badge_event)
    token = await badge_token(client, staff, registration)
    async with db_session_for(settings) as db_session:
        badge_id = await db_session.scalar(select(Badge.id).where(Badge.registration_id == registration))
    assert badge_id is not None
    real_lookup = scan_queries.lookup
    raced: list[UUID] = []

    async def lookup_then_another_door_admits(connection: AsyncConnection, *args: Any) -> Row[Any] | None:
        row = await real_lookup(connection, *args)
        if not raced:  # only the first lookup races; the transaction's second lookup sees the badge inside
            raced.append(badge_id)
            await _admit_elsewhere(settings, badge_id, UUID(points["entrance"]), badge_event.now)
        return row

    monkeypatch.setattr(scan_queries, "lookup", lookup_then_another_door_admits)

    [result] = await post_scans(client, staff, scan(token, points["entrance"], device="front-door"))

    async with db_session_for(settings) as db_session:
        rows = (await db_session.scalars(select(Checkin).where(Checkin.registration_id == registration))).all()
        presences = await db_session.scalar(
            select(func.count()).select_from(CheckinPresence).where(CheckinPresence.badge_id == badge_id)
        )
    assert raced == [badge_id]
    assert (result["reason"], result["first_admission"]["device_id"]) == ("already_admitted", "side-door")
    assert [(r.device_id, r.reason) for r in rows] == [("front-door", "already_admitted")]
    assert presences == 1


async def test_the_entrance_answers_a_badge_inside_from_the_lookup_and_readmits_after_out(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    token = await badge_token(client, staff, await add_registration(settings, badge_event))
    at = badge_event.now

    results = [
        (await post_scans(client, staff, scan(token, points["entrance"], device=device, at=at, direction=way)))[0]
        for device, way in (("a", "in"), ("b", "in"), ("c", "out"), ("d", "in"), ("e", "in"))
    ]

    reasons = [r["reason"] for r in results]
    assert reasons == ["admitted", "already_admitted", "checked_out", "admitted", "already_admitted"]
    assert results[1]["first_admission"]["device_id"] == "a"
    assert results[4]["first_admission"]["device_id"] == "a"  # the first admission stays the first
    assert results[1]["message"] == results[4]["message"]
