"""A person registers and pays (offline test provider) through the pages, and sees mistakes explained."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from podium.db import utcnow
from registration.models import Order
from registration.orders.holds import expire_holds
from registration.waitlist.services import process_waitlists
from tests.browser.conftest import Server, assert_accessible
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body

T = TypeVar("T")


async def _catalog(server: Server) -> CatalogFixture:
    async with db_session_for(server.settings) as db_session:
        return await build_catalog(db_session, workshop_seats=5)


@pytest.fixture(scope="module")
def catalog(server: Server) -> CatalogFixture:
    return asyncio.run(_catalog(server))


def test_register_choose_add_on_answer_and_pay(page: Page, catalog: CatalogFixture) -> None:
    page.goto(f"/events/{catalog.slug}")
    page.get_by_role("link", name="Register").click()
    assert_accessible(page)

    page.get_by_label(re.compile(r"^Member —")).check()
    page.get_by_label("First name", exact=True).fill("Rosalind")
    page.get_by_label("Last name", exact=True).fill("Franklin")
    page.get_by_label("Email", exact=True).fill("rosalind@kings.ac.uk")
    page.get_by_label("Country (two-letter code)", exact=True).fill("GB")
    page.get_by_label("Member number", exact=True).fill("M-51")
    page.get_by_label(re.compile(r"^Grant Writing Workshop")).check()
    page.get_by_label("Dietary needs (required)").select_option("vegetarian")
    page.get_by_label("Your name", exact=True).fill("Rosalind Franklin")
    page.get_by_label("Your email", exact=True).fill("rosalind@kings.ac.uk")
    page.get_by_role("button", name="Continue to payment").click()

    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]+\?secret="))
    expect(page.locator("#order-status")).to_have_text("Waiting for payment")
    expect(page.get_by_role("note")).to_contain_text("Test mode")
    expect(page.locator("main")).to_contain_text("Total USD 520.00")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile(r"Pay USD 520\.00 \(test mode\)")).click()
    expect(page.locator("#order-status")).to_have_text("Paid — you're registered")
    expect(page.get_by_role("cell", name="confirmed")).to_be_visible()


def test_register_mistakes_are_shown_next_to_the_field(page: Page, catalog: CatalogFixture) -> None:
    page.goto(f"/events/{catalog.slug}/register")
    page.get_by_label(re.compile(r"^Member —")).check()
    page.get_by_label("First name", exact=True).fill("Alan")
    page.get_by_label("Last name", exact=True).fill("Turing")
    page.get_by_label("Email", exact=True).fill("alan@example.org")
    page.get_by_label("Country (two-letter code)", exact=True).fill("GB")
    page.get_by_label("Dietary needs (required)").select_option("none")
    page.get_by_label("Your name", exact=True).fill("Alan Turing")
    page.get_by_label("Your email", exact=True).fill("alan@example.org")

    page.get_by_role("button", name="Continue to payment").click()

    expect(page.locator("#e-a0-member_number")).to_have_text("The Member category needs a member number.")
    expect(page.get_by_label("First name", exact=True)).to_have_value("Alan")
    assert_accessible(page)


def test_buyer_transfers_then_cancels_from_the_order_page(page: Page, catalog: CatalogFixture, server: Server) -> None:
    order = httpx.post(f"{server.base_url}/api/events/{catalog.slug}/orders", json=order_body(attendee())).json()
    httpx.post(
        f"{server.base_url}/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]}
    )
    page.goto(f"/orders/{order['id']}?secret={order['secret']}")
    expect(page.get_by_role("link", name="Download the receipt (PDF)")).to_be_visible()

    page.get_by_text("Change the registration of Ada Lovelace").click()
    assert_accessible(page)
    page.get_by_label("First name", exact=True).fill("Lise")
    page.get_by_label("Last name", exact=True).fill("Meitner")
    page.get_by_label("Email", exact=True).fill("lise@example.org")
    page.get_by_label("Country (two-letter code)", exact=True).fill("at")
    page.get_by_label("Member number (member category)", exact=True).fill("M-1878")
    page.get_by_role("button", name="Transfer").click()
    row = page.get_by_role("row", name=re.compile("Lise Meitner"))
    expect(row).to_contain_text("Transferred: their own link went to them by mail")
    expect(row.get_by_role("link")).to_have_count(0)  # the new holder's page is theirs, not the buyer's

    page.get_by_text("Change the registration of Lise Meitner").click()
    page.get_by_role("button", name="Cancel this registration").click()

    expect(page.get_by_role("status")).to_have_text("Cancelled (0 % fee). Refund: USD 400.00.")
    expect(page.get_by_role("cell", name="cancelled")).to_be_visible()


def in_thread(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run database work beside Playwright, whose sync API keeps an event loop busy in this thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_waitlist_join_offer_and_claim(page: Page, server: Server) -> None:
    async def full_workshop() -> tuple[CatalogFixture, dict[str, Any]]:
        async with db_session_for(server.settings) as db_session:
            tiny = await build_catalog(db_session, workshop_seats=1)
        return tiny, {}

    tiny, _ = in_thread(full_workshop())
    first = httpx.post(
        f"{server.base_url}/api/events/{tiny.slug}/orders", json=order_body(attendee(add_ons=["workshop"]))
    ).json()
    page.goto(f"/events/{tiny.slug}/register")
    page.get_by_role("link", name="join the waitlist").click()
    assert_accessible(page)
    page.get_by_label("Your name", exact=True).fill("Chien-Shiung Wu")
    page.get_by_label("Your email", exact=True).fill("wu@example.org")
    page.get_by_role("button", name="Join the waitlist").click()
    expect(page.locator("#waitlist-status")).to_have_text(re.compile(r"You are number 1 in line"), timeout=20_000)

    async def free_the_seat() -> None:
        async with db_session_for(server.settings) as db_session:
            await db_session.execute(update(Order).where(Order.id == first["id"]).values(hold_expires_at=utcnow()))
            await db_session.commit()
            await expire_holds(db_session, event_id=tiny.event_id)
            await process_waitlists(db_session, event_id=tiny.event_id)
            await db_session.commit()

    in_thread(free_the_seat())
    page.reload()
    expect(page.locator("#waitlist-status")).to_contain_text("A seat is held for you")
    assert_accessible(page)
    page.get_by_role("link", name="Register with your seat").click()
    expect(page.get_by_role("status")).to_contain_text("waitlist offer")
    page.get_by_label(re.compile(r"^Member —")).check()
    page.get_by_label("First name", exact=True).fill("Chien-Shiung")
    page.get_by_label("Last name", exact=True).fill("Wu")
    page.get_by_label("Email", exact=True).fill("wu@example.org")
    page.get_by_label("Country (two-letter code)", exact=True).fill("US")
    page.get_by_label("Member number", exact=True).fill("M-1912")
    page.get_by_label(re.compile(r"^Grant Writing Workshop")).check()
    page.get_by_label("Dietary needs (required)").select_option("none")
    page.get_by_label("Your name", exact=True).fill("Chien-Shiung Wu")
    page.get_by_label("Your email", exact=True).fill("wu@example.org")
    page.get_by_role("button", name="Continue to payment").click()

    expect(page.locator("#order-status")).to_have_text("Waiting for payment")
