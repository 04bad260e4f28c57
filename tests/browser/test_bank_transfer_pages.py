"""A buyer without a card chooses bank transfer on the order page and gets a reference; an organizer records the
payment from the registrations page; the buyer's page then says the order is paid."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from registration.models import BankTransferSettings
from tests.browser.conftest import Server, assert_accessible, log_in
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body


async def _catalog(server: Server) -> CatalogFixture:
    async with db_session_for(server.settings) as db_session:
        built = await build_catalog(db_session)
        db_session.add(
            BankTransferSettings(
                event_id=built.event_id,
                enabled=True,
                beneficiary="Society for Science",
                iban="DE89370400440532013000",
                bic="COBADEFFXXX",
                bank_name="Commerzbank",
                bank_address="Frankfurt",
                instructions="",
                due_days=14,
                latest_days_before_event=7,
                max_days_from_order=30,
            )
        )
        await db_session.commit()
        return built


@pytest.fixture(scope="module")
def catalog(server: Server) -> CatalogFixture:
    return asyncio.run(_catalog(server))


def test_buyer_pays_by_bank_transfer_and_the_organizer_records_it(
    page: Page, catalog: CatalogFixture, server: Server
) -> None:
    body = order_body(attendee(first_name="Bea", last_name="Transfer"))
    order = httpx.post(f"{server.base_url}/api/events/{catalog.slug}/orders", json=body).json()
    order_url = f"/orders/{order['id']}?secret={order['secret']}"
    page.goto(order_url)

    page.get_by_role("button", name="Pay by bank transfer / invoice").click()

    section = page.get_by_role("region", name="Pay by bank transfer")
    expect(section).to_be_visible()
    expect(page.locator("#bank-reference")).to_have_text(re.compile(r"^RF\d\d( [A-Z2-9]{4}){3}$"))
    expect(page.locator("#bank-iban")).to_have_text("DE89370400440532013000")
    expect(page.locator("#order-status")).to_have_text("Waiting for payment")
    assert_accessible(page)

    log_in(page)
    page.goto(f"/organizer/events/{catalog.slug}/registrations")
    page.get_by_text("More actions").first.click()
    page.get_by_label(re.compile(r"^Bank payment received")).fill(f"{order['total'] / 100:.2f}")
    page.get_by_role("button", name="Record bank payment on this order").click()
    expect(page.get_by_role("status").first).to_contain_text("paid in full")

    page.goto(order_url)
    expect(page.locator("#order-status")).to_have_text("Paid — you're registered")
    expect(page.get_by_role("region", name="Pay by bank transfer")).to_have_count(0)
