"""People using the program pages: an organizer imports a spreadsheet (a bad one first), sees the conflict it
brings, publishes with an explicit override, edits and cancels a session; a visitor searches the program
and opens a session. Every page passes axe-core."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, assert_accessible, log_in
from tests.sessions.factories import ProgramEvent, build_program_event

HEADER = "title,type,date,start,end,room,track,speakers,chairs,capacity,required_add_on,credit_hours,abstract,status"
BAD = f"""{HEADER}
Opening keynote,keynote,2027-03-14,08:00,09:00,Hall A,,Ada Lovelace,,,,1,The year in review.,
Lost talk,,2027-03-14,10:00,11:00,Atlantis,,,,,,,,
"""
GOOD = f"""{HEADER}
Opening keynote,keynote,2027-03-14,08:00,09:00,Hall A,Basic Science,Ada Lovelace,Marie Curie,,,1,The year in review.,
Engines of thought,symposium,2027-03-14,08:30,10:00,Hall A,Basic Science,Grace Hopper,,,,1.5,Compilers and more.,
Policy hour,symposium,2027-03-15,09:00,10:00,Room 101,Health Policy,Emmy Noether,,,,1,Funding science.,
"""


def new_program(server: Server) -> ProgramEvent:
    """An event with rooms and tracks, made beside Playwright's own event loop (hence the thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, build_program_event(server.settings)).result()


def upload(page: Page, text: str, *, override: bool = False) -> None:
    page.get_by_label("CSV file", exact=True).set_input_files(
        {"name": "program.csv", "mimeType": "text/csv", "buffer": text.encode()}
    )
    if override:
        page.get_by_label("Import even if it creates conflicts", exact=True).check()
    page.get_by_role("button", name="Import CSV").click()


def test_organizer_imports_sees_the_conflict_and_publishes_with_an_override(page: Page, server: Server) -> None:
    program = new_program(server)
    log_in(page)
    page.goto(f"/organizer/events/{program.slug}")
    page.get_by_role("link", name="Program editor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Program editor")
    assert_accessible(page)

    upload(page, BAD)
    report = page.get_by_role("alert")
    expect(report).to_contain_text("1 problem(s) in the file; nothing was imported")
    expect(report.get_by_role("row").nth(1)).to_contain_text("3")
    expect(report.get_by_role("row").nth(1)).to_contain_text("room")
    expect(report.get_by_role("row").nth(1)).to_contain_text("unknown room 'Atlantis'")
    expect(page.locator("main")).to_contain_text("0 sessions, 0 drafts")
    assert_accessible(page)

    upload(page, GOOD)
    expect(page.get_by_role("alert")).to_contain_text("lines 2, 3: Hall A is double-booked")
    upload(page, GOOD, override=True)
    expect(page.get_by_role("status")).to_contain_text("Imported: 3 new, 0 updated, 0 unchanged (4 new speakers).")
    expect(page.get_by_role("heading", name="Conflicts (1)")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Publish all drafts (3)").click()
    expect(page.get_by_role("alert")).to_contain_text("Publishing the drafts refused: it would leave 1 conflict")
    expect(page.get_by_role("alert")).not_to_contain_text("override_conflicts")
    page.get_by_label("Publish even if there are conflicts", exact=True).check()
    page.get_by_role("button", name="Publish all drafts (3)").click()
    expect(page.get_by_role("status")).to_have_text("Published 3 sessions.")
    expect(page.locator("td .badge.published")).to_have_count(3)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert exported.splitlines()[0].startswith("id,title,type,date,start,end,room")
    assert ",Engines of thought,symposium,2027-03-14,08:30,10:00,Hall A," in exported

    page.get_by_role("link", name="Engines of thought").click()
    page.get_by_label("Starts", exact=True).fill("09:00")
    page.get_by_label("Ends", exact=True).fill("10:30")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.locator("main")).to_contain_text("Sequence 1")
    assert_accessible(page)
    page.get_by_role("button", name="Cancel session").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("cancelled")
    page.get_by_role("link", name="← Program editor").click()
    expect(page.get_by_role("heading", name="Conflicts (0)")).to_be_visible()


def test_a_session_form_error_is_shown_at_its_field(page: Page, server: Server) -> None:
    program = new_program(server)
    log_in(page)
    page.goto(f"/organizer/events/{program.slug}/program/new")
    page.get_by_label("Title", exact=True).fill("Backwards talk")
    page.get_by_label("Day", exact=True).fill("2027-03-14")
    page.get_by_label("Starts", exact=True).fill("11:00")
    page.get_by_label("Ends", exact=True).fill("10:00")

    page.get_by_role("button", name="Create session").click()

    expect(page.locator("#e-end")).to_have_text("A session must end after it starts.")
    expect(page.get_by_label("Title", exact=True)).to_have_value("Backwards talk")
    assert_accessible(page)


def test_a_visitor_searches_the_program_and_opens_a_session(page: Page, server: Server) -> None:
    program = new_program(server)
    log_in(page)
    page.goto(f"/organizer/events/{program.slug}/program")
    upload(page, GOOD.replace("Hall A,Basic Science,Grace", "Room 101,Basic Science,Grace"))
    page.get_by_role("button", name="Publish all drafts (3)").click()
    expect(page.get_by_role("status")).to_have_text("Published 3 sessions.")
    browser = page.context.browser
    assert browser is not None  # the page is from a launched browser, not a persistent context
    visitor = browser.new_context(base_url=server.base_url).new_page()

    visitor.goto(f"/events/{program.slug}")
    visitor.get_by_role("link", name="Program").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Program")
    assert_accessible(visitor)
    visitor.get_by_role("link", name="Sun March 14").click()
    expect(visitor.locator(".sessions .card")).to_have_count(2)
    visitor.get_by_label("Search titles, abstracts and speakers", exact=True).fill("noether")
    visitor.get_by_role("button", name="Show sessions").click()
    expect(visitor.get_by_role("status")).to_contain_text("1 session matching")
    assert_accessible(visitor)
    visitor.get_by_role("link", name="Policy hour").click()

    expect(visitor).to_have_url(re.compile(rf"/events/{program.slug}/sessions/[0-9a-f-]+$"))
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Policy hour")
    expect(visitor.locator("main")).to_contain_text("Emmy Noether")
    expect(visitor.locator("main")).to_contain_text("Monday March 15, 2027, 09:00")
    assert_accessible(visitor)
    visitor.context.close()


def test_organizer_edits_a_speaker_and_the_program_shows_it_without_the_email(page: Page, server: Server) -> None:
    program = new_program(server)
    log_in(page)
    page.goto(f"/organizer/events/{program.slug}/program")
    upload(page, GOOD.replace("Hall A,Basic Science,Grace", "Room 101,Basic Science,Grace"))
    page.get_by_role("button", name="Publish all drafts (3)").click()
    page.get_by_role("link", name="Speakers").click()
    assert_accessible(page)
    page.get_by_role("link", name="Ada Lovelace").click()

    page.get_by_label("Email", exact=True).fill("not-an-email")
    page.get_by_role("button", name="Save speaker").click()
    expect(page.get_by_label("Email", exact=True)).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.get_by_label("Affiliation", exact=True).fill("Analytical Engine Society")
    page.get_by_label("Email", exact=True).fill("ada@private.example")
    page.get_by_role("button", name="Save speaker").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")

    page.goto(f"/events/{program.slug}/program?day=2027-03-14")
    page.get_by_role("link", name="Opening keynote").click()
    expect(page.locator("main")).to_contain_text("Ada Lovelace, Analytical Engine Society")
    assert "private.example" not in page.content()


def test_a_visitor_abroad_sees_the_day_at_a_glance_with_their_own_time_beside_the_event_s(
    page: Page, server: Server
) -> None:
    program = new_program(server)
    log_in(page)
    page.goto(f"/organizer/events/{program.slug}/program")
    upload(page, GOOD.replace("Hall A,Basic Science,Grace", "Room 101,Basic Science,Grace"))
    page.get_by_role("button", name="Publish all drafts (3)").click()
    expect(page.get_by_role("status")).to_have_text("Published 3 sessions.")
    browser = page.context.browser
    assert browser is not None
    abroad = browser.new_context(base_url=server.base_url, timezone_id="Europe/Paris").new_page()
    at_home = browser.new_context(base_url=server.base_url, timezone_id="America/New_York").new_page()

    abroad.goto(f"/events/{program.slug}/program?day=2027-03-14")
    # The script stores the browser's zone (podium_tz); the pages opened after it show the reader's clock.
    abroad.wait_for_function("document.cookie.includes('podium_tz=Europe/Paris')")
    abroad.reload()
    expect(abroad.locator(".card .your-time").first).to_have_text("(13:00\u201314:00 your time, Europe/Paris)")
    assert {(c["name"], c["value"]) for c in abroad.context.cookies()} >= {("podium_tz", "Europe/Paris")}
    abroad.get_by_role("link", name="At a glance: rooms by time").click()
    grid = abroad.get_by_role("region", name="Sunday March 14: sessions by room and start time")
    expect(grid.get_by_role("columnheader")).to_have_text(["Starts", "Hall A", "Room 101"])
    expect(grid.get_by_role("row").nth(1)).to_contain_text("08:00")
    expect(grid.get_by_role("row").nth(1)).to_contain_text("Opening keynote")
    expect(grid.get_by_role("row").nth(2)).to_contain_text("Engines of thought")
    # 08:00 in New York on the day clocks went forward (EDT, UTC-4) is 13:00 in Paris (still CET, UTC+1).
    expect(grid.get_by_role("row").nth(1).get_by_role("rowheader")).to_have_text(
        "08:00 (13:00 your time, Europe/Paris)"
    )
    assert_accessible(abroad)
    abroad.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(abroad)
    grid.focus()  # a keyboard user scrolls the wide grid on a phone
    for _ in range(6):
        abroad.keyboard.press("ArrowRight")
    abroad.wait_for_function("el => el.scrollLeft > 0", arg=grid.element_handle())
    grid.get_by_role("link", name="Opening keynote").click()
    expect(abroad.get_by_role("heading", level=1)).to_have_text("Opening keynote")
    expect(abroad.locator(".meta")).to_contain_text(
        "Sunday March 14, 2027, 08:00\u201309:00 (America/New York) (13:00\u201314:00 your time, Europe/Paris)"
    )
    assert_accessible(abroad)

    at_home.goto(f"/events/{program.slug}/program?day=2027-03-14&view=grid")
    at_home.wait_for_function("document.cookie.includes('podium_tz=America/New_York')")
    at_home.reload()
    expect(at_home.locator("#zone-note")).to_have_attribute("data-reader-zone", "America/New_York")
    expect(at_home.get_by_role("columnheader")).to_have_count(3)
    expect(at_home.locator(".your-time")).to_have_count(0)
    expect(at_home.locator("#zone-note")).to_have_text("Times in America/New York.")
    abroad.context.close()
    at_home.context.close()
