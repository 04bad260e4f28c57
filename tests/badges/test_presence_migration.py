"""The migration that orders presence by device time fills ``last_change_at`` for rows recorded before it,
from the scan log (its own module: it migrates this module's database down and up again)."""

from __future__ import annotations

import datetime as dt

import anyio.to_thread

from podium.main.cli import downgrade, migrate
from podium.settings import Settings
from tests.badges.conftest import Client, badge_token, checkpoints_of, post_scans, scan
from tests.badges.factories import BadgeEvent, add_registration
from tests.badges.test_presence_order import _presence

BEFORE = "5d1e0c3a9b27"  # the revision before last_change_at


async def test_existing_presence_gets_the_latest_scans_device_time(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points, now = await checkpoints_of(client, organizer, badge_event.slug), badge_event.now
    moved = await add_registration(settings, badge_event)
    stayed = await add_registration(settings, badge_event)
    moved_token = await badge_token(client, staff, moved)
    stayed_token = await badge_token(client, staff, stayed)
    await post_scans(
        client,
        staff,
        scan(moved_token, points["entrance"], at=now - dt.timedelta(hours=1)),
        scan(moved_token, points["entrance"], at=now, direction="out"),
        scan(moved_token, points["entrance"], at=now + dt.timedelta(minutes=15)),
        scan(moved_token, points["entrance"], at=now - dt.timedelta(minutes=30)),  # late and old
        scan(moved_token, points["room-room-201"], at=now - dt.timedelta(minutes=5)),
        scan(stayed_token, points["entrance"], at=now - dt.timedelta(minutes=40)),
    )

    await anyio.to_thread.run_sync(downgrade, settings, BEFORE)
    await anyio.to_thread.run_sync(migrate, settings, "head")
    entrance = await _presence(settings, moved)
    room = await _presence(settings, moved, f"session:{badge_event.sessions['opening']}")
    only_in = await _presence(settings, stayed)

    assert (entrance.inside, entrance.last_change_at) == (True, now + dt.timedelta(minutes=15))
    assert entrance.first_at == now - dt.timedelta(hours=1)
    assert room.last_change_at == now - dt.timedelta(minutes=5)
    assert only_in.last_change_at == now - dt.timedelta(minutes=40)
