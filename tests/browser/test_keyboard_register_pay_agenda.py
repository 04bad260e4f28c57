"""Register, pay (offline test provider) and build an agenda with the keyboard alone: Tab, Shift+Tab, Enter,
Space and typing, never a click. Each stop checks that focus landed on the expected control and is visible."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import ORGANIZER_EMAIL, ORGANIZER_PASSWORD, Server, assert_accessible, assert_focus_visible
from tests.registration.factories import CatalogFixture, build_catalog, db_session_for

TAB_LIMIT = 120  # more stops than any page has: a control never reached fails instead of looping


async def _catalog(server: Server) -> CatalogFixture:
    async with db_session_for(server.settings) as db_session:
        return await build_catalog(db_session, workshop_seats=5)


@pytest.fixture(scope="module")
def catalog(server: Server) -> CatalogFixture:
    """An open event with one published session to put on the agenda."""
    built = asyncio.run(_catalog(server))
    login = httpx.post(
        f"{server.base_url}/api/auth/login", json={"email": ORGANIZER_EMAIL, "password": ORGANIZER_PASSWORD}
    )
    organizer = {"Authorization": f"Bearer {login.json()['token']}"}
    start = dt.datetime.combine(dt.date.today() + dt.timedelta(days=61), dt.time(14), dt.UTC)
    body = {
        "title": "Helix structures",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=1)).isoformat(),
        "status": "published",
    }
    response = httpx.post(f"{server.base_url}/api/events/{built.slug}/sessions", json=body, headers=organizer)
    assert response.status_code == 201, response.text
    return built


def tab_to(page: Page, target: Locator, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until ``target`` has focus; then its focus ring must show."""
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if target.evaluate("element => element === document.activeElement"):
            assert_focus_visible(page)
            return
    raise AssertionError(f"{target} is not reachable with {'Shift+Tab' if backwards else 'Tab'}")


def type_into(page: Page, field: Locator, text: str) -> None:
    tab_to(page, field)
    page.keyboard.type(text)


def test_register_pay_and_build_an_agenda_with_the_keyboard_alone(page: Page, catalog: CatalogFixture) -> None:
    page.goto(f"/events/{catalog.slug}")
    tab_to(page, page.get_by_role("link", name="Register", exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Continue to payment")).to_be_visible()
    assert_accessible(page)

    member = page.get_by_label(re.compile(r"^Member —"))
    tab_to(page, member)  # the first radio of the group (none chosen yet): Space chooses it
    page.keyboard.press("Space")
    expect(member).to_be_checked()
    type_into(page, page.get_by_label("First name", exact=True), "Rosalind")
    type_into(page, page.get_by_label("Last name", exact=True), "Franklin")
    # Shift+Tab goes back to where it came from.
    tab_to(page, page.get_by_label("First name", exact=True), backwards=True)
    expect(page.get_by_label("First name", exact=True)).to_have_value("Rosalind")
    type_into(page, page.get_by_label("Email", exact=True), "rosalind@kings.ac.uk")
    type_into(page, page.get_by_label("Country (two-letter code)", exact=True), "GB")
    type_into(page, page.get_by_label("Member number", exact=True), "M-51")
    workshop = page.get_by_label(re.compile(r"^Grant Writing Workshop"))
    tab_to(page, workshop)
    page.keyboard.press("Space")
    expect(workshop).to_be_checked()
    type_into(page, page.get_by_label("Dietary needs (required)"), "vegetarian")  # a select's type-ahead
    expect(page.get_by_label("Dietary needs (required)")).to_have_value("vegetarian")
    type_into(page, page.get_by_label("Your name", exact=True), "Rosalind Franklin")
    type_into(page, page.get_by_label("Your email", exact=True), "rosalind@kings.ac.uk")
    tab_to(page, page.get_by_role("button", name="Continue to payment"))
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]+\?secret="))
    expect(page.locator("#order-status")).to_have_text("Waiting for payment")
    assert_accessible(page)
    tab_to(page, page.get_by_role("button", name=re.compile(r"^Pay USD 520\.00 \(test mode\)")))
    page.keyboard.press("Space")
    expect(page.locator("#order-status")).to_have_text("Paid — you're registered")

    tab_to(page, page.get_by_role("link", name="Agenda and calendar for Rosalind Franklin"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My agenda")).to_be_visible()
    type_into(page, page.get_by_label("Search titles, abstracts and speakers"), "helix")
    page.keyboard.press("Enter")
    add = page.get_by_role("button", name="Add Helix structures to my agenda")
    expect(add).to_be_visible()
    tab_to(page, add)
    page.keyboard.press("Enter")
    remove = page.get_by_role("button", name="Remove Helix structures from my agenda")
    expect(remove).to_be_visible()
    expect(page.locator("#search-results")).to_contain_text("In your agenda.")
    assert_accessible(page)
    # The agenda sits above the search: Shift+Tab reaches its Remove button.
    tab_to(page, page.get_by_label("Search titles, abstracts and speakers"))
    tab_to(page, remove, backwards=True)
