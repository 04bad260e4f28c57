"""Badges as people get them: the attendee's PDF read back by a real QR reader (poppler renders it, zbar
decodes it) and checked in; QR images; batch printing by API and CLI; the certificate of attendance."""

from __future__ import annotations

import datetime as dt
import functools
import html
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import anyio
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from badges import tokens
from badges.models import Badge
from badges.pdf import BadgeCard
from badges.printing import mark_printed, prepare_batch
from badges.schemas import PrintFilter
from badges.services import reissue
from events.models import Event
from podium.errors import Conflict
from podium.settings import Settings
from registration.links.tokens import order_secret, registration_secret
from registration.models import Order, Registration
from tests.badges.conftest import Client, badge_token, checkpoints_of, post_scans, scan
from tests.badges.factories import BadgeEvent, add_registration
from tests.pdf_reading import pdf_text, tool
from tests.registration.factories import db_session_for


async def read_qr_codes(pdf: bytes, workdir: Path, *, page: int = 1) -> list[str]:
    """Rasterize one page at 150 dpi (a phone camera sees less) and decode every QR code on it."""
    pdftoppm, zbarimg = tool("pdftoppm", "poppler-utils"), tool("zbarimg", "zbar-tools")
    source = workdir / "badge.pdf"
    await anyio.Path(source).write_bytes(pdf)
    await anyio.run_process(
        [
            pdftoppm,
            "-r",
            "150",
            "-f",
            str(page),
            "-l",
            str(page),
            "-png",
            "-singlefile",
            str(source),
            str(workdir / "p"),
        ]
    )
    image = workdir / "p.png"
    result = await anyio.run_process(
        [zbarimg, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)], check=False
    )
    # Each code on its own line; a token may begin or end with a space, so only the newline is stripped.
    return [line for line in result.stdout.decode().split("\n") if line]


async def _secrets(settings: Settings, registration_id: object) -> tuple[str, str]:
    async with db_session_for(settings) as db_session:
        registration = await db_session.get_one(Registration, registration_id)
        order = await db_session.get_one(Order, registration.order_id)
        return (
            registration_secret(settings.secret_key, registration.id, registration.secret_version),
            order_secret(settings.secret_key, order.id, order.secret_version),
        )


@pytest.mark.parametrize("layout", ["4x3", "a6"])
async def test_the_qr_read_from_the_attendees_badge_pdf_verifies_and_checks_in(
    layout: str,
    settings: Settings,
    client: Client,
    staff: dict[str, str],
    organizer: dict[str, str],
    badge_event: BadgeEvent,
    tmp_path: Path,
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    registration = await add_registration(settings, badge_event, first_name="Łukasz", last_name="Żółć")
    own_secret, _ = await _secrets(settings, registration)

    pdf = await client.get(
        f"/api/registrations/{registration}/badge.pdf", params={"secret": own_secret, "layout": layout}
    )
    [read] = await read_qr_codes(pdf.content, tmp_path)
    bundle = (await client.get(f"/api/events/{badge_event.slug}/scanner-bundle", headers=staff)).json()
    claims = tokens.verify(read, tokens.public_key_from_bytes(tokens.b64url_decode(bundle["key"]["public_key"])))
    results = await post_scans(client, staff, scan(read, points["entrance"]))

    assert pdf.headers["content-type"] == "application/pdf"
    assert claims.kid_hex == bundle["key"]["kid"]
    assert [b["serial"] for b in bundle["badges"]] == [claims.serial_text]
    assert results[0]["reason"] == "admitted"
    assert results[0]["attendee"]["name"] == "Łukasz Żółć"


async def test_the_badge_opens_with_the_order_secret_or_for_staff_and_nobody_else(
    settings: Settings, client: Client, staff: dict[str, str], badge_event: BadgeEvent
) -> None:
    registration = await add_registration(settings, badge_event)
    other = await add_registration(settings, badge_event, first_name="Grace")
    _, order_link = await _secrets(settings, registration)
    other_secret, _ = await _secrets(settings, other)
    unpaid = await add_registration(settings, badge_event, status="held", order_status="pending")

    by_order = await client.get(f"/api/registrations/{registration}/badge", params={"secret": order_link})
    by_staff = await client.get(f"/api/registrations/{registration}/badge", headers=staff)
    wrong = await client.get(f"/api/registrations/{registration}/badge.pdf", params={"secret": other_secret})
    anonymous = await client.get(f"/api/registrations/{registration}/badge.pdf")
    not_yet = await client.get(f"/api/registrations/{unpaid}/badge", headers=staff)

    assert by_order.json()["token"] == by_staff.json()["token"]
    assert [wrong.status_code, anonymous.status_code] == [404, 404]
    assert (not_yet.status_code, not_yet.json()["code"]) == (409, "no_badge")


async def test_qr_png_decodes_and_svg_is_well_formed(
    settings: Settings, client: Client, staff: dict[str, str], badge_event: BadgeEvent, tmp_path: Path
) -> None:
    registration = await add_registration(settings, badge_event)
    token = await badge_token(client, staff, registration)

    png = await client.get(f"/api/registrations/{registration}/badge.png", headers=staff)
    svg = await client.get(f"/api/registrations/{registration}/badge.svg", headers=staff)
    image = tmp_path / "qr.png"
    await anyio.Path(image).write_bytes(png.content)
    zbarimg = tool("zbarimg", "zbar-tools")
    decoded = (await anyio.run_process([zbarimg, "--quiet", "--raw", str(image)])).stdout.decode()

    assert png.headers["content-type"] == "image/png"
    assert decoded.rstrip("\n") == token
    root = ET.fromstring(svg.text)  # noqa: S314 (our own output)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.attrib["viewBox"] == "0 0 45 45"  # version 5 (37 modules) plus the quiet zone


async def test_batch_print_takes_the_filter_sorts_by_surname_and_marks_printed(
    settings: Settings, client: Client, organizer: dict[str, str], badge_event: BadgeEvent, tmp_path: Path
) -> None:
    for given, last, category in (
        ("Zed", "Zimmer", "member"),
        ("Al", "Adams", "member"),
        ("Bea", "Brown", "member"),
        ("Cy", "Clark", "press"),
        ("Mo", "Moss", "member"),
    ):
        await add_registration(settings, badge_event, first_name=given, last_name=last, category=category)
    await add_registration(settings, badge_event, first_name="Ed", last_name="Baker", status="cancelled")
    url = f"/api/events/{badge_event.slug}/badges/print"
    body = {
        "categories": ["member"],
        "surname_from": "a",
        "surname_to": "m",
        "not_printed": True,
        "layout": "letter-6up",
    }

    first = await client.post(url, json=body, headers=organizer)
    again = await client.post(url, json=body, headers=organizer)
    unknown = await client.post(url, json={"categories": ["nobody"]}, headers=organizer)
    codes = await read_qr_codes(first.content, tmp_path)

    async with db_session_for(settings) as db_session:
        printed = (
            (
                await db_session.execute(
                    select(Registration.last_name)
                    .join(Badge, Badge.registration_id == Registration.id)
                    .where(Badge.event_id == badge_event.event_id, Badge.print_count == 1)
                    .order_by(Registration.last_name)
                )
            )
            .scalars()
            .all()
        )
    assert first.status_code == 200
    assert first.headers["x-badge-count"] == "3"
    assert printed == ["Adams", "Brown", "Moss"]
    assert len(codes) == 3
    assert (again.status_code, again.json()["field"]) == (404, "filter")
    assert (unknown.status_code, unknown.json()["field"]) == (422, "categories")


async def test_printing_a_batch_again_revokes_the_earlier_printing(
    settings: Settings,
    client: Client,
    organizer: dict[str, str],
    staff: dict[str, str],
    badge_event: BadgeEvent,
    tmp_path: Path,
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    registration = await add_registration(settings, badge_event, first_name="Rae", last_name="Reprint")
    url = f"/api/events/{badge_event.slug}/badges/print"
    body = {"surname_from": "reprint", "surname_to": "reprint", "layout": "4x3"}

    first = await client.post(url, json=body, headers=organizer)
    first_codes = await read_qr_codes(first.content, tmp_path)
    second = await client.post(url, json=body, headers=organizer)
    second_codes = await read_qr_codes(second.content, tmp_path)
    results = await post_scans(
        client, staff, scan(first_codes[0], points["entrance"]), scan(second_codes[0], points["entrance"])
    )

    assert (first.status_code, second.status_code) == (200, 200)
    assert [tokens.parse(c)[0].version for c in first_codes + second_codes] == [1, 2]
    assert [r["reason"] for r in results] == ["revoked", "admitted"]
    async with db_session_for(settings) as db_session:
        badge = await db_session.scalar(select(Badge).where(Badge.registration_id == registration))
    assert badge is not None and (badge.version, badge.print_count) == (2, 2)


async def test_a_badge_reprinted_while_its_batch_is_drawn_refuses_the_batch(
    settings: Settings, organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    registration = await add_registration(settings, badge_event, first_name="Dee", last_name="Drawn")

    selection = PrintFilter(surname_from="drawn", surname_to="drawn")
    async with db_session_for(settings) as db_session:
        batch = await prepare_batch(db_session, badge_event.slug, selection, settings.secret_key)
        await db_session.commit()
        async with db_session_for(settings) as other:  # a reprint from the help desk while the PDF is drawn
            await reissue(other, registration, settings.secret_key, actor="desk")
            await other.commit()
        with pytest.raises(Conflict) as refused:
            await mark_printed(db_session, batch.event_id, batch.drawn, actor="organizer")
        await db_session.rollback()
        count = await db_session.scalar(select(Badge.print_count).where(Badge.registration_id == registration))
    assert (refused.value.code, refused.value.field) == ("badges_changed", "filter")
    assert count == 0


async def test_a_reprint_batch_that_fails_to_draw_revokes_nothing(
    settings: Settings,
    client: Client,
    organizer: dict[str, str],
    staff: dict[str, str],
    badge_event: BadgeEvent,
    tmp_path: Path,
) -> None:
    """The new version is given when the batch is counted as printed, after the PDF is drawn: a batch that
    breaks off (a crash, Ctrl-C in the CLI) leaves the badges people wear admitting."""
    points = await checkpoints_of(client, organizer, badge_event.slug)
    registration = await add_registration(settings, badge_event, first_name="Fay", last_name="Failed")
    body = {"surname_from": "failed", "surname_to": "failed", "layout": "4x3"}
    printed = await client.post(f"/api/events/{badge_event.slug}/badges/print", json=body, headers=organizer)
    [worn] = await read_qr_codes(printed.content, tmp_path)

    async with db_session_for(settings) as db_session:  # drawing breaks off: mark_printed is never reached
        batch = await prepare_batch(
            db_session, badge_event.slug, PrintFilter(surname_from="failed", surname_to="failed"), settings.secret_key
        )
        await db_session.commit()
    drawn = [card.version for card in batch.cards]
    results = await post_scans(client, staff, scan(worn, points["entrance"]))
    async with db_session_for(settings) as db_session:
        badge = await db_session.scalar(select(Badge).where(Badge.registration_id == registration))

    assert drawn == [2]  # the batch would have printed the next version
    assert [r["reason"] for r in results] == ["admitted"]
    assert badge is not None and (badge.version, badge.print_count) == (1, 1)


def test_print_badges_command_writes_the_batch(settings: Settings, badge_event: BadgeEvent, tmp_path: Path) -> None:
    from podium.main.cli import print_badges_command

    for last in ("Young", "Xu", "Wu"):
        anyio.run(functools.partial(add_registration, settings, badge_event, last_name=last))
    output = tmp_path / "batch.pdf"
    env = {**os.environ, "DATABASE_URL": settings.database_url, "PODIUM_SECRET_KEY": settings.secret_key}

    result = CliRunner().invoke(
        print_badges_command,
        ["--event", badge_event.slug, "--output", str(output), "--layout", "a4-4up", "--surname-from", "w"],
        env=env,
    )

    assert result.exit_code == 0, result.output
    assert "3 badges written" in result.output
    assert output.read_bytes().startswith(b"%PDF")


async def test_certificate_lists_the_sessions_scanned_into_with_credit_hours(
    settings: Settings, client: Client, staff: dict[str, str], organizer: dict[str, str], badge_event: BadgeEvent
) -> None:
    points = await checkpoints_of(client, organizer, badge_event.slug)
    registration = await add_registration(settings, badge_event, workshop=True)
    token = await badge_token(client, staff, registration)
    door, now = points["room-room-201"], badge_event.now
    await post_scans(
        client,
        staff,
        scan(token, door, at=now - dt.timedelta(minutes=10)),  # the opening's start
        scan(token, door, at=now + dt.timedelta(minutes=30), direction="out"),  # 40 of 60 minutes
        scan(token, door, at=now + dt.timedelta(minutes=100)),  # the hands-on, doors open
    )
    own_secret, _ = await _secrets(settings, registration)
    url = f"/api/registrations/{registration}/certificate.pdf"

    during = await client.get(url, params={"secret": own_secret})
    for_staff = await client.get(url, headers=staff)
    await _move_event_into_the_past(settings, badge_event)
    pdf = await client.get(url, params={"secret": own_secret})
    text = await pdf_text(pdf.content)

    assert (during.status_code, during.json()["code"], during.json()["field"]) == (
        409,
        "certificate_not_ready",
        "registration_id",
    )
    assert during.json()["detail"].startswith("the certificate of attendance can be downloaded once the event is over")
    assert for_staff.status_code == 200
    assert pdf.status_code == 200
    assert "Ada Lovelace" in text
    assert "Total credit hours: 1.50" in text  # the hands-on (whole) yes, the opening (40/60 < 75 %) no
    assert "Opening" in text and "Hands-on" in text


async def _move_event_into_the_past(settings: Settings, badge_event: BadgeEvent) -> None:
    """The event's last day was yesterday (its sessions and scans stay where they are)."""
    async with db_session_for(settings) as db_session:
        event = await db_session.get_one(Event, badge_event.event_id)
        event.start_date = dt.date.today() - dt.timedelta(days=4)
        event.end_date = dt.date.today() - dt.timedelta(days=2)
        await db_session.commit()


async def test_the_attendees_page_links_a_badge_that_downloads(
    settings: Settings, client: Client, badge_event: BadgeEvent
) -> None:
    registration = await add_registration(settings, badge_event)
    own_secret, _ = await _secrets(settings, registration)

    during = await client.get(f"/registrations/{registration}", params={"secret": own_secret})
    await _move_event_into_the_past(settings, badge_event)
    page = await client.get(f"/registrations/{registration}", params={"secret": own_secret})
    link = re.search(r'id="badge-link" href="([^"]+)"', page.text)
    certificate = re.search(r'id="certificate-link" href="([^"]+)"', page.text)
    assert link is not None and certificate is not None
    badge = await client.get(html.unescape(link.group(1)))
    paper = await client.get(html.unescape(certificate.group(1)))

    assert 'id="certificate-note"' in during.text and 'id="certificate-link"' not in during.text
    assert page.status_code == 200
    assert (badge.status_code, badge.headers["content-type"]) == (200, "application/pdf")
    assert badge.content.startswith(b"%PDF")
    assert paper.content.startswith(b"%PDF")


async def test_a_badge_embeds_a_font_only_for_names_outside_latin1() -> None:
    """Helvetica is built into every PDF reader: a Latin-1 badge carries no font file (a mail attachment
    costs ~4 ms instead of ~100 ms of TTF parsing and subsetting); Łukasz still prints as himself."""
    from badges.pdf import render_badges
    from podium.pdf_fonts import unicode_font

    def card(first: str, last: str) -> BadgeCard:
        return BadgeCard(
            first_name=first, last_name=last, affiliation="Société Savante", category="Member", ribbon="#1F6FB2",
            event_name="Annual Meeting 2027", event_dates="12-16 April 2027", serial="ABCDEFGH",
            token="6BFOXN%TS3DH", version=1,
        )  # fmt: skip

    plain = render_badges([card("José", "Müller")])
    assert b"/FontFile2" not in plain and b"/Helvetica" in plain
    plain_text = await pdf_text(plain)
    assert "José" in plain_text and "Müller" in plain_text and "Société Savante" in plain_text
    if unicode_font() is None:
        pytest.skip("no Unicode TrueType font installed (Debian package fonts-dejavu-core)")
    wide = render_badges([card("José", "Müller"), card("Łukasz", "Żółć")])
    assert b"/FontFile2" in wide
    wide_text = await pdf_text(wide)
    assert "Łukasz" in wide_text and "Żółć" in wide_text and "José" in wide_text
