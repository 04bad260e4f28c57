"""An organizer finds a job that failed on every try on /organizer/jobs and queues it again from the keyboard."""

from __future__ import annotations

import asyncio
import dataclasses
import re

import pytest
from playwright.sync_api import Page, expect

from podium.jobs.runtime import create_job_app, defer_job, run_due_jobs
from podium.main.unit_of_work import session_maker
from tests.browser.conftest import Server, assert_accessible, log_in
from tests.podium.job_fixtures import ALWAYS_FAILS


async def _failed_job(server: Server) -> int:
    settings = dataclasses.replace(server.settings, job_retries=0)
    app = create_job_app(settings, periodic=False, pool_size=1)
    async with app.open_async():
        job_id = await defer_job(app, ALWAYS_FAILS, reason="mail server down")
    await run_due_jobs(settings, session_maker)
    assert job_id is not None
    return job_id


@pytest.fixture(scope="module")
def failed_job(server: Server) -> int:
    return asyncio.run(_failed_job(server))


def test_a_failed_job_is_listed_and_retried_with_the_keyboard(page: Page, failed_job: int) -> None:
    log_in(page)
    page.goto("/organizer/jobs")
    row = page.locator("#jobs tr", has_text=ALWAYS_FAILS)
    expect(row).to_contain_text("reason=mail server down")
    assert_accessible(page)

    retry = page.get_by_role("button", name=f"Retry job {failed_job}")
    retry.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text(f"Job {failed_job} ({ALWAYS_FAILS}) is queued again.")
    assert_accessible(page)


def test_staff_and_visitors_cannot_open_it(page: Page, server: Server) -> None:
    page.goto("/organizer/jobs")
    expect(page).to_have_url(re.compile(r"/login"))
