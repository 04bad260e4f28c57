"""A student registers, uploads proof of eligibility from the order page (a wrong file is explained), and
the organizer finds the document next to the registration awaiting verification."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, assert_accessible, log_in
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body


async def _catalog(server: Server) -> CatalogFixture:
    async with db_session_for(server.settings) as db_session:
        return await build_catalog(db_session)


@pytest.fixture(scope="module")
def order_link(server: Server) -> tuple[CatalogFixture, str]:
    found = asyncio.run(_catalog(server))
    student = attendee(
        "marie@example.org", first_name="Marie", last_name="Sklodowska", category="student", member_number=None,
        verification_note="Doctoral student",
    )  # fmt: skip
    placed = httpx.post(f"{server.base_url}/api/events/{found.slug}/orders", json=order_body(student)).json()
    paid = httpx.post(
        f"{server.base_url}/api/orders/{placed['id']}/offline-payment", headers={"X-Order-Secret": placed["secret"]}
    )
    assert paid.status_code == 200, paid.text
    return found, f"/orders/{placed['id']}?secret={placed['secret']}"


def test_upload_proof_and_organizer_sees_it(page: Page, order_link: tuple[CatalogFixture, str], tmp_path: Path) -> None:
    catalog, link = order_link
    fake = tmp_path / "card.pdf"
    fake.write_text("<html>not a pdf</html>")
    real = tmp_path / "Student card.pdf"
    real.write_bytes(b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    page.goto(link)
    expect(page.get_by_role("heading", name="Proof of eligibility for Marie Sklodowska")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Document for Marie Sklodowska").set_input_files(str(fake))
    page.get_by_role("button", name=re.compile(r"^Upload")).click()
    expect(page.get_by_role("alert")).to_contain_text("upload a PDF, PNG or JPEG file")
    page.get_by_label("Document for Marie Sklodowska").set_input_files(str(real))
    page.get_by_role("button", name=re.compile(r"^Upload")).click()
    expect(page.get_by_role("status")).to_contain_text("Uploaded Student_card.pdf")
    expect(page.locator("main")).to_contain_text("Uploaded: Student_card.pdf")

    browser = page.context.browser
    assert browser is not None  # the page is from a launched browser, not a persistent context
    organizer = browser.new_context(base_url=page.url.split("/orders")[0]).new_page()
    log_in(organizer)
    organizer.goto(f"/organizer/events/{catalog.slug}/registrations?status=awaiting_verification")
    expect(organizer.locator("#registrations")).to_contain_text("Doctoral student")
    expect(organizer.locator("#registrations")).to_contain_text(
        re.compile(r"uploaded \w+day \w+ \d+, \d{4}, \d\d:\d\d \(America/New_York\)")
    )
    link_to_file = organizer.get_by_role("link", name="Student_card.pdf")
    expect(link_to_file).to_be_visible()
    with organizer.expect_download() as download:
        link_to_file.click()
    assert download.value.path().read_bytes().startswith(b"%PDF-")
    organizer.context.close()
