"""An organizer gives an event a logo and a colour on its settings page; visitors see both on the public page,
with readable text on the colour, under the pages' CSP (the colour comes in a style sheet, never inline)."""

from __future__ import annotations

import io
import re

from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Server, assert_accessible, log_in


def png(size: tuple[int, int] = (120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#0b3d91").save(out, format="PNG")
    return out.getvalue()


def test_logo_and_colour_show_on_the_public_page(page: Page, browser: Browser, server: Server) -> None:
    log_in(page)
    page.goto("/organizer/events/new")
    page.get_by_label("Name", exact=True).fill("Brand Summit 2027")
    page.get_by_label("Short name in links (slug)", exact=True).fill("brand-summit-2027")
    page.get_by_label("First day", exact=True).fill("2027-06-01")
    page.get_by_label("Last day", exact=True).fill("2027-06-02")
    page.get_by_label("Venue", exact=True).fill("Town Hall")
    page.get_by_role("button", name="Create event").click()
    expect(page).to_have_url(re.compile(r"/organizer/events/brand-summit-2027$"))

    page.get_by_label("Logo", exact=True).set_input_files(
        {"name": "logo.gif", "mimeType": "image/gif", "buffer": b"GIF89a" + b"\0" * 20}
    )
    page.get_by_role("button", name="Upload logo").click()
    expect(page.locator("#e-brand-logo")).to_have_text("Upload a PNG or JPEG image.")
    expect(page.get_by_label("Logo", exact=True)).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.get_by_label("Logo", exact=True).set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": png()}
    )
    page.get_by_role("button", name="Upload logo").click()
    expect(page.get_by_role("img", name="Current logo of Brand Summit 2027")).to_be_visible()
    page.get_by_label("Accent colour", exact=True).fill("#ffe600")
    page.get_by_role("button", name="Save colour").click()
    expect(page.locator("#h-brand-colour")).to_have_text("now #ffe600")
    assert_accessible(page)
    page.get_by_label("Target (registrations)", exact=True).fill("0")
    page.get_by_role("button", name="Save target").click()
    expect(page.locator("#e-target")).to_contain_text("1")
    expect(page.get_by_label("Target (registrations)", exact=True)).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.get_by_label("Target (registrations)", exact=True).fill("500")
    page.get_by_role("button", name="Save target").click()
    expect(page.get_by_label("Target (registrations)", exact=True)).to_have_value("500")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("h1 .badge")).to_have_text("published")

    visitor = browser.new_context(base_url=server.base_url).new_page()
    visitor.goto("/events/brand-summit-2027")

    logo = visitor.get_by_role("img", name="Brand Summit 2027 logo")
    expect(logo).to_be_visible()
    assert visitor.evaluate("document.querySelector('.event-brand img').naturalWidth") == 120
    band = visitor.locator(".event-brand")
    expect(band).to_have_css("background-color", "rgb(255, 230, 0)")
    expect(visitor.get_by_role("heading", level=1)).to_have_css("color", "rgb(0, 0, 0)")
    expect(visitor.locator(".site-header")).to_have_css("background-color", "rgb(255, 230, 0)")
    for width in (1280, 390):
        visitor.set_viewport_size({"width": width, "height": 900})
        assert_accessible(visitor)
    visitor.context.close()
