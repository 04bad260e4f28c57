"""The check-in API answers every kind of scan with the right reason, and records each scan once."""

from __future__ import annotations

from podium.settings import Settings
from tests.badges.conftest import Client, badge_token, checkpoints_of, post_scans, scan
from tests.badges.factories import BadgeEvent, add_registration


async def test_first_scan_admits_and_the_second_says_when_and_where(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    registration = await add_registration(settings, badge_event)
    token = await badge_token(client, staff, registration)

    first = await post_scans(client, staff, scan(token, points["entrance"], device="door-1"))
    second = await post_scans(client, staff, scan(token, points["entrance"], device="door-2"))

    assert (first[0]["reason"], first[0]["level"]) == ("admitted", "ok")
    assert first[0]["attendee"]["name"] == "Ada Lovelace"
    assert first[0]["attendee"]["category"] == "Member"
    assert (second[0]["reason"], second[0]["level"]) == ("already_admitted", "warn")
    assert second[0]["first_admission"]["checkpoint_name"] == "Entrance"
    assert second[0]["first_admission"]["device_id"] == "door-1"
    assert second[0]["message"].startswith("Already admitted at ")
