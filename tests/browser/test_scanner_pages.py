"""Staff scan badges as they would at the door: with the phone camera (Chromium's fake camera playing a
video made from a real badge QR), and offline — the badge verified in the browser from the scanner bundle,
the scan queued, and uploaded once when the network returns; the page opens offline after one visit (reload
and browser restart), installs as an app, and is used with the keyboard alone."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from podium.locale_choice import COOKIE
from tests.badges.factories import add_registration, build_badge_event
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ORGANIZER_EMAIL,
    ORGANIZER_PASSWORD,
    Server,
    assert_accessible,
    assert_focus_visible,
    log_in,
)


@dataclass(frozen=True)
class Door:
    slug: str
    offline_token: str
    camera_video: Path
    organizer: dict[str, str]
    restart_token: str
    typed_serial: str


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
    restart_person = asyncio.run(add_registration(server.settings, event, first_name="Katherine", last_name="Johnson"))
    restart = httpx.get(f"{server.base_url}/api/registrations/{restart_person}/badge", headers=organizer).json()
    typed_person = asyncio.run(add_registration(server.settings, event, first_name="Dorothy", last_name="Vaughan"))
    typed = httpx.get(f"{server.base_url}/api/registrations/{typed_person}/badge", headers=organizer).json()
    return Door(event.slug, token, video, organizer, restart["token"], typed["serial"])


def _checked_in(server: Server, door: Door) -> int:
    response = httpx.get(f"{server.base_url}/api/events/{door.slug}/checkin-dashboard", headers=door.organizer)
    return int(response.json()["checked_in"])


def _open_scanner(page: Page, door: Door) -> None:
    log_in(page)
    page.goto(f"/staff/events/{door.slug}/scanner")
    expect(page.locator("#scanner[data-ready='yes']")).to_be_attached()
    page.get_by_label("Checkpoint").select_option(label="Entrance")


def _scan(page: Page, code: str) -> None:
    page.get_by_label("Badge code or serial").fill(code)
    page.keyboard.press("Enter")


def test_offline_scan_is_verified_queued_and_uploaded_once(door: Door, server: Server, page: Page) -> None:
    _open_scanner(page, door)
    assert_accessible(page)
    page.context.set_offline(True)
    page.get_by_label("Badge code or serial").fill(
        door.offline_token[:-3] + ("AAA" if door.offline_token[-3:] != "AAA" else "BBB")
    )
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_contain_text("invalid")
    page.get_by_label("Checkpoint").select_option(label="Grant Writing Workshop")
    _scan(page, door.offline_token)
    expect(page.locator("#result")).to_contain_text("no access")  # Alan bought no workshop: refused, not queued
    expect(page.locator("#queue-state")).to_have_text("0 scans waiting to upload")
    page.get_by_label("Checkpoint").select_option(label="Entrance")
    _scan(page, door.offline_token)
    expect(page.locator("#result")).to_contain_text("admitted offline")
    expect(page.locator("#result")).to_contain_text("Alan Turing · Member")  # the category's name, not its code
    expect(page.locator("#queue-state")).to_have_text("1 scan waiting to upload")
    expect(page.locator("#net-state")).to_contain_text("Offline")
    assert _checked_in(server, door) == 0

    page.context.set_offline(False)
    expect(page.locator("#queue-state")).to_have_text("0 scans waiting to upload", timeout=15_000)
    assert _checked_in(server, door) == 1
    page.evaluate("() => window.dispatchEvent(new Event('online'))")  # a second upload attempt finds nothing queued
    expect(page.locator("#queue-state")).to_have_text("0 scans waiting to upload")
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


def _persistent(browser: Browser, server: Server, profile: Path, *, offline: bool = False) -> BrowserContext:
    """A browser with a profile on disk: closing it and launching again with the same profile is a restart."""
    return browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        base_url=server.base_url,
        offline=offline,
    )


def test_scanner_opens_offline_after_one_visit_reload_and_restart(
    door: Door, server: Server, browser: Browser, tmp_path: Path
) -> None:
    profile = tmp_path / "profile"
    context = _persistent(browser, server, profile)
    page = context.pages[0]
    _open_scanner(page, door)
    expect(page.locator("#scanner[data-offline-ready='yes']")).to_be_attached(timeout=15_000)
    before = _checked_in(server, door)

    context.set_offline(True)
    page.reload()
    expect(page.locator("#scanner[data-ready='yes']")).to_be_attached()
    expect(page.locator("#net-state")).to_contain_text("Offline")
    _scan(page, door.restart_token)
    expect(page.locator("#result")).to_contain_text("admitted offline")
    expect(page.locator("#result")).to_contain_text("Katherine Johnson")
    expect(page.locator("#queue-state")).to_have_text("1 scan waiting to upload")
    # The staff member leaves the page, then the browser closes. Leaving first stops the page's upload timer:
    # under load a queued upload sometimes reached the server while the context closed (its offline emulation
    # no longer held), and once it was even answered and the queue emptied. A phone that is offline sends nothing.
    page.goto("about:blank")
    context.close()

    context = _persistent(browser, server, profile, offline=True)  # the browser restarts, still offline
    page = context.pages[0]
    page.goto(f"/staff/events/{door.slug}/scanner")
    expect(page.locator("#scanner[data-ready='yes']")).to_be_attached()
    expect(page.get_by_label("Checkpoint").locator("option:checked")).to_have_text("Entrance")
    expect(page.locator("#queue-state")).to_have_text("1 scan waiting to upload")
    _scan(page, door.restart_token)
    expect(page.locator("#result")).to_contain_text("already admitted offline")  # what this device admitted
    expect(page.locator("#queue-state")).to_have_text("2 scans waiting to upload")

    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.locator("#queue-state")).to_have_text("0 scans waiting to upload", timeout=15_000)
    # Katherine is inside once: her two scans were queued by one device, and its sequence numbers make any
    # repeated upload a no-op.
    assert _checked_in(server, door) == before + 1
    context.close()


def test_scanner_installs_as_an_app(door: Door, server: Server, browser: Browser, tmp_path: Path) -> None:
    context = _persistent(browser, server, tmp_path / "profile")
    page = context.pages[0]
    _open_scanner(page, door)
    expect(page.locator("#scanner[data-offline-ready='yes']")).to_be_attached(timeout=15_000)
    devtools = context.new_cdp_session(page)

    manifest = devtools.send("Page.getAppManifest")
    installability = devtools.send("Page.getInstallabilityErrors")["installabilityErrors"]
    icon = httpx.get(f"{server.base_url}/static/icons/scanner-512.png")

    assert manifest["errors"] == []
    assert manifest["url"].endswith(f"/staff/events/{door.slug}/scanner.webmanifest")
    assert installability == []
    assert (icon.status_code, Image.open(io.BytesIO(icon.content)).size) == (200, (512, 512))
    context.close()


def test_each_device_starts_at_the_entrance_and_keeps_its_checkpoint(door: Door, browser: Browser, page: Page) -> None:
    log_in(page)
    page.goto(f"/staff/events/{door.slug}/scanner")
    expect(page.locator("#scanner[data-ready='yes']")).to_be_attached()
    checkpoint = page.get_by_label("Checkpoint")
    expect(checkpoint.locator("option:checked")).to_have_text("Entrance")

    checkpoint.select_option(label="Grant Writing Workshop")
    page.reload()

    expect(page.locator("#scanner[data-ready='yes']")).to_be_attached()
    expect(checkpoint.locator("option:checked")).to_have_text("Grant Writing Workshop")


def test_scanner_with_the_keyboard_alone(door: Door, page: Page) -> None:
    log_in(page)
    page.goto(f"/staff/events/{door.slug}/scanner")
    expect(page.locator("#scanner[data-ready='yes']")).to_be_attached()
    code = page.get_by_label("Badge code or serial")
    expect(code).to_be_focused()  # ready for a handheld scanner at once
    assert_focus_visible(page)
    assert_accessible(page)

    page.keyboard.press("Shift+Tab")
    expect(page.get_by_label("Direction")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_label("Checkpoint")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(code).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type(door.typed_serial.lower())
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_contain_text("admitted")
    expect(page.locator("#result")).to_contain_text("Dorothy Vaughan")
    expect(code).to_be_focused()
    assert_focus_visible(page)

    page.keyboard.press("Tab")  # Check in
    page.keyboard.press("Tab")  # Start camera
    page.keyboard.press("Tab")
    expect(page.get_by_role("textbox", name="Name or email")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type("Vaughan")
    page.keyboard.press("Enter")
    found = page.get_by_role("button", name="Check in Dorothy Vaughan")
    expect(found).to_be_visible()
    page.keyboard.press("Tab")  # Find
    page.keyboard.press("Tab")
    expect(found).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_contain_text("already admitted")

    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)


def test_camera_queues_a_badge_held_up_once_offline(door: Door, server: Server, browser: Browser) -> None:
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
        context.set_offline(True)
        page.get_by_role("button", name="Start camera").click()
        expect(page.locator("#result")).to_contain_text("admitted offline", timeout=20_000)

        # Held up for longer than the old 4-second repeat: still one scan.
        page.wait_for_function("() => window.podiumScanner.heldMs() > 6000", timeout=20_000)

        expect(page.locator("#queue-state")).to_have_text("1 scan waiting to upload")
        assert page.locator("#scanner").get_attribute("data-answers") == "1"
        context.close()
    finally:
        camera.close()


def test_scanner_answers_in_the_pages_language(door: Door, server: Server, page: Page) -> None:
    """The script's own texts (the network state, a scan's answer, the queue, a lookup) come from the page in
    the language it was served in, online and offline."""
    log_in(page)
    page.context.add_cookies([{"name": COOKIE, "value": "es", "url": server.base_url}])
    page.goto(f"/staff/events/{door.slug}/scanner")
    expect(page.locator("#scanner[data-ready='yes']")).to_be_attached()
    page.get_by_label("Punto de control").select_option(label="Entrance")
    tampered = door.offline_token[:-3] + ("AAA" if door.offline_token[-3:] != "AAA" else "BBB")

    expect(page.locator("#net-state")).to_have_text("En línea")
    expect(page.locator("#queue-state")).to_have_text("0 escaneos pendientes de subir")
    page.get_by_label("Código o número de serie de la acreditación").fill(tampered)
    page.keyboard.press("Enter")
    expect(page.locator("#result .scan-headline")).to_have_text("no válido")
    page.context.set_offline(True)
    page.get_by_label("Código o número de serie de la acreditación").fill(tampered)
    page.keyboard.press("Enter")
    expect(page.locator("#result .scan-detail")).to_have_text("Código desconocido o alterado")
    expect(page.locator("#net-state")).to_have_text(
        "Sin conexión: los escaneos se comprueban en este dispositivo y se guardan"
    )
    page.context.set_offline(False)
    page.get_by_role("textbox", name="Nombre o correo electrónico").fill("zzz-nobody")
    page.keyboard.press("Enter")
    expect(page.locator("#lookup-results")).to_have_text("No se encontró a nadie.")
    assert "invalid" not in (page.locator("#result").text_content() or "")
