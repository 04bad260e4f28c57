"""An attendee builds their agenda as a person would: from the order page to their own page, find sessions,
add two that clash, see the warning, remove one, and subscribe to the calendar feed; then revoke the link."""

from __future__ import annotations

import asyncio
import re
from uuid import UUID

import httpx
import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect
from sqlalchemy import select

from registration.links.tokens import order_secret
from registration.models import Registration
from tests.browser.conftest import ORGANIZER_EMAIL, ORGANIZER_PASSWORD, Server, assert_accessible
from tests.registration.factories import db_session_for
from tests.sessions.factories import ProgramEvent, at, build_program_event, confirmed_attendees


async def _order_of(server: Server, registration_id: UUID) -> UUID:
    async with db_session_for(server.settings) as db_session:
        order_id = await db_session.scalar(select(Registration.order_id).where(Registration.id == registration_id))
        assert order_id is not None
        return order_id


@pytest.fixture(scope="module")
def program(server: Server) -> ProgramEvent:
    return asyncio.run(build_program_event(server.settings))


@pytest.fixture(scope="module")
def order_link(server: Server, program: ProgramEvent) -> str:
    """A paid order for one attendee, and a published program with two clashing sessions."""
    login = httpx.post(
        f"{server.base_url}/api/auth/login", json={"email": ORGANIZER_EMAIL, "password": ORGANIZER_PASSWORD}
    )
    organizer = {"Authorization": f"Bearer {login.json()['token']}"}
    for title, start, end in (
        ("Helix structures", at(1, 9), at(1, 10, 30)),
        ("Helix dynamics", at(1, 10), at(1, 11)),
        ("Membranes", at(2, 9), at(2, 10)),
    ):
        body = {
            "title": title,
            "kind": "symposium",
            "starts_at": start,
            "ends_at": end,
            "room_id": str(program.rooms["Room 101" if title == "Helix dynamics" else "Hall A"]),
            "status": "published",
        }
        response = httpx.post(f"{server.base_url}/api/events/{program.slug}/sessions", json=body, headers=organizer)
        assert response.status_code == 201, response.text
    [registration_id] = asyncio.run(confirmed_attendees(server.settings, program.event_id, 1))
    order_id = asyncio.run(_order_of(server, registration_id))
    return f"/orders/{order_id}?secret={order_secret(server.settings.secret_key, order_id, 1)}"


def test_build_an_agenda_with_a_clash_and_subscribe(page: Page, server: Server, order_link: str) -> None:
    page.goto(order_link)
    page.get_by_role("link", name=re.compile(r"^Agenda and calendar")).click()
    expect(page.get_by_role("heading", name="My agenda")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Your agenda is empty")
    assert_accessible(page)

    page.get_by_label("Search titles, abstracts and speakers").fill("helix")
    page.keyboard.press("Enter")
    results = page.locator("#search-results")
    expect(results.get_by_role("listitem").filter(has_text="Helix")).to_have_count(2)
    page.get_by_role("button", name="Add Helix structures to my agenda").click()
    expect(page.get_by_text("Seat reserved")).to_be_visible()
    # Keyboard only: focus the second Add button and press Enter.
    page.get_by_role("button", name="Add Helix dynamics to my agenda").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#overlap-warning")).to_contain_text("2 of your sessions overlap")
    expect(page.locator("main")).to_contain_text("Overlaps with “Helix dynamics”")
    assert_accessible(page)

    page.get_by_role("button", name="Remove Helix dynamics from my agenda").click()
    expect(page.locator("#overlap-warning")).to_have_count(0)
    expect(page.get_by_role("link", name="Subscribe in my calendar app")).to_have_attribute(
        "href", re.compile(r"^webcal://.+/api/agenda/[A-Za-z0-9_-]+\.ics$")
    )

    feed_url = page.get_by_label("Or copy the calendar address").input_value()
    path = "/" + feed_url.split("/", 3)[3]
    feed = httpx.get(server.base_url + path)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert [str(e["SUMMARY"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")] == ["Helix structures"]

    page.get_by_role("button", name="Make a new calendar link").click()
    expect(page.get_by_role("status")).to_contain_text("old calendar link no longer works")
    assert httpx.get(server.base_url + path).status_code == 404
    new_path = "/" + page.get_by_label("Or copy the calendar address").input_value().split("/", 3)[3]
    assert httpx.get(server.base_url + new_path).status_code == 200


def test_a_wrong_secret_shows_nothing(page: Page, order_link: str) -> None:
    page.goto(order_link)
    href = page.get_by_role("link", name=re.compile(r"^Agenda and calendar")).get_attribute("href")
    assert href is not None
    response = page.goto(href.split("?", 1)[0] + "?secret=wrong")
    assert response is not None and response.status == 404
    expect(page.locator("main")).not_to_contain_text("My agenda")
