"""Races that really race: many devices scanning one badge at once, one batch uploaded many times at once,
many first requests making the event's key and badges at once. On SQLite and (CI's second pass) PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select

from badges import tokens
from badges.models import Badge, BadgeKey, Checkin, CheckinPresence
from podium.settings import Settings
from tests.badges.conftest import Client, badge_token, checkpoints_of, new_device, post_scans, scan
from tests.badges.factories import BadgeEvent, add_registration, build_badge_event
from tests.registration.factories import db_session_for


async def test_twenty_devices_scanning_one_badge_at_once_admit_it_exactly_once(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    registration = await add_registration(settings, badge_event)
    token = await badge_token(client, staff, registration)
    at = badge_event.now

    results = await asyncio.gather(
        *(post_scans(client, staff, scan(token, points["entrance"], at=at)) for _ in range(20)),
        *(post_scans(client, staff, scan(token, points["room-room-201"], at=at)) for _ in range(20)),
    )

    entrance = Counter(r[0]["reason"] for r in results[:20])
    room = Counter(r[0]["reason"] for r in results[20:])
    async with db_session_for(settings) as db_session:
        recorded = await db_session.scalar(select(func.count()).where(Checkin.registration_id == registration))
        presence = (await db_session.scalars(select(func.count()).select_from(CheckinPresence))).one()
    assert entrance == {"admitted": 1, "already_admitted": 19}
    assert room == {"admitted": 1, "already_admitted": 19}
    assert recorded == 40
    assert presence >= 2


async def test_one_offline_batch_uploaded_ten_times_at_once_is_recorded_once(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    device = new_device()
    people = [await badge_token(client, staff, await add_registration(settings, badge_event)) for _ in range(5)]
    batch = [scan(token, points["entrance"], device=device, seq=i) for i, token in enumerate(people + people)]

    uploads = await asyncio.gather(*(post_scans(client, staff, *batch) for _ in range(10)))

    async with db_session_for(settings) as db_session:
        recorded = await db_session.scalar(select(func.count()).where(Checkin.device_id == device))
    expected = ["admitted"] * 5 + ["already_admitted"] * 5
    assert all([r["reason"] for r in upload] == expected for upload in uploads)
    assert recorded == 10
    assert sum(not r["replayed"] for upload in uploads for r in upload) == 10


async def test_first_requests_racing_make_one_key_and_one_badge_each(
    settings: Settings, client: Client, staff: dict[str, str]
) -> None:
    event = await build_badge_event(settings)
    people = [await add_registration(settings, event) for _ in range(4)]

    fetched = await asyncio.gather(*(badge_token(client, staff, person) for person in people for _ in range(5)))

    async with db_session_for(settings) as db_session:
        key = (await db_session.scalars(select(BadgeKey).where(BadgeKey.event_id == event.event_id))).one()
        badges = await db_session.scalar(select(func.count()).where(Badge.event_id == event.event_id))
    public_key = tokens.public_key_from_bytes(tokens.b64url_decode(key.public_key))
    claims = [tokens.verify(token, public_key) for token in fetched]
    assert badges == 4
    assert {c.kid_hex for c in claims} == {key.kid}
    assert len(set(fetched)) == 4
    assert len({c.serial for c in claims}) == 4
