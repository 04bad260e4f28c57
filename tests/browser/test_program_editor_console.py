"""An organizer finds their way through a long program: pages of 100, search by title, filters by day and room,
and a chart of sessions per room that counts what the filter shows. axe-clean at desktop and phone widths."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, assert_accessible, log_in
from tests.browser.test_program_pages import HEADER, new_program, upload


def _program() -> str:
    """130 ten-minute talks, each by its own speaker: 65 in Hall A on the first day, 65 in Room 101 on the
    second, none overlapping."""
    rows = [HEADER]
    for n in range(130):
        day, room = ("2027-03-14", "Hall A") if n < 65 else ("2027-03-15", "Room 101")
        minutes = 8 * 60 + (n % 65) * 10
        start, end = f"{minutes // 60:02}:{minutes % 60:02}", f"{(minutes + 10) // 60:02}:{(minutes + 10) % 60:02}"
        rows.append(f"Talk {n + 1:03},,{day},{start},{end},{room},,Speaker {n + 1:03},,,,,,")
    return "\n".join(rows) + "\n"


def test_a_long_program_is_paged_searched_and_charted(page: Page, server: Server) -> None:
    program = new_program(server)
    log_in(page)
    page.goto(f"/organizer/events/{program.slug}/program")
    upload(page, _program(), override=True)
    page.goto(f"/organizer/events/{program.slug}/program")
    expect(page.locator("#session-count")).to_have_text("130 sessions · page 1 of 2.")
    expect(page.locator("main tbody tr")).to_have_count(100)
    chart = page.locator("#sessions-per-room .chart-bar")
    expect(chart).to_have_count(2)
    expect(page.locator('#sessions-per-room .chart-bar[data-label="Hall A"]')).to_have_attribute("data-value", "65")
    assert_accessible(page)

    page.get_by_role("navigation", name="Pages of sessions").get_by_role("link", name="Next →").click()
    expect(page.locator("#session-count")).to_have_text("130 sessions · page 2 of 2.")
    expect(page.locator("main tbody tr")).to_have_count(30)
    expect(page.locator("main tbody")).to_contain_text("Talk 130")

    page.get_by_label("Title", exact=True).fill("talk 007")
    page.keyboard.press("Enter")
    expect(page.locator("#session-count")).to_have_text("1 session.")
    expect(page.locator("main tbody")).to_contain_text("Talk 007")

    page.get_by_label("Title", exact=True).fill("")
    page.get_by_label("Day", exact=True).select_option(index=2)
    page.get_by_role("button", name="Show sessions").click()
    expect(page.locator("#session-count")).to_have_text("65 sessions.")
    expect(chart).to_have_count(1)
    expect(chart.first).to_have_attribute("data-label", "Room 101")
    expect(chart.first).to_have_attribute("data-value", "65")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)

    page.goto(f"/organizer/events/{program.slug}/program?page=banana&day=nope&room=x")
    expect(page.locator("#session-count")).to_have_text("0 sessions.")


def test_speakers_are_paged_and_searched(page: Page, server: Server) -> None:
    program = new_program(server)
    log_in(page)
    page.goto(f"/organizer/events/{program.slug}/program")
    upload(page, _program(), override=True)
    page.goto(f"/organizer/events/{program.slug}/speakers")
    expect(page.locator("#speaker-count")).to_have_text("130 people · page 1 of 2.")
    expect(page.locator("main tbody tr")).to_have_count(100)
    page.get_by_role("navigation", name="Pages of speakers").get_by_role("link", name="Next →").click()
    expect(page.locator("main tbody tr")).to_have_count(30)
    page.get_by_label("Name, affiliation or email").fill("speaker 042")
    page.keyboard.press("Enter")
    expect(page.locator("#speaker-count")).to_have_text("1 person found.")
    expect(page.locator("main tbody")).to_contain_text("Speaker 042")
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)
