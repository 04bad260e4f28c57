"""People using the event pages: an organizer builds and publishes an event, a visitor finds it with the
keyboard alone, errors are explained where they happen, and every page passes axe-core."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Server, assert_accessible, log_in


def test_organizer_publishes_an_event_and_a_keyboard_visitor_finds_it(
    page: Page, browser: Browser, server: Server
) -> None:
    log_in(page)
    expect(page).to_have_url(re.compile(r"/organizer$"))
    assert_accessible(page)
    page.get_by_role("link", name="New event", exact=True).click()
    assert_accessible(page)
    page.get_by_label("Name", exact=True).fill("Neuroscience Retreat 2027")
    page.get_by_label("Short name in links (slug)", exact=True).fill("neuro-retreat-2027")
    page.get_by_label("Kind", exact=True).select_option("workshop")
    page.get_by_label("First day", exact=True).fill("2027-06-01")
    page.get_by_label("Last day", exact=True).fill("2027-06-02")
    page.get_by_label("Time zone", exact=True).fill("Europe/Berlin")
    page.get_by_label("Venue", exact=True).fill("Harnack-Haus")
    page.get_by_label("City", exact=True).fill("Berlin")
    page.get_by_role("button", name="Create event").click()
    expect(page).to_have_url(re.compile(r"/organizer/events/neuro-retreat-2027$"))
    page.get_by_label("Room name", exact=True).fill("Goethe Hall")
    page.get_by_label("Seats", exact=True).fill("120")
    page.get_by_role("button", name="Add room").click()
    expect(page.locator("#rooms")).to_contain_text("Goethe Hall")
    page.get_by_label("Track name", exact=True).fill("Systems Neuroscience")
    page.get_by_role("button", name="Add track").click()
    expect(page.locator("#tracks")).to_contain_text("Systems Neuroscience")
    assert_accessible(page)
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("h1 .badge")).to_have_text("published")

    visitor = browser.new_context(base_url=server.base_url).new_page()
    visitor.goto("/")
    assert_accessible(visitor)
    for _ in range(40):
        visitor.keyboard.press("Tab")
        if visitor.evaluate("document.activeElement.getAttribute('href')") == "/events/neuro-retreat-2027":
            break
    visitor.keyboard.press("Enter")

    expect(visitor).to_have_url(re.compile(r"/events/neuro-retreat-2027$"))
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Neuroscience Retreat 2027")
    expect(visitor.locator("main")).to_contain_text("Harnack-Haus, Berlin")
    expect(visitor.get_by_role("cell", name="Goethe Hall")).to_be_visible()
    assert_accessible(visitor)
    visitor.context.close()


def test_organizer_gives_a_description_in_spanish_and_a_spanish_visitor_reads_it(
    page: Page, browser: Browser, server: Server
) -> None:
    log_in(page)
    page.goto("/organizer/events/new")
    page.get_by_label("Name", exact=True).fill("Retiro de Neurociencia")
    page.get_by_label("Short name in links (slug)", exact=True).fill("neuro-retiro-2027")
    page.get_by_label("First day", exact=True).fill("2027-07-01")
    page.get_by_label("Last day", exact=True).fill("2027-07-02")
    page.get_by_label("Venue", exact=True).fill("Casa Central")
    page.get_by_label("Description", exact=True).fill("Two days of talks.")
    summary = page.locator("summary", has_text="español")
    summary.focus()
    page.keyboard.press("Enter")  # a <details> opens from the keyboard
    page.get_by_label("Description in español", exact=True).fill("Dos días de charlas.")
    assert_accessible(page)
    page.get_by_role("button", name="Create event").click()
    expect(page).to_have_url(re.compile(r"/organizer/events/neuro-retiro-2027$"))
    expect(page.get_by_label("Description in español", exact=True)).to_have_value("Dos días de charlas.")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("h1 .badge")).to_have_text("published")

    spanish = browser.new_context(base_url=server.base_url, locale="es-ES").new_page()
    spanish.goto("/events/neuro-retiro-2027")
    english = browser.new_context(base_url=server.base_url, locale="en-US").new_page()
    english.goto("/events/neuro-retiro-2027")

    expect(spanish.locator("main")).to_contain_text("Dos días de charlas.")
    expect(english.locator("main")).to_contain_text("Two days of talks.")
    assert_accessible(spanish)
    spanish.context.close()
    english.context.close()


def test_wrong_password_is_explained_on_the_login_page(page: Page) -> None:
    log_in(page, password="not-the-password", succeeds=False)

    expect(page.get_by_role("alert")).to_have_text("The email or the password is wrong.")
    expect(page.get_by_role("alert")).to_be_focused()
    expect(page.get_by_label("Email", exact=True)).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


def test_bad_event_form_names_the_field_and_keeps_the_input(page: Page) -> None:
    log_in(page)
    page.goto("/organizer/events/new")
    page.get_by_label("Name", exact=True).fill("Backwards Meeting")
    page.get_by_label("Short name in links (slug)", exact=True).fill("backwards-2027")
    page.get_by_label("First day", exact=True).fill("2027-05-10")
    page.get_by_label("Last day", exact=True).fill("2027-05-08")
    page.get_by_label("Venue", exact=True).fill("Somewhere")

    page.get_by_role("button", name="Create event").click()

    expect(page.locator("#e-end_date")).to_have_text("The event cannot end before it starts.")
    expect(page.get_by_label("Last day", exact=True)).to_have_attribute("aria-invalid", "true")
    summary = page.get_by_role("region", name="One thing to fix")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="The event cannot end before it starts.").click()
    expect(page.get_by_label("Last day", exact=True)).to_be_focused()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Backwards Meeting")
    assert_accessible(page)


def test_missing_pages_and_organizer_only_pages(page: Page) -> None:
    page.goto("/events/no-such-event")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    assert_accessible(page)

    page.goto("/organizer")

    expect(page).to_have_url(re.compile(r"/login\?next=/organizer$"))


def test_pages_fit_a_phone_screen(browser: Browser, server: Server) -> None:
    context = browser.new_context(base_url=server.base_url, viewport={"width": 375, "height": 667}, is_mobile=True)
    phone = context.new_page()

    widths = []
    for path in ("/", "/login"):
        phone.goto(path)
        widths.append(phone.evaluate("document.documentElement.scrollWidth"))

    assert widths == [375, 375]
    context.close()
