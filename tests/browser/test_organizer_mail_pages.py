"""An organizer previews the event's mail and rewords one, as a person would: from the event console, with the
keyboard, on a phone-sized screen; the page passes axe and its content-security policy."""

from __future__ import annotations

import asyncio
import re

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


def test_preview_and_reword_a_mail(page: Page, catalog: CatalogFixture) -> None:
    log_in(page)
    page.goto(f"/organizer/events/{catalog.slug}")
    page.get_by_role("link", name="Mail", exact=True).click()
    expect(page.get_by_role("heading", name="Mail", exact=True)).to_be_visible()
    expect(page.get_by_role("navigation", name="Mail templates")).to_contain_text("Reminder before an unpaid hold ends")
    assert_accessible(page)

    page.get_by_role("link", name="Order placed, places held until paid").click()
    expect(page.get_by_role("heading", name="Order placed, places held until paid")).to_be_visible()
    expect(page.locator("#preview-subject")).to_have_text(
        "Test Meeting: your places are held until 12:30 (America/New_York)"
    )
    expect(page.locator("#preview-text")).to_contain_text("To pay: USD 670.00")
    expect(page.locator("#preview-html")).to_contain_text("Pay for your order")
    assert_accessible(page)

    subject = page.get_by_label("Subject")
    subject.focus()
    page.keyboard.type("Your seats at <Test Meeting>")
    page.get_by_label("Opening paragraph").fill("We hold your seats for a while.\n\nPay soon!")
    page.get_by_role("button", name="Save wording").press("Enter")

    expect(page.get_by_role("status")).to_have_text("Wording saved.")
    expect(page.locator("#preview-subject")).to_have_text("Your seats at <Test Meeting>")
    expect(page.locator("#preview-html")).to_contain_text("We hold your seats for a while.")
    expect(page.locator("#preview-html p", has_text="Pay soon!")).to_have_count(1)
    expect(page.get_by_role("listitem").filter(has_text="Order placed")).to_contain_text("(your wording)")
    expect(page.get_by_label("Subject")).to_have_value("Your seats at <Test Meeting>")

    page.set_viewport_size({"width": 375, "height": 800})
    expect(page.get_by_role("button", name="Save wording")).to_be_visible()
    assert_accessible(page)


def test_the_html_version_opens_as_a_mail_client_shows_it(page: Page, catalog: CatalogFixture) -> None:
    log_in(page)
    page.goto(f"/organizer/events/{catalog.slug}/mail?template=verification_rejected")

    with page.context.expect_page() as opened:
        page.get_by_role("link", name=re.compile("Open the HTML version")).click()
    mail = opened.value
    mail.wait_for_load_state()

    expect(mail.locator("body")).to_contain_text("could not approve it")
    # Its own policy lets the mail's inline styles apply (the console pages allow none).
    assert mail.locator("body > div").evaluate("e => getComputedStyle(e).maxWidth") == "600px"


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(page: Page, catalog: CatalogFixture) -> None:
    response = page.goto(f"/organizer/events/{catalog.slug}/mail")
    assert response is not None
    expect(page).to_have_url(re.compile(r"/login"))
