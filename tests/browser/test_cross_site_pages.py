"""In Chromium, under the pages' CSP: a page on another port of the same host cannot use a logged-in organizer's
cookie to create an account (the reported attack), the site's own scripts still can, and Swagger UI renders."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from podium.auth.models import User
from tests.browser.conftest import Server, log_in
from tests.registration.factories import db_session_for

ATTACKER_EMAIL = "mallory@attacker.test"
PASSWORD = "a-long-enough-password"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}  # an OpenAPI path item's keys


def users_with(server: Server, email: str) -> int:
    async def count() -> int:
        async with db_session_for(server.settings) as db_session:
            return (await db_session.scalar(select(func.count()).select_from(User).where(User.email == email))) or 0

    with ThreadPoolExecutor(max_workers=1) as pool:  # Playwright's loop runs in this thread
        return pool.submit(asyncio.run, count()).result()


def attack_form(target: str) -> bytes:
    """A text/plain form whose body is valid JSON: the '=' the encoding adds lands inside display_name."""
    name = f'{{"email":"{ATTACKER_EMAIL}","role":"organizer","display_name":"M'
    value = f'","password":"{PASSWORD}"}}'
    return f"""<!doctype html><html lang="en"><title>Win a prize</title>
<form method="post" action="{target}/api/users" enctype="text/plain">
<input type="hidden" name="{escape(name)}" value="{escape(value)}"><button>Claim</button></form></html>""".encode()


@pytest.fixture
def attacker(server: Server) -> Iterator[str]:
    """Another port of the same host (the same site, another origin) serving the attack page."""
    page = attack_form(server.base_url)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    thread.join()
    httpd.server_close()


def test_form_on_another_port_cannot_create_an_account(page: Page, server: Server, attacker: str) -> None:
    log_in(page)
    expect(page).to_have_url(f"{server.base_url}/organizer")
    page.goto(attacker)

    with page.expect_response(f"{server.base_url}/api/users") as answer:
        page.get_by_role("button", name="Claim").click()

    assert answer.value.status == 403
    assert answer.value.json()["code"] == "csrf_failed"
    assert users_with(server, ATTACKER_EMAIL) == 0


def test_own_script_with_the_cookie_still_works(page: Page, server: Server) -> None:
    log_in(page)
    expect(page).to_have_url(f"{server.base_url}/organizer")
    email = "colleague@podium.test"

    status = page.evaluate(
        """async (body) => (await fetch("/api/users", {
            method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)
        })).status""",
        {"email": email, "display_name": "Colleague", "password": PASSWORD, "role": "staff"},
    )

    assert status == 201
    assert users_with(server, email) == 1


def test_swagger_ui_renders_under_the_csp(page: Page, server: Server) -> None:
    """Every operation of the spec is in the page, under each of its tags, however long the spec grows (Swagger UI
    5.33+ would keep only the rows near the viewport once tags + operations reach 150; ours did at 131 operations),
    and the page, its icon included, loads nothing from another origin."""
    spec = page.request.get("/schema/openapi.json").json()
    operations = [
        (method.upper(), path, operation.get("tags") or ["default"])
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]
    rows = sum(len(tags) for _, _, tags in operations)
    elsewhere: list[str] = []
    ours = (f"{server.base_url}/", "data:")
    page.on("request", lambda request: None if request.url.startswith(ours) else elsewhere.append(request.url))

    page.goto("/schema")

    expect(page.get_by_role("heading", name="Podium API")).to_be_visible()
    expect(page.locator(".opblock")).to_have_count(rows)
    listed = page.locator(".opblock-summary").evaluate_all(
        """summaries => summaries.map(summary => [
            summary.querySelector(".opblock-summary-method").textContent,
            summary.querySelector(".opblock-summary-path").dataset.path,
        ])"""
    )
    assert {tuple(row) for row in listed} == {(method, path) for method, path, _ in operations}
    # Chromium fetches the icon out of Playwright's sight: the page's links show where it comes from.
    expect(page.locator("link[rel~='icon']").first).to_be_attached()
    linked = page.locator("link[href], script[src], img[src]").evaluate_all("tags => tags.map(t => t.href || t.src)")
    elsewhere += [url for url in linked if not url.startswith(ours)]
    assert elsewhere == [], "Swagger UI loaded from elsewhere: " + ", ".join(elsewhere)
