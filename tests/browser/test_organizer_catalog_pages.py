"""An organizer builds a catalog as a person would: a category with price windows (a mistyped price is
explained at its field), a workshop add-on with seats, a shared capacity, a promo code, the equitable-access
discounts; then a visitor sees the new category and workshop on the registration form."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, assert_accessible, log_in
from tests.registration.factories import CatalogFixture, build_catalog, db_session_for


async def _catalog(server: Server) -> CatalogFixture:
    async with db_session_for(server.settings) as db_session:
        return await build_catalog(db_session)


@pytest.fixture(scope="module")
def catalog(server: Server) -> CatalogFixture:
    return asyncio.run(_catalog(server))


def test_build_a_catalog(page: Page, catalog: CatalogFixture) -> None:
    today = dt.date.today()
    log_in(page)
    page.goto(f"/organizer/events/{catalog.slug}")
    page.get_by_role("link", name="Registration catalog").click()
    expect(page.get_by_role("heading", name="Registration catalog", level=1)).to_be_visible()
    assert_accessible(page)

    page.get_by_text("Add a category").click()
    form = page.locator("form[action$='/catalog/categories']")
    form.get_by_label("Name", exact=True).fill("Patient advocate")
    form.get_by_label("Code", exact=True).fill("advocate")
    form.get_by_label("Who may register").select_option("verification")
    form.get_by_label("Window 1 name").fill("early_bird")
    form.get_by_label("Window 1 first day").fill((today - dt.timedelta(days=10)).isoformat())
    form.get_by_label("Window 1 price (USD)").fill("ninety")
    form.get_by_role("button", name="Add category").click()
    expect(page.locator("#category-window_0_amount-error")).to_contain_text("Enter a price in USD")
    assert_accessible(page)
    form = page.locator("form[action$='/catalog/categories']")
    form.get_by_label("Window 1 price (USD)").fill("90.00")
    form.get_by_label("Window 2 name").fill("on_site")
    form.get_by_label("Window 2 first day").fill((today + dt.timedelta(days=59)).isoformat())
    form.get_by_label("Window 2 price (USD)").fill("120")
    form.get_by_role("button", name="Add category").click()
    expect(page.get_by_role("status")).to_contain_text("Category “Patient advocate” added")
    expect(page.locator("#categories")).to_contain_text("early bird from")
    expect(page.locator("#categories")).to_contain_text("USD 90.00")

    page.get_by_text("Add an add-on").click()
    form = page.locator("form[action$='/catalog/add-ons']")
    form.get_by_label("Name", exact=True).fill("Leadership Training")
    form.get_by_label("Code", exact=True).fill("leadership")
    form.get_by_label("Price (USD)").fill("75")
    form.get_by_label("Seats (empty: no limit)").fill("12")
    form.get_by_label("Kind").select_option("training")
    form.get_by_role("button", name="Add add-on").click()
    expect(page.locator("#add-ons")).to_contain_text("0 of 12 seats taken")

    page.get_by_text("Add a promo code").click()
    form = page.locator("form[action$='/catalog/promo-codes']")
    form.get_by_label("Code", exact=True).fill("ADVOCATE-FREE")
    form.get_by_label("Discount", exact=True).fill("100")
    form.get_by_label("Maximum uses (empty: unlimited)").fill("5")
    form.get_by_role("button", name="Add promo code").click()
    expect(page.locator("#promo-codes")).to_contain_text("100 % (comp)")

    page.get_by_label("Low-income countries: discount %").fill("60")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Registration settings saved")
    expect(page.get_by_label("Low-income countries: discount %")).to_have_value("60")

    page.locator("#categories > li").filter(has_text="(press)").get_by_role("button").click()
    expect(page.locator("#categories")).to_contain_text("off sale")
    assert_accessible(page)

    browser = page.context.browser
    assert browser is not None  # the page is from a launched browser, not a persistent context
    visitor = browser.new_context(base_url=page.url.split("/organizer")[0]).new_page()
    visitor.goto(f"/events/{catalog.slug}/register")
    expect(visitor.locator("main")).to_contain_text("Patient advocate")
    expect(visitor.locator("main")).to_contain_text("Leadership Training")
    expect(visitor.locator("main")).not_to_contain_text("Press —")
    visitor.context.close()


def test_seller_details_for_receipts(page: Page, catalog: CatalogFixture) -> None:
    log_in(page)
    page.goto(f"/organizer/events/{catalog.slug}/catalog")
    form = page.locator("form[action$='/catalog/seller']")

    form.get_by_label("Legal name").fill("Society for Meetings e.V.")
    form.get_by_label("Address").fill("Unter den Linden 1\n10117 Berlin")
    form.get_by_label("Tax or VAT id").fill("DE<123>")
    form.get_by_role("button", name="Save seller details").click()
    expect(page.locator("#seller-tax_id-error")).to_be_visible()
    assert_accessible(page)
    form = page.locator("form[action$='/catalog/seller']")
    expect(form.get_by_label("Legal name")).to_have_value("Society for Meetings e.V.")
    form.get_by_label("Tax or VAT id").fill("DE123456789")
    form.get_by_label("Footer (registration, bank, notes)").fill("Registered at Amtsgericht Charlottenburg")
    form.get_by_role("button", name="Save seller details").click()

    expect(page.get_by_role("status")).to_contain_text("Seller details saved.")
    form = page.locator("form[action$='/catalog/seller']")
    expect(form.get_by_label("Address")).to_have_value("Unter den Linden 1\n10117 Berlin")
    expect(form.get_by_label("Tax or VAT id")).to_have_value("DE123456789")
