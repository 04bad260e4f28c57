"""The check-in dashboard: admitted counts per checkpoint and category, who is in the room now, arrivals
per 10 minutes; organizers only; the page and its live fragment render what the API says."""

from __future__ import annotations

from typing import Any

from podium.settings import Settings
from registration.models import Category
from tests.badges.conftest import Client, badge_token, checkpoints_of, post_scans, scan
from tests.badges.factories import BadgeEvent, add_registration
from tests.registration.factories import db_session_for

HTML = {"Accept": "text/html"}


async def test_counts_occupancy_and_arrivals(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    people = [await add_registration(settings, badge_event) for _ in range(3)]
    tokens = [await badge_token(client, staff, p) for p in people]
    room = next(code for code in points if code.startswith("room"))
    for token in tokens:
        await post_scans(client, staff, scan(token, points["entrance"]))
    await post_scans(client, staff, scan(tokens[0], points["entrance"]))  # already admitted: not counted twice
    await post_scans(client, staff, scan("garbage", points["entrance"]))  # refused
    await post_scans(client, staff, scan(tokens[0], points[room]), scan(tokens[1], points[room]))
    await post_scans(client, staff, scan(tokens[1], points[room], direction="out"))

    response = await client.get(f"/api/events/{badge_event.slug}/checkin-dashboard", headers=organizer)
    assert response.status_code == 200, response.text
    figures = response.json()
    assert figures["checked_in"] == 3 and figures["refused"] == 1
    entrance = [c for c in figures["by_checkpoint"] if c["kind"] == "entrance"]
    assert [(c["category"], c["admitted"]) for c in entrance] == [("Member", 3)]
    assert [(r["room"], r["inside"]) for r in figures["occupancy"]] == [("Room 201", 1)]
    assert sum(b["arrivals"] for b in figures["arrivals"]) == 3
    assert all(b["starts_at"][-1] == "0" for b in figures["arrivals"])  # 10-minute buckets

    page = await client.get(f"/organizer/events/{badge_event.slug}/dashboard", headers={**organizer, **HTML})
    live = await client.get(f"/organizer/events/{badge_event.slug}/dashboard/live", headers={**organizer, **HTML})
    assert page.status_code == live.status_code == 200
    assert 'hx-trigger="every 10s"' in page.text and '<strong id="checked-in">3</strong>' in live.text
    assert (await client.get(f"/api/events/{badge_event.slug}/checkin-dashboard", headers=staff)).status_code == 403
    assert (
        await client.get(f"/organizer/events/{badge_event.slug}/dashboard", headers={**staff, **HTML})
    ).status_code == 403


async def test_categories_are_named_in_the_readers_language_and_sorted_so(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    async with db_session_for(settings) as db_session:
        member = await db_session.get_one(Category, badge_event.member_id)
        member.translations = {"es": {"name": "Socio"}}
        await db_session.commit()
    points = await checkpoints_of(client, organizer, badge_event.slug)
    people = [
        await add_registration(settings, badge_event),
        await add_registration(settings, badge_event, category="press"),
    ]
    for person in people:
        await post_scans(client, staff, scan(await badge_token(client, staff, person), points["entrance"]))
    url = f"/api/events/{badge_event.slug}/checkin-dashboard"

    def entrance(figures: dict[str, Any]) -> list[tuple[str, int]]:
        return [(c["category"], c["admitted"]) for c in figures["by_checkpoint"] if c["kind"] == "entrance"]

    english = (await client.get(url, headers=organizer)).json()
    spanish = (await client.get(url, headers={**organizer, "Accept-Language": "es"})).json()
    page = await client.get(
        f"/organizer/events/{badge_event.slug}/dashboard/live", headers={**organizer, **HTML, "Accept-Language": "es"}
    )

    assert entrance(english) == [("Member", 1), ("Press", 1)]
    assert entrance(spanish) == [("Press", 1), ("Socio", 1)]  # no Spanish name for press: the name as entered
    assert "Socio" in page.text and ">Member<" not in page.text
