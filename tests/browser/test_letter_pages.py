"""An attendee asks for a visa invitation letter as a person would: from their own page to the letter form, a
mistake named beside its field, then the letter issued and downloaded; the PDF names them and the event."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from playwright.sync_api import Page, expect

from registration.links.tokens import registration_secret
from tests.browser.conftest import Server, assert_accessible
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body


async def _catalog(server: Server) -> CatalogFixture:
    async with db_session_for(server.settings) as db_session:
        return await build_catalog(db_session)


@pytest.fixture(scope="module")
def attendee_page(server: Server) -> tuple[str, str]:
    """A paid registration's own page (path with its secret) and the event's name."""
    catalog = asyncio.run(_catalog(server))
    body = order_body(attendee(category="non-member", member_number=None, first_name="Chidi", last_name="Okafor"))
    placed = httpx.post(f"{server.base_url}/api/events/{catalog.slug}/orders", json=body)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    paid = httpx.post(
        f"{server.base_url}/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]}
    )
    assert paid.status_code == 200, paid.text
    registration_id = UUID(order["registrations"][0]["id"])
    secret = registration_secret(server.settings.secret_key, registration_id, 1)
    event = httpx.get(f"{server.base_url}/api/events/{catalog.slug}").json()
    return f"/registrations/{registration_id}?secret={secret}", event["name"]


def test_attendee_asks_for_a_letter_and_downloads_it(
    page: Page, server: Server, attendee_page: tuple[str, str], tmp_path: Path
) -> None:
    path, event_name = attendee_page
    page.goto(path)
    page.get_by_role("link", name="Visa invitation letter").click()
    expect(page.get_by_role("heading", name="Visa invitation letter")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Full name, exactly as in your passport").fill("Chidi Emeka Okafor")
    page.get_by_label("Nationality (country code, e.g. BR)").fill("ng")
    page.get_by_label("Passport number").fill("A12-34")
    page.get_by_label("Date of birth").fill("1988-07-21")
    page.get_by_label("City of the embassy or consulate").fill("Abuja")
    page.get_by_role("button", name="Ask for the letter").click()
    expect(page.locator("#e-passport_number")).to_contain_text("5 to 20 letters and digits")
    expect(page.get_by_label("Full name, exactly as in your passport")).to_have_value("Chidi Emeka Okafor")
    assert_accessible(page)

    page.get_by_label("Passport number").fill("A 1234 5678")
    page.get_by_role("button", name="Ask for the letter").click()
    expect(page.locator("#letter-status")).to_contain_text("Your letter is issued")
    expect(page.locator("main")).to_contain_text("•••••678")
    expect(page.locator("main")).not_to_contain_text("A12345678")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the letter (PDF)").click()
    saved = tmp_path / "letter.pdf"
    download_info.value.save_as(saved)

    assert saved.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext missing: install poppler-utils to read the letter back")
    text = " ".join(
        subprocess.run(["pdftotext", str(saved), "-"], capture_output=True, check=True).stdout.decode().split()
    )
    assert "Chidi Emeka Okafor" in text and event_name in text and "A12345678" in text
