"""Presence follows the scanners' clocks: offline devices upload late, and a late old scan is recorded
without overriding a newer one; the first admission is the earliest ``in`` by device time."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import select

from badges import presence
from badges.certificates import attendance_of
from badges.models import Badge, CheckinPresence
from podium.settings import Settings
from registration.models import Registration
from tests.badges.conftest import Client, badge_token, checkpoints_of, post_scans, scan
from tests.badges.factories import BadgeEvent, add_registration
from tests.registration.factories import db_session_for


async def _presence(settings: Settings, registration_id: object, zone: str = "entrance") -> CheckinPresence:
    async with db_session_for(settings) as db_session:
        return (
            await db_session.scalars(
                select(CheckinPresence)
                .join(Badge, Badge.id == CheckinPresence.badge_id)
                .where(Badge.registration_id == registration_id, CheckinPresence.zone == zone)
            )
        ).one()


async def test_an_in_uploaded_after_a_later_out_admits_and_leaves_the_badge_outside(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    entrance, now = (await checkpoints_of(client, organizer, badge_event.slug))["entrance"], badge_event.now
    registration = await add_registration(settings, badge_event)
    token = await badge_token(client, staff, registration)

    out = await post_scans(client, staff, scan(token, entrance, device="online", at=now, direction="out"))
    late_in = await post_scans(client, staff, scan(token, entrance, device="offline", at=now - dt.timedelta(hours=1)))
    after = await _presence(settings, registration)
    back = await post_scans(client, staff, scan(token, entrance, device="online", at=now + dt.timedelta(minutes=30)))
    again = await post_scans(client, staff, scan(token, entrance, device="online", at=now + dt.timedelta(minutes=40)))

    assert [r[0]["reason"] for r in (out, late_in, back, again)] == [
        "checked_out",
        "admitted",
        "admitted",
        "already_admitted",
    ]
    assert (after.inside, after.last_change_at) == (False, now)
    assert (after.first_at, after.first_device_id) == (now - dt.timedelta(hours=1), "offline")
    assert again[0]["first_admission"]["device_id"] == "offline"


async def test_an_earlier_in_uploaded_late_becomes_the_first_admission(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    entrance, now = (await checkpoints_of(client, organizer, badge_event.slug))["entrance"], badge_event.now
    token = await badge_token(client, staff, await add_registration(settings, badge_event))

    online = await post_scans(client, staff, scan(token, entrance, device="door-2", at=now))
    late = await post_scans(client, staff, scan(token, entrance, device="door-1", at=now - dt.timedelta(minutes=30)))
    third = await post_scans(client, staff, scan(token, entrance, device="door-3", at=now + dt.timedelta(minutes=5)))

    assert [r[0]["reason"] for r in (online, late, third)] == ["admitted", "already_admitted", "already_admitted"]
    first = third[0]["first_admission"]
    assert (first["device_id"], dt.datetime.fromisoformat(first["at"])) == ("door-1", now - dt.timedelta(minutes=30))


async def test_an_old_in_uploaded_late_does_not_put_someone_back_inside(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    entrance, now = (await checkpoints_of(client, organizer, badge_event.slug))["entrance"], badge_event.now
    registration = await add_registration(settings, badge_event)
    token = await badge_token(client, staff, registration)
    await post_scans(
        client,
        staff,
        scan(token, entrance, device="a", at=now - dt.timedelta(hours=1)),
        scan(token, entrance, device="b", at=now, direction="out"),
    )

    late = await post_scans(client, staff, scan(token, entrance, device="c", at=now - dt.timedelta(minutes=30)))
    late_out = await post_scans(
        client, staff, scan(token, entrance, device="c", at=now - dt.timedelta(minutes=20), direction="out")
    )
    outside = await _presence(settings, registration)
    back = await post_scans(client, staff, scan(token, entrance, device="b", at=now + dt.timedelta(minutes=15)))
    late_out_again = await post_scans(
        client, staff, scan(token, entrance, device="c", at=now + dt.timedelta(minutes=10), direction="out")
    )
    inside = await _presence(settings, registration)

    assert [r[0]["reason"] for r in (late, late_out, back, late_out_again)] == [
        "already_admitted",
        "checked_out",
        "admitted",
        "checked_out",
    ]
    assert (outside.inside, outside.last_change_at) == (False, now)
    assert (inside.inside, inside.last_change_at) == (True, now + dt.timedelta(minutes=15))
    assert (inside.first_at, inside.first_device_id) == (now - dt.timedelta(hours=1), "a")


async def test_room_occupancy_and_attendance_with_the_out_uploaded_before_the_in(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    """The door's ``out`` (online) arrives before its ``in`` (an offline phone): nobody is left counted in
    the room, and the stay still counts 40 of the Opening's 60 minutes."""
    door, now = (await checkpoints_of(client, organizer, badge_event.slug))["room-room-201"], badge_event.now
    registration = await add_registration(settings, badge_event)
    token = await badge_token(client, staff, registration)

    results = await post_scans(
        client,
        staff,
        scan(token, door, device="online", at=now + dt.timedelta(minutes=30), direction="out"),
        scan(token, door, device="offline", at=now - dt.timedelta(minutes=10)),
    )
    board = (await client.get(f"/api/events/{badge_event.slug}/checkin-dashboard", headers=organizer)).json()
    async with db_session_for(settings) as db_session:
        rows, _ = await attendance_of(db_session, await db_session.get_one(Registration, registration))

    assert [r["reason"] for r in results] == ["checked_out", "admitted"]
    assert [(o["room"], o["inside"]) for o in board["occupancy"]] == [("Room 201", 0)]
    assert [(row.session.title, row.dwell) for row in rows] == [("Opening", dt.timedelta(minutes=40))]


async def test_two_ins_at_the_same_moment_after_a_late_out_admit_once(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    """Service level: a row made by an ``out`` has no first admission yet; the first of two ``in`` scans
    fills it (admitted), the second finds it filled."""
    entrance, now = (await checkpoints_of(client, organizer, badge_event.slug))["entrance"], badge_event.now
    registration = await add_registration(settings, badge_event)
    await badge_token(client, staff, registration)  # issues the badge
    async with db_session_for(settings) as db_session:
        badge = await db_session.scalar(select(Badge).where(Badge.registration_id == registration))
        assert badge is not None
        await presence.leave(db_session, badge.id, "entrance", now)
        earlier = now - dt.timedelta(minutes=5)

        first = await presence.enter(db_session, badge.id, "entrance", earlier, UUID(entrance), "a")
        second = await presence.enter(db_session, badge.id, "entrance", earlier, UUID(entrance), "b")
        await db_session.commit()
    row = await _presence(settings, registration)

    assert (first, second) == (True, False)
    assert (row.inside, row.first_device_id, row.first_at) == (False, "a", earlier)
