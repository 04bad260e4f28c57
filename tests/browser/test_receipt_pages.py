"""The buyer finds the order's receipts on the order page and gives billing details for them: a mistake is
explained, and details given after the receipt was issued bring a credit note and a new receipt."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, assert_accessible
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body


async def _catalog(server: Server) -> CatalogFixture:
    async with db_session_for(server.settings) as db_session:
        return await build_catalog(db_session)


@pytest.fixture(scope="module")
def catalog(server: Server) -> CatalogFixture:
    return asyncio.run(_catalog(server))


def test_buyer_reads_receipts_and_gives_billing_details(page: Page, catalog: CatalogFixture, server: Server) -> None:
    order = httpx.post(f"{server.base_url}/api/events/{catalog.slug}/orders", json=order_body(attendee())).json()
    httpx.post(
        f"{server.base_url}/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]}
    )
    slug = catalog.slug.upper()
    page.goto(f"/orders/{order['id']}?secret={order['secret']}")
    receipts = page.get_by_role("region", name="Receipts")
    expect(receipts.get_by_role("link", name=f"Receipt {slug}-000001 (PDF)")).to_be_visible()
    assert_accessible(page)

    receipts.get_by_text("Billing details for the receipt").click()
    receipts.get_by_label("Organization").fill("CERN")
    receipts.get_by_label("Address").fill("Esplanade des Particules 1\n1211 Meyrin")
    receipts.get_by_label("Billing country (two-letter code)").fill("XX")
    receipts.get_by_role("button", name="Save billing details").click()
    receipts = page.get_by_role("region", name="Receipts")
    country = receipts.get_by_label("Billing country (two-letter code)")
    expect(page.get_by_role("region", name="One thing to fix")).to_be_focused()  # the form stays open, told
    expect(country).to_have_attribute("aria-invalid", "true")
    expect(country).to_have_accessible_description(re.compile("country"))
    expect(receipts.get_by_label("Organization")).to_have_value("CERN")
    assert_accessible(page)
    receipts.get_by_label("Billing country (two-letter code)").fill("ch")
    receipts.get_by_role("button", name="Save billing details").click()

    receipts = page.get_by_role("region", name="Receipts")
    expect(receipts.get_by_role("link", name=re.compile(rf"^Credit note {slug}-000002"))).to_be_visible()
    expect(receipts.get_by_role("link", name=f"Receipt {slug}-000003 (PDF)")).to_be_visible()
    receipts.get_by_text("Billing details for the receipt").click()
    expect(receipts.get_by_label("Billing country (two-letter code)")).to_have_value("CH")
    pdf = httpx.get(
        f"{server.base_url}{receipts.get_by_role('link', name=f'Receipt {slug}-000003 (PDF)').get_attribute('href')}"
    )
    assert pdf.headers["content-type"] == "application/pdf"
