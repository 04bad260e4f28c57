"""An organizer works the registrations page as a person would: find an attendee, approve a verification,
refund part of an order (a mistyped amount is explained), register a speaker for free, download the CSV."""

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
    people = [
        attendee("marie@example.org", first_name="Marie", last_name="Curie"),
        attendee(
            "pierre@example.org",
            first_name="Pierre",
            last_name="Student",
            category="student",
            member_number=None,
            verification_note="PhD student at the Sorbonne",
        ),
    ]
    placed = httpx.post(f"{server.base_url}/api/events/{found.slug}/orders", json=order_body(*people)).json()
    paid = httpx.post(
        f"{server.base_url}/api/orders/{placed['id']}/offline-payment", headers={"X-Order-Secret": placed["secret"]}
    )
    assert paid.status_code == 200, paid.text
    return found


def test_figures_are_charts_with_the_counts(page: Page, catalog: CatalogFixture) -> None:
    """Runs first: one paid order of two people, so one day with 2 and the categories' confirmed counts."""
    log_in(page)
    page.goto(f"/organizer/events/{catalog.slug}/registrations")
    per_day = page.locator("#registrations-per-day .chart-bar")
    expect(per_day).to_have_count(1)
    expect(per_day.first).to_have_attribute("data-value", "2")
    expect(page.locator("#registrations-per-day")).to_have_attribute("role", "img")
    expect(page.locator("#revenue-per-day .chart-bar")).to_have_count(1)
    label = per_day.first.get_attribute("data-label")
    assert label is not None
    assert (page.locator("#revenue-per-day desc").text_content() or "").startswith(label)
    table = page.get_by_role("region", name="Registrations and revenue by category")
    for bar in page.locator("#registrations-by-category .chart-bar").all():
        row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=bar.get_attribute("data-label")))
        expect(row.get_by_role("cell").first).to_have_text(bar.get_attribute("data-value") or "")
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)


def test_find_approve_refund_comp_and_export(page: Page, catalog: CatalogFixture) -> None:
    log_in(page)
    page.goto(f"/organizer/events/{catalog.slug}")
    page.get_by_role("link", name="Registrations").click()
    expect(page.locator("#result-count")).to_contain_text("2 registrations")
    expect(page.get_by_role("heading", name="Figures")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Status").select_option("awaiting_verification")
    page.get_by_role("button", name="Show registrations").click()
    expect(page.locator("#result-count")).to_contain_text("1 registration")
    expect(page.locator("#registrations")).to_contain_text("PhD student at the Sorbonne")
    page.get_by_role("button", name="Approve verification of Pierre Student").click()
    expect(page.get_by_role("status").first).to_contain_text("Verification approved for Pierre Student")

    page.get_by_label("Name or email").fill("curie")
    page.keyboard.press("Enter")
    expect(page.locator("#result-count")).to_contain_text("1 registration")
    page.get_by_text("More actions").click()
    page.get_by_label("Refund amount (USD)").fill("ten dollars")
    page.get_by_role("button", name="Refund on this order").click()
    summary = page.get_by_role("region", name="One thing to fix")
    expect(summary).to_contain_text("Enter an amount in USD")
    expect(summary).to_be_focused()
    page.get_by_label("Name or email").fill("curie")
    page.keyboard.press("Enter")
    page.get_by_text("More actions").click()
    page.get_by_label("Refund amount (USD)").fill("10.00")
    page.get_by_label("Reason").fill("parking voucher")
    page.get_by_role("button", name="Refund on this order").click()
    expect(page.get_by_role("status").first).to_contain_text("Refund of USD 10.00 recorded")

    page.get_by_label("First name").fill("Lise")
    page.get_by_label("Last name").fill("Meitner")
    page.get_by_role("button", name="Register free of charge").click()
    expect(page.locator("#e-email")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Email", exact=True).fill("lise@example.org")
    page.get_by_label("Country (two-letter code)").fill("at")
    page.get_by_role("region", name="Comp registration").get_by_label("Category").select_option("non-member")
    page.get_by_label("Dietary needs (required)").select_option("vegetarian")
    page.get_by_role("button", name="Register free of charge").click()
    expect(page.get_by_role("status").first).to_contain_text("Comp registration for Lise Meitner confirmed")
    expect(page.locator("#result-count")).to_contain_text("3 registrations")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = download.value.path().read_text(encoding="utf-8")
    assert re.search(r"Lise.*Meitner", text) and "pierre@example.org" in text


def test_staff_cannot_open_it(page: Page, server: Server, catalog: CatalogFixture) -> None:
    response = page.goto(f"/organizer/events/{catalog.slug}/registrations")
    assert response is not None
    expect(page).to_have_url(re.compile(r"/login"))
