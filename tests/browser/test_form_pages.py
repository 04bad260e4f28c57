"""Forms that help: every mistake at once, in words, beside its field and in a focused summary that links to
the fields; what was typed survives every error and "Register someone else"; radios and checkboxes sit beside
their labels; staff land on the scanner; every page has our favicon; axe finds nothing serious at desktop and
phone widths. Every wait is on a state of the page, never on a clock."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, Response, ViewportSize, expect

from podium.auth import services as auth_services
from podium.auth.schemas import UserCreate
from tests.browser.conftest import Server, assert_accessible, log_in
from tests.registration.factories import CatalogFixture, build_catalog, db_session_for

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
STAFF_EMAIL, STAFF_PASSWORD = "browser-staff@podium.test", "browser-staff-password"


async def _catalog(server: Server) -> CatalogFixture:
    async with db_session_for(server.settings) as db_session:
        catalog = await build_catalog(db_session)
        await auth_services.create_user(
            db_session,
            UserCreate(email=STAFF_EMAIL, display_name="Sam Staff", password=STAFF_PASSWORD, role="staff"),
        )
        await db_session.commit()
        return catalog


@pytest.fixture(scope="module")
def catalog(server: Server) -> CatalogFixture:
    return asyncio.run(_catalog(server))


def place(server: Server, catalog: CatalogFixture) -> dict[str, str]:
    """An unpaid order through the API: its page holds the seats until the hold's end."""
    response = httpx.post(
        f"{server.base_url}/api/events/{catalog.slug}/orders",
        json={
            "buyer_name": "Marie Curie",
            "buyer_email": "marie@example.org",
            "attendees": [
                {
                    "email": "marie@example.org",
                    "first_name": "Marie",
                    "last_name": "Curie",
                    "country": "FR",
                    "category": "non-member",
                    "answers": {"dietary": "none"},
                }
            ],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def missing(page: Page) -> Iterator[list[str]]:
    """Every response of 400 or more the page's loads meet (a favicon 404 included)."""
    failed: list[str] = []

    def keep(response: Response) -> None:
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")

    page.on("response", keep)
    yield failed


def test_empty_submit_lists_every_mistake_in_words_and_focuses_the_summary(page: Page, catalog: CatalogFixture) -> None:
    page.goto(f"/events/{catalog.slug}/register")

    page.get_by_role("button", name="Continue to payment").click()

    summary = page.get_by_role("region", name=re.compile(r"things to fix$"))
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        [
            "Choose a registration category.",
            "Enter a first name.",
            "Enter a last name.",
            "Enter an email address.",
            "Enter a country by its two-letter ISO code, like US, DE or IN.",
            "Please answer: Dietary needs.",
            "Enter your name.",
            "Enter your email address.",
        ]
    )
    expect(page.get_by_role("heading", name="8 things to fix")).to_be_visible()
    assert "Expected" not in page.locator("main").inner_text()
    first_name = page.get_by_label("First name", exact=True)
    expect(first_name).to_have_attribute("aria-invalid", "true")
    expect(first_name).to_have_accessible_description("Enter a first name.")
    # Only the question left unanswered is marked, not every question.
    expect(page.get_by_label("Dietary needs (required)")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Accessibility needs")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator(".error")).to_have_count(8)
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    assert_accessible(page)
    page.set_viewport_size(DESKTOP)

    summary.get_by_role("link", name="Enter your email address.").click()
    expect(page.get_by_label("Your email", exact=True)).to_be_focused()
    summary.get_by_role("link", name="Choose a registration category.").focus()
    page.keyboard.press("Enter")  # with the keyboard too
    expect(page.get_by_label(re.compile(r"^Member —"))).to_be_focused()


def test_values_survive_errors_and_registering_someone_else(page: Page, catalog: CatalogFixture) -> None:
    page.goto(f"/events/{catalog.slug}/register")
    page.get_by_label(re.compile(r"^Non-member —")).check()
    page.get_by_label("First name", exact=True).fill("Emmy")
    page.get_by_label("Last name", exact=True).fill("Noether")
    page.get_by_label("Email", exact=True).fill("emmy@example.org")
    page.get_by_label("Country (two-letter code)", exact=True).fill("DE")
    page.get_by_label(re.compile(r"^Grant Writing Workshop")).check()
    page.get_by_label("Dietary needs (required)").select_option("vegan")
    page.get_by_label("Accessibility needs").fill("step-free access")
    page.get_by_label("Your name", exact=True).fill("Emmy Noether")

    page.get_by_role("button", name="Register someone else in the same order").click()

    second = page.get_by_role("group", name="Attendee 2")
    expect(second).to_be_visible()
    expect(second.get_by_label(re.compile(r"^Member —"))).to_be_focused()
    first = page.get_by_role("group", name="Attendee 1")
    expect(first.get_by_label(re.compile(r"^Non-member —"))).to_be_checked()
    expect(first.get_by_label("First name", exact=True)).to_have_value("Emmy")
    expect(first.get_by_label(re.compile(r"^Grant Writing Workshop"))).to_be_checked()
    expect(first.get_by_label("Dietary needs (required)")).to_have_value("vegan")
    expect(first.get_by_label("Accessibility needs")).to_have_value("step-free access")
    expect(page.get_by_label("Your name", exact=True)).to_have_value("Emmy Noether")
    expect(page.locator("[aria-invalid]")).to_have_count(0)  # adding someone is not a mistake

    second.get_by_label("First name", exact=True).fill("Ada")
    page.get_by_role("button", name="Continue to payment").click()

    expect(page.get_by_role("region", name=re.compile("things to fix"))).to_be_focused()
    expect(first.get_by_label("Email", exact=True)).to_have_value("emmy@example.org")
    expect(first.get_by_label(re.compile(r"^Grant Writing Workshop"))).to_be_checked()
    expect(second.get_by_label("First name", exact=True)).to_have_value("Ada")
    expect(first.get_by_label("First name", exact=True)).not_to_have_attribute("aria-invalid", "true")
    expect(second.get_by_label("Last name", exact=True)).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_radios_and_checkboxes_sit_beside_their_labels(
    page: Page, catalog: CatalogFixture, viewport: ViewportSize
) -> None:
    page.set_viewport_size(viewport)
    page.goto(f"/events/{catalog.slug}/register")

    for control in (page.get_by_label(re.compile(r"^Member —")), page.get_by_label(re.compile(r"^Grant Writing"))):
        box = control.bounding_box()
        label = page.locator(f"label[for='{control.get_attribute('id')}']").bounding_box()
        assert box is not None and label is not None
        assert box["width"] < 32, box  # its own size, not the column's
        assert box["x"] + box["width"] <= label["x"], (box, label)  # on the label's left …
        assert box["y"] < label["y"] + label["height"] and label["y"] < box["y"] + box["height"], (
            box,
            label,
        )  # … level

    assert_accessible(page)


def test_staff_log_in_to_the_scanner_and_see_only_what_they_may_open(
    page: Page, catalog: CatalogFixture, missing: list[str]
) -> None:
    log_in(page, STAFF_EMAIL, STAFF_PASSWORD)

    expect(page).to_have_url(re.compile(r"/staff/events/[^/]+/scanner$"))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("button", name="Log out (Sam Staff)")).to_be_visible()
    expect(nav.get_by_role("link", name="Log in")).to_have_count(0)
    expect(nav.get_by_role("link", name="Organizer console")).to_have_count(0)
    for href in nav.get_by_role("link").evaluate_all("links => links.map(a => a.href)"):
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        assert httpx.get(href, cookies=cookies, follow_redirects=True).status_code == 200, href
    assert missing == []


def test_organizers_log_in_to_the_console(page: Page, catalog: CatalogFixture) -> None:
    log_in(page)

    expect(page).to_have_url(re.compile(r"/organizer$"))
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Organizer console")).to_be_visible()


def test_every_page_has_our_favicon_and_no_serious_axe_finding_at_both_widths(
    page: Page, catalog: CatalogFixture, server: Server, missing: list[str]
) -> None:
    placed = place(server, catalog)
    pages = [
        "/",
        f"/events/{catalog.slug}",
        f"/events/{catalog.slug}/register",
        f"/events/{catalog.slug}/program",
        f"/orders/{placed['id']}?secret={placed['secret']}",
        "/login",
        "/schema",
    ]

    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        for path in pages:
            page.goto(path)
            icons = page.locator("link[rel='icon']").evaluate_all("links => links.map(l => l.href)")
            assert icons, path
            for icon in [*icons, f"{server.base_url}/favicon.ico"]:
                answer = httpx.get(icon)
                assert (answer.status_code, answer.headers["content-type"].split(";")[0]) in {
                    (200, "image/svg+xml"),
                    (200, "image/x-icon"),
                }, icon
            if path != "/schema":  # Swagger UI's own markup is not ours to fix
                assert_accessible(page)
    assert missing == []


def test_the_order_page_names_the_event_and_ends_the_hold_on_its_clock(
    page: Page, catalog: CatalogFixture, server: Server
) -> None:
    placed = place(server, catalog)

    page.goto(f"/orders/{placed['id']}?secret={placed['secret']}")

    expect(page.locator("#order-event").get_by_role("link", name="Test Meeting")).to_be_visible()
    held = page.get_by_text("Your seats are held until")
    expect(held).to_contain_text(re.compile(r"until \w+day \w+ \d+, \d{4}, \d\d:\d\d \(America/New_York\)\."))
    expect(held).not_to_contain_text("UTC")
