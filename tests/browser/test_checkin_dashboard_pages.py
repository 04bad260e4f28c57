"""An organizer watches the check-in dashboard: the figures after real scans, readable and axe-clean."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.badges.conftest import scan
from tests.badges.factories import add_registration, build_badge_event
from tests.browser.conftest import ORGANIZER_EMAIL, ORGANIZER_PASSWORD, Server, assert_accessible, log_in


@pytest.fixture(scope="module")
def scanned_event(server: Server) -> str:
    """An event with one attendee admitted at the entrance (set up before the browser starts)."""
    event = asyncio.run(build_badge_event(server.settings, name="Dashboard Meeting"))
    registration = asyncio.run(add_registration(server.settings, event))
    login = httpx.post(
        f"{server.base_url}/api/auth/login", json={"email": ORGANIZER_EMAIL, "password": ORGANIZER_PASSWORD}
    )
    organizer = {"Authorization": f"Bearer {login.json()['token']}"}
    points = httpx.post(f"{server.base_url}/api/events/{event.slug}/checkpoints/sync", headers=organizer).json()
    entrance = next(p["id"] for p in points if p["code"] == "entrance")
    token = httpx.get(f"{server.base_url}/api/registrations/{registration}/badge", headers=organizer).json()["token"]
    scanned = httpx.post(f"{server.base_url}/api/checkins", json={"scans": [scan(token, entrance)]}, headers=organizer)
    assert scanned.json()["results"][0]["reason"] == "admitted"
    return event.slug


def test_dashboard_shows_scans(scanned_event: str, page: Page) -> None:
    log_in(page)
    page.goto(f"/organizer/events/{scanned_event}")
    page.get_by_role("link", name="Check-in dashboard").click()
    expect(page.locator("#checked-in")).to_have_text("1")
    expect(page.locator("#by-checkpoint")).to_contain_text("Entrance")
    expect(page.locator("#occupancy")).to_contain_text("Room 201")
    arrivals = page.locator("#arrivals-chart .chart-bar")
    expect(arrivals).to_have_count(1)
    expect(arrivals.first).to_have_attribute("data-value", "1")
    rooms = page.locator("#occupancy-chart .chart-bar")
    expect(rooms.first).to_have_attribute("data-label", "Room 201")
    expect(page.locator("#occupancy-chart")).to_have_attribute("role", "img")
    page.locator(".table-wrap").first.focus()
    expect(page.locator(".table-wrap").first).to_be_focused()
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)
