"""The browser harness: a real server (uvicorn, subprocess) on a migrated database, Debian's Chromium
driven by Playwright, and an axe-core check any page test can call. Later pages reuse all of it."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from podium.auth import services as auth_services
from podium.auth.schemas import UserCreate
from podium.db import create_engine, session_maker
from podium.settings import Settings
from tests.servers import PODIUM_STOP_SECONDS, stop_server, wait_for

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ORGANIZER_EMAIL = "browser-organizer@podium.test"
ORGANIZER_PASSWORD = "browser-organizer-password"

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Server:
    base_url: str
    settings: Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _create_organizer(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db_session:
            data = UserCreate(
                email=ORGANIZER_EMAIL, display_name="Olivia Organizer", password=ORGANIZER_PASSWORD, role="organizer"
            )
            await auth_services.create_user(db_session, data)
            await db_session.commit()
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Podium served by uvicorn on a free local port, against this module's migrated database."""
    if not CHROMIUM.exists():
        pytest.skip("Debian package chromium not installed (/usr/bin/chromium)")
    asyncio.run(_create_organizer(settings))
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "PODIUM_DATA_DIR": str(tmp_path_factory.mktemp("server-data")),
        "PODIUM_SECRET_KEY": settings.secret_key,
        "PODIUM_ENV": "test",
    }
    log = (tmp_path_factory.mktemp("server-log") / "uvicorn.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "podium.main.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base_url}/health", process, Path(log.name))
        yield Server(base_url=base_url, settings=settings)
    finally:
        try:
            stop_server(process, within=PODIUM_STOP_SECONDS)
        finally:
            log.close()


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    """A fresh visitor: its own context (cookies), the server as base URL. Whatever the pages' Content-Security-
    Policy blocked (an inline script or style, a foreign origin) fails the test: the pages must work under it."""
    context = browser.new_context(base_url=server.base_url)
    page = context.new_page()
    blocked: list[str] = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    yield page
    context.close()
    assert blocked == [], "the CSP blocked: " + "; ".join(blocked)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failing browser test leaves a screenshot of every page it had open (under pytest's base temp), and
    its report names the files: what the person would have seen is the first thing to look at."""
    # The config's _tmp_path_factory (what tmp_path_factory reads) is private to pytest, so not in its types.
    report = yield
    browser = getattr(item, "funcargs", {}).get("browser")
    if call.when == "call" and report.failed and isinstance(browser, Browser):
        folder = item.config._tmp_path_factory.getbasetemp() / "screenshots"  # type: ignore[attr-defined]
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for c, context in enumerate(browser.contexts):
            for p, open_page in enumerate(context.pages):
                path = folder / f"{item.name[:80]}-{c}-{p}.png"
                try:
                    open_page.screenshot(path=str(path), full_page=True)
                except Exception as exc:  # a closed or crashed page must not hide the failure
                    saved.append(f"{path.name}: not taken ({exc})")
                    continue
                saved.append(str(path))
        report.sections.append(("screenshots", "\n".join(saved) or "no page was open"))
    return report


def log_in(
    page: Page, email: str = ORGANIZER_EMAIL, password: str = ORGANIZER_PASSWORD, *, succeeds: bool = True
) -> None:
    """Log in through the login page, and (unless it should fail) wait until the page says who is logged in:
    the click returns before the login's answer has arrived, and a test that goes on to another page at once
    would cancel it (about one run in eight under load)."""
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    if succeeds:
        expect(page.get_by_role("button", name=re.compile(r"^Log out"))).to_be_visible()


def assert_accessible(page: Page) -> None:
    """No serious or critical axe-core violations on the page as it is now."""
    if not AXE.exists():
        pytest.skip("npm package axe-core not installed (run npm ci)")
    page.evaluate(AXE.read_text())  # evaluated by the test driver: no <script> tag for the pages' CSP to refuse
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert serious == [], f"axe-core on {page.url}: " + "; ".join(serious)


def assert_focus_visible(page: Page) -> None:
    """The focused element shows a focus ring (an outline), so a keyboard user can see where they are."""
    visible = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0; }"""
    )
    assert visible, f"no visible focus on {page.evaluate('document.activeElement.outerHTML.slice(0, 120)')}"
