"""Signing in by email in a real browser: from the login page to the mail, the link, its button and back to the
page the person started from, signed in; by keyboard alone, on a phone-sized screen."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import Browser, expect

from tests.browser.conftest import Server, assert_accessible
from tests.podium.sign_in_mail import mailed_sign_in

EMAIL = "submitter@podium.test"


def read_mail(server: Server, email: str) -> tuple[str, str]:
    """The link token and code mailed to ``email``, read from the outbox on a thread of its own (Playwright's
    event loop runs in the test's)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, mailed_sign_in(server.settings, email)).result()


def test_a_person_signs_in_with_the_mailed_link(browser: Browser, server: Server) -> None:
    context = browser.new_context(base_url=server.base_url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto("/login?next=/%3Fpage%3D1")
        page.get_by_role("link", name="Sign in by email").click()
        expect(page).to_have_title(re.compile(r"^Sign in by email"))
        assert_accessible(page)
        page.get_by_label("Email", exact=True).focus()
        page.keyboard.type(EMAIL)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
        assert_accessible(page)

        token, _ = read_mail(server, EMAIL)
        page.goto(f"/sign-in/{token}")
        expect(page.get_by_text(EMAIL)).to_be_visible()
        page.get_by_role("button", name="Sign in", exact=True).focus()
        page.keyboard.press("Enter")

        page.wait_for_url(re.compile(r"/\?page=1$"))
        expect(page.get_by_role("button", name=re.compile(r"^Log out \(submitter\)"))).to_be_visible()
        expect(page.get_by_role("link", name="Scanner")).to_have_count(0)
    finally:
        context.close()


def test_a_wrong_code_is_told_next_to_its_field(browser: Browser, server: Server) -> None:
    context = browser.new_context(base_url=server.base_url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto("/sign-in")
        page.get_by_label("Email", exact=True).fill("coder@podium.test")
        page.get_by_role("button", name="Mail me a sign-in link").click()
        expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
        _, code = read_mail(server, "coder@podium.test")
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        page.get_by_label("Code", exact=True).fill(wrong)
        page.get_by_role("button", name="Sign in", exact=True).click()

        field = page.get_by_label("Code", exact=True)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#e-code")).to_contain_text("This code is wrong")

        page.get_by_label("Code", exact=True).fill(code)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("button", name=re.compile(r"^Log out \(coder\)"))).to_be_visible()
    finally:
        context.close()
