"""The whole abstracts cycle in a real browser, as the people do it: the organizer opens a call; a submitter signs
in by mailed code and submits; the organizer invites a reviewer (an address with no account) and assigns; the
reviewer signs in by mailed code and reviews blind; the organizer decides from the ranked list and sends the
decision mails; the presenting author confirms; the organizer places the talk into a session; after the embargo
the abstract is public. Each step waits on what the page shows, never on time.

The public session pages don't show talks yet, so the published end is checked on the public list of accepted
abstracts (``/events/{slug}/accepted-abstracts``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from uuid import UUID

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select, update

from abstracts.decision_mail import presenting_token
from abstracts.models import Abstract, CallForAbstracts
from tests.browser.conftest import ORGANIZER_EMAIL, ORGANIZER_PASSWORD, Server, assert_accessible, log_in
from tests.podium.sign_in_mail import mailed_sign_in
from tests.registration.factories import db_session_for
from tests.sessions.factories import ProgramEvent, at, build_program_event

T = TypeVar("T")
SUBMITTER = "marie.submitter@cycle.test"
REVIEWER = "rosalind.reviewer@cycle.test"
AUTHOR, INSTITUTION = "Marie Sklodowska", "Institut du Radium"
TITLE = "Radium emanation and the \u03b1-decay of thorium"  # Greek letters survive the whole way


def run(awaitable: Awaitable[T]) -> T:
    """Run a coroutine on a thread of its own (Playwright's sync API owns this thread's event loop)."""

    async def wrapped() -> T:
        return await awaitable

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, wrapped()).result()


def wall_clock(delta: dt.timedelta) -> str:
    """Now plus ``delta`` as a ``datetime-local`` value in New York (the program event's zone)."""
    from zoneinfo import ZoneInfo

    now = dt.datetime.now(ZoneInfo("America/New_York")) + delta
    return now.replace(tzinfo=None, second=0, microsecond=0).isoformat(timespec="minutes")


def phone(browser: Browser, server: Server) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=server.base_url, viewport={"width": 390, "height": 844})
    return context, context.new_page()


def sign_in_by_code(page: Page, server: Server, email: str, next_path: str) -> None:
    """The passwordless way in: ask for a mail, read its code from the outbox, type it."""
    page.goto(f"/sign-in?next={next_path}")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_role("button", name="Mail me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
    _, code = run(mailed_sign_in(server.settings, email))
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(re.escape(next_path) + r"$"))


def open_call(page: Page, slug: str) -> None:
    page.goto(f"/organizer/events/{slug}/call-for-abstracts")
    fields = {
        "opens_at": wall_clock(dt.timedelta(days=-2)),
        "closes_at": wall_clock(dt.timedelta(days=10)),
        "embargo_until": wall_clock(dt.timedelta(days=30)),
        "reviews_per_abstract": "1",
        "submission_types[0].name": "Oral",
        "submission_types[0].body_word_limit": "250",
        "submission_types[0].title_max_chars": "200",
        "topics[0].name": "Radiochemistry",
        "rubric[0].name": "Novelty",
        "rubric[0].weight": "1",
        "rubric[0].min_score": "1",
        "rubric[0].max_score": "5",
    }
    for name, value in fields.items():
        page.locator(f'[name="{name}"]').fill(value)
    page.locator('[name="submission_types[0].key"]').select_option("oral")
    page.locator('form[action$="/call-for-abstracts"] button[type="submit"]').last.click()
    expect(page.get_by_role("status")).to_have_text("Saved.")


def submit_abstract(page: Page, server: Server, slug: str) -> UUID:
    sign_in_by_code(page, server, SUBMITTER, f"/events/{slug}/abstracts")
    page.get_by_role("radio", name=re.compile(r"^Oral")).check()
    page.get_by_role("button", name="Start a draft").click()
    page.wait_for_url(re.compile(r"/submissions/[0-9a-f-]{36}$"))
    abstract_id = UUID(page.url.rsplit("/", 1)[1])
    page.get_by_label("Topic", exact=True).select_option(label="Radiochemistry")
    page.get_by_label("Title", exact=True).fill(TITLE)
    page.get_by_label("Abstract", exact=True).fill("Radium salts over 40 days (\u03b2 and \u03b3).")
    page.locator('[name="authors[0].full_name"]').fill(AUTHOR)
    page.locator('[name="authors[0].email"]').fill(SUBMITTER)
    page.locator('[name="authors[0].institution"]').fill(INSTITUTION)
    page.locator('[name="authors[0].country"]').fill("FR")
    page.locator('input[name="presenting"][value="0"]').check()
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Submitted.")
    return abstract_id


def invite_and_assign(page: Page, slug: str) -> None:
    page.goto(f"/organizer/events/{slug}/review")
    page.get_by_label("Invite a reviewer by email").fill(REVIEWER)
    page.get_by_role("button", name="Invite reviewer").click()
    expect(page.get_by_role("status")).to_contain_text(f"{REVIEWER} is a reviewer now")
    page.get_by_role("button", name="Assign reviewers").click()
    expect(page.get_by_role("status")).to_contain_text("Assignment done: 1 new assignment")


def review_blind(page: Page, server: Server, slug: str) -> None:
    sign_in_by_code(page, server, REVIEWER, f"/review/events/{slug}")
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    body = page.locator("main").inner_text()
    assert AUTHOR not in body and INSTITUTION not in body and SUBMITTER not in body
    page.locator('input[type="number"]').first.fill("5")
    page.get_by_role("button", name="Submit review").click()
    expect(page.get_by_role("status").first).to_be_visible()


def decide_and_send(page: Page, slug: str) -> None:
    page.goto(f"/organizer/events/{slug}/review")
    page.get_by_role("checkbox", name="Select abstract 1").check()
    page.get_by_label("Decision", exact=True).select_option("accepted_oral")
    page.get_by_role("button", name="Decide and preview the mails").click()
    page.wait_for_url(re.compile(r"/abstracts/decision-mails\?ids="))
    expect(page.locator(".preview-subject")).to_contain_text("accepted as an oral presentation")
    page.locator("#send-mails").click()
    expect(page.locator("#notice")).to_have_text("1 decision mail(s) queued; 0 already sent or not decided.")


def schedule_talk(page: Page, slug: str, session_id: str, abstract_id: UUID) -> None:
    page.goto(f"/organizer/events/{slug}/review")
    page.get_by_role("link", name="Schedule accepted abstracts").click()
    page.get_by_label("Session", exact=True).select_option(session_id)
    page.get_by_role("button", name="Open this session").click()
    page.locator(f"#f-order-{abstract_id}").fill("1")
    page.locator(f"#f-minutes-{abstract_id}").fill("15")
    page.get_by_role("button", name="Place these talks").click()
    expect(page.locator("#saved")).to_be_visible()
    assert_accessible(page)


async def _embargo_passes(call_id: UUID, server: Server) -> None:
    """The clock past the call's close and its embargo (the call's rule: the embargo ends after the close)."""
    now = dt.datetime.now(dt.UTC)
    async with db_session_for(server.settings) as db_session:
        times = {"closes_at": now - dt.timedelta(minutes=2), "embargo_until": now - dt.timedelta(minutes=1)}
        await db_session.execute(update(CallForAbstracts).where(CallForAbstracts.id == call_id).values(**times))
        await db_session.commit()


async def _placed(abstract_id: UUID, server: Server) -> tuple[UUID | None, UUID]:
    async with db_session_for(server.settings) as db_session:
        abstract = await db_session.scalar(select(Abstract).where(Abstract.id == abstract_id))
        assert abstract is not None
        return abstract.session_id, abstract.call_id


def _session(server: Server, program: ProgramEvent) -> str:
    login = httpx.post(
        f"{server.base_url}/api/auth/login", json={"email": ORGANIZER_EMAIL, "password": ORGANIZER_PASSWORD}
    )
    body = {"title": "Radioactivity", "starts_at": at(1, 9), "ends_at": at(1, 10), "status": "published"}
    made = httpx.post(
        f"{server.base_url}/api/events/{program.slug}/sessions",
        json=body,
        headers={"Authorization": f"Bearer {login.json()['token']}"},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def test_an_abstract_goes_from_the_call_to_the_public_program(browser: Browser, server: Server) -> None:
    program = run(build_program_event(server.settings))
    slug = program.slug
    session_id = _session(server, program)
    organizer, organizer_page = phone(browser, server)
    submitter, submitter_page = phone(browser, server)
    reviewer, reviewer_page = phone(browser, server)
    try:
        log_in(organizer_page)
        open_call(organizer_page, slug)
        abstract_id = submit_abstract(submitter_page, server, slug)
        invite_and_assign(organizer_page, slug)
        review_blind(reviewer_page, server, slug)
        decide_and_send(organizer_page, slug)

        token = presenting_token(server.settings.secret_key, abstract_id)
        submitter_page.goto(f"/abstracts/{abstract_id}/presenting?token={token}")
        submitter_page.get_by_role("button", name="I will present it").click()
        expect(submitter_page.locator("#presenting-confirmed")).to_be_visible()

        schedule_talk(organizer_page, slug, session_id, abstract_id)
        placed_in, call_id = run(_placed(abstract_id, server))
        assert placed_in == UUID(session_id)

        public = f"/events/{slug}/accepted-abstracts"
        submitter_page.goto(public)
        expect(submitter_page.get_by_role("main")).not_to_contain_text(TITLE)
        run(_embargo_passes(call_id, server))
        submitter_page.goto(public)
        expect(submitter_page.get_by_role("main")).to_contain_text(TITLE)
        expect(submitter_page.get_by_role("main")).to_contain_text(AUTHOR)
    finally:
        for context in (organizer, submitter, reviewer):
            context.close()
