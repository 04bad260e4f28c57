"""An organizer reads the audit log as a person would: from the event console, filtered with the form, on a
phone-sized screen, and from a registration's "History" link; a filter it can't read is named, not a 500."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, assert_accessible, log_in
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body


async def _catalog(server: Server) -> CatalogFixture:
    async with db_session_for(server.settings) as db_session:
        return await build_catalog(db_session)


@pytest.fixture(scope="module")
def catalog(server: Server) -> CatalogFixture:
    found = asyncio.run(_catalog(server))
    people = [attendee("marie@example.org", first_name="Marie", last_name="Curie")]
    placed = httpx.post(f"{server.base_url}/api/events/{found.slug}/orders", json=order_body(*people)).json()
    paid = httpx.post(
        f"{server.base_url}/api/orders/{placed['id']}/offline-payment", headers={"X-Order-Secret": placed["secret"]}
    )
    assert paid.status_code == 200, paid.text
    return found


def test_read_filter_and_follow_history(page: Page, catalog: CatalogFixture) -> None:
    log_in(page)
    page.goto(f"/organizer/events/{catalog.slug}")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    expect(page.locator("#audit-log")).to_contain_text("order paid")
    expect(page.locator("#audit-log")).to_contain_text("registration confirmed")
    assert_accessible(page)

    page.get_by_label("Kind of thing").select_option("order")
    page.get_by_role("button", name="Show changes").click()
    expect(page.locator("#result-count")).to_contain_text("2 changes")
    expect(page.locator("#audit-log")).not_to_contain_text("registration confirmed")
    expect(page.locator("#audit-log")).to_contain_text("pending → paid")

    page.set_viewport_size({"width": 375, "height": 800})
    cell = page.locator("#audit-log tbody tr").first.locator("td").first
    expect(cell).to_be_visible()
    header_hidden = page.locator("#audit-log thead").bounding_box()
    assert header_hidden is not None and header_hidden["width"] <= 1
    assert_accessible(page)

    page.goto(f"/organizer/events/{catalog.slug}/audit?until=yesterday&action=paid")
    expect(page.get_by_role("alert")).to_contain_text("until")
    expect(page.get_by_label("To (date, inclusive)")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#audit-log")).to_contain_text("order paid")

    page.goto(f"/organizer/events/{catalog.slug}/registrations")
    page.get_by_role("link", name="History of Marie Curie's registration").click()
    expect(page).to_have_url(re.compile(r"/audit\?entity_id="))
    expect(page.locator("#result-count")).to_contain_text("2 changes")
    expect(page.locator("#audit-log")).to_contain_text("held → confirmed")


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(page: Page, catalog: CatalogFixture) -> None:
    response = page.goto(f"/organizer/events/{catalog.slug}/audit")
    assert response is not None
    expect(page).to_have_url(re.compile(r"/login"))
