"""The scan's fast path on PostgreSQL: a badge that gets in between the lookup and the write (another door
admitting it at that very moment) must still get ``already_admitted``, written once, with nothing half done."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import asyncpg
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


async def test_two_scans_racing_with_one_device_number_get_one_answer_and_one_409_never_a_500(
    settings: Settings,
    client: Client,
    staff: dict[str, str],
    organizer: dict[str, str],
    badge_event: BadgeEvent,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both lookups find the number unused; the second write then breaks the (device, sequence) constraint on
    the fast path, and that must read as the reused number it is, with nothing of it written."""
    if settings.is_sqlite:
        pytest.skip("on SQLite the lookup already holds the write lock: the second scan's lookup sees the first")
    points = await checkpoints_of(client, organizer, badge_event.slug)
    ada = await add_registration(settings, badge_event)
    grace = await add_registration(settings, badge_event, first_name="Grace")
    tokens = [await badge_token(client, staff, registration) for registration in (ada, grace)]
    real_lookup = scan_queries.lookup
    looked_up: list[object] = []
    both = asyncio.Event()

    async def lookup_until_both_have_looked(connection: AsyncConnection, *args: Any) -> Row[Any] | None:
        row = await real_lookup(connection, *args)
        looked_up.append(row)
        if len(looked_up) == 2:
            both.set()
        await asyncio.wait_for(both.wait(), timeout=10)  # requests that don't really race fail here
        return row

    monkeypatch.setattr(scan_queries, "lookup", lookup_until_both_have_looked)
    device, at = "racing-door", badge_event.now
    bodies = [
        {"scans": [scan(token, points["entrance"], device=device, seq=7, at=at + dt.timedelta(minutes=minute))]}
        for token, minute in zip(tokens, (0, 3), strict=True)
    ]

    responses = await asyncio.gather(*(client.post("/api/checkins", json=body, headers=staff) for body in bodies))

    async with db_session_for(settings) as db_session:
        rows = (await db_session.scalars(select(Checkin).where(Checkin.device_id == device))).all()
        inside = (
            await db_session.scalars(
                select(Badge.registration_id)
                .join(CheckinPresence, CheckinPresence.badge_id == Badge.id)
                .where(CheckinPresence.inside.is_(True), Badge.registration_id.in_([ada, grace]))
            )
        ).all()
    statuses = sorted(r.status_code for r in responses)
    refused = next(r for r in responses if r.status_code == 409).json()
    admitted = next(r for r in responses if r.status_code == 200).json()["results"][0]
    assert statuses == [200, 409]
    assert (refused["code"], refused["field"]) == ("sequence_reused", "scans[0].device_seq")
    assert admitted["reason"] == "admitted"
    assert [(r.device_seq, r.registration_id) for r in rows] == [(7, inside[0])]
    assert len(inside) == 1  # the refused scan's presence write went with its row


def test_the_fast_paths_presence_write_is_the_statement_presence_enter_runs() -> None:
    dialect = asyncpg.dialect()

    enter = str(presence.ENTER["postgresql"].compile(dialect=dialect))
    admit = str(scan_queries.ADMIT_POSTGRESQL.compile(dialect=dialect))

    assert admit.startswith(f"WITH entered AS \n({enter} RETURNING 1)\n INSERT INTO checkin ")
