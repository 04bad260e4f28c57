"""Staff scan badges as they would at the door: with the phone camera (Chromium's fake camera playing a
video made from a real badge QR), and offline — the badge verified in the browser from the scanner bundle,
the scan queued, and uploaded once when the network returns."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.badges.factories import add_registration, build_badge_event
from tests.browser.conftest import (
    CHROMIUM_ARGS,
    ORGANIZER_EMAIL,
    ORGANIZER_PASSWORD,
    Server,
    assert_accessible,
    log_in,
)


@dataclass(frozen=True)
class Door:
    slug: str
    offline_token: str
    camera_video: Path
    organizer: dict[str, str]


def _y4m(png: bytes, path: Path) -> None:
    """A 640x480 raw video (YUV4MPEG2, what Chromium's fake camera plays) showing the QR code."""
    qr = Image.open(io.BytesIO(png)).convert("L").resize((360, 360), Image.Resampling.NEAREST)
    frame = Image.new("L", (640, 480), 255)
    frame.paste(qr, (140, 60))
    chroma = bytes([128]) * (320 * 240)
    path.write_bytes(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n" + (b"FRAME\n" + frame.tobytes() + chroma * 2) * 10)


@pytest.fixture(scope="module")
def door(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Door:
    event = asyncio.run(build_badge_event(server.settings, name="Scanner Meeting"))
    camera_person = asyncio.run(add_registration(server.settings, event, first_name="Grace", last_name="Hopper"))
    offline_person = asyncio.run(add_registration(server.settings, event, first_name="Alan", last_name="Turing"))
    login = httpx.post(
        f"{server.base_url}/api/auth/login", json={"email": ORGANIZER_EMAIL, "password": ORGANIZER_PASSWORD}
    )
    organizer = {"Authorization": f"Bearer {login.json()['token']}"}
    assert httpx.post(f"{server.base_url}/api/events/{event.slug}/checkpoints/sync", headers=organizer).is_success
    png = httpx.get(f"{server.base_url}/api/registrations/{camera_person}/badge.png", headers=organizer)
    assert png.status_code == 200, png.text
    video = tmp_path_factory.mktemp("camera") / "badge.y4m"
    _y4m(png.content, video)
    token = httpx.get(f"{server.base_url}/api/registrations/{offline_person}/badge", headers=organizer).json()["token"]
    return Door(event.slug, token, video, organizer)


def _checked_in(server: Server, door: Door) -> int:
    response = httpx.get(f"{server.base_url}/api/events/{door.slug}/checkin-dashboard", headers=door.organizer)
    return int(response.json()["checked_in"])


def _open_scanner(page: Page, door: Door) -> None:
    log_in(page)
    page.goto(f"/staff/events/{door.slug}/scanner")
    expect(page.locator("#scanner[data-ready='yes']")).to_be_attached()
    page.get_by_label("Checkpoint").select_option(label="Entrance")


def test_offline_scan_is_verified_queued_and_uploaded_once(door: Door, server: Server, page: Page) -> None:
    _open_scanner(page, door)
    assert_accessible(page)
    page.context.set_offline(True)
    page.get_by_label("Badge code or serial").fill(
        door.offline_token[:-3] + ("AAA" if door.offline_token[-3:] != "AAA" else "BBB")
    )
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_contain_text("invalid")
    page.get_by_label("Badge code or serial").fill(door.offline_token)
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_contain_text("admitted offline")
    expect(page.locator("#result")).to_contain_text("Alan Turing")
    expect(page.locator("#queue-state")).to_have_text("1 scan waiting to upload")
    expect(page.locator("#net-state")).to_contain_text("Offline")
    assert _checked_in(server, door) == 0

    page.context.set_offline(False)
    expect(page.locator("#queue-state")).to_have_text("0 scans waiting to upload", timeout=15_000)
    assert _checked_in(server, door) == 1
    page.evaluate("() => window.dispatchEvent(new Event('online'))")  # a second upload attempt changes nothing
    page.wait_for_timeout(500)
    assert _checked_in(server, door) == 1


def test_camera_scan_admits(door: Door, server: Server, browser: Browser) -> None:
    camera = browser.browser_type.launch(
        executable_path="/usr/bin/chromium",
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={door.camera_video}",
        ],
    )
    try:
        context = camera.new_context(base_url=server.base_url, permissions=["camera"])
        page = context.new_page()
        _open_scanner(page, door)
        page.get_by_role("button", name="Start camera").click()
        expect(page.locator("#result")).to_contain_text("admitted", timeout=20_000)
        expect(page.locator("#result")).to_contain_text("Grace Hopper")
        context.close()
    finally:
        camera.close()
