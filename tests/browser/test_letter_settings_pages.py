"""An organizer sets the visa letter rules as a person would: from the letter list to the settings page, a wrong
number of days named beside its field, then review first, the signatory's name and title and a signature image."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, assert_accessible, log_in
from tests.registration.factories import CatalogFixture, build_catalog, db_session_for


async def _catalog(server: Server) -> CatalogFixture:
    async with db_session_for(server.settings) as db_session:
        return await build_catalog(db_session)


@pytest.fixture(scope="module")
def catalog(server: Server) -> CatalogFixture:
    return asyncio.run(_catalog(server))


def test_organizer_sets_the_letter_rules_and_signature(page: Page, catalog: CatalogFixture, tmp_path: Path) -> None:
    signature = tmp_path / "signature.png"
    out = io.BytesIO()
    Image.new("RGB", (240, 80), "white").save(out, format="PNG")
    signature.write_bytes(out.getvalue())
    log_in(page)
    page.goto(f"/organizer/events/{catalog.slug}/letters")
    page.get_by_role("link", name="Letter settings: review, signatory, signature").click()
    expect(page.get_by_role("heading", name="Visa letter settings", level=1)).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Days the passport data is kept after the event").fill("99999")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.locator("#e-erase_after_days")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Review each request before the letter is issued").check()
    page.get_by_label("Days the passport data is kept after the event").fill("60")
    page.get_by_label("Signatory's name").fill("Grace Hopper")
    page.get_by_label("Signatory's title").fill("Secretary of the Society")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.locator("#settings-saved")).to_be_visible()
    page.get_by_label("Signature image").set_input_files(str(signature))
    page.get_by_role("button", name="Upload the signature").click()
    expect(page.locator("#signature-state")).to_have_text("A signature image is printed on the letters.")

    expect(page.get_by_label("Review each request before the letter is issued")).to_be_checked()
    expect(page.get_by_label("Days the passport data is kept after the event")).to_have_value("60")
    expect(page.get_by_label("Signatory's title")).to_have_value("Secretary of the Society")
