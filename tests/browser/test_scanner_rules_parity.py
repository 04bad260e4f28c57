"""The door answers the same offline as online: one table of cases (category, add-ons, checkpoint, time window,
state, revoked, already inside) goes through the server's rules (POST /api/checkins) and through the scanner
page's own JavaScript in Chromium (the bundle's rule table, as the page decides offline), and both must give the
table's answer for every case."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest
from playwright.sync_api import Page, expect

from podium.settings import Settings
from registration.models import Order, Registration
from tests.badges.factories import BadgeEvent, add_registration, build_badge_event
from tests.browser.conftest import ORGANIZER_EMAIL, ORGANIZER_PASSWORD, Server, log_in
from tests.registration.factories import db_session_for

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Case:
    name: str
    checkpoint: str
    expected: str
    minutes: int = 0  # the device's clock, from NOW
    category: str = "member"
    workshop: bool = False
    status: tuple[str, str] = ("confirmed", "paid")  # registration, order
    code: str = "token"  # token | old_token (reprinted since) | serial | altered | unknown_serial | other_event
    direction: str = "in"
    inside: bool = False  # admitted at this checkpoint (same moment) before this scan


NOT_PAID = ("held", "pending")
CANCELLED = ("cancelled", "cancelled")
# Room 201 (tests.badges.factories): "Opening" from NOW-10 min for an hour, "Hands-on" (needs the workshop) at
# NOW+2 h for an hour, "Cancelled talk" at NOW+4 h; doors open 30 minutes before a session.
CASES = (
    Case("entrance paid member", "entrance", "admitted"),
    Case("entrance paid press", "entrance", "admitted", category="press"),
    Case("entrance already inside", "entrance", "already_admitted", inside=True),
    Case("entrance not paid", "entrance", "not_paid", status=NOT_PAID),
    Case("entrance awaiting verification", "entrance", "not_paid", status=("awaiting_verification", "paid")),
    Case("entrance cancelled", "entrance", "cancelled", status=CANCELLED),
    Case("entrance cancelled leaving", "entrance", "cancelled", status=CANCELLED, direction="out"),
    Case("entrance replaced badge", "entrance", "revoked", code="old_token"),
    Case("entrance leaving", "entrance", "checked_out", direction="out"),
    Case("entrance typed serial", "entrance", "admitted", code="serial"),
    Case("entrance unknown serial", "entrance", "invalid", code="unknown_serial"),
    Case("entrance altered code", "entrance", "invalid", code="altered"),
    Case("entrance another event's badge", "entrance", "wrong_event", code="other_event"),
    Case("entrance before it opens", "late-entrance", "outside_window"),
    Case("entrance once open", "late-entrance", "admitted", minutes=90),
    Case("deactivated checkpoint", "shut-door", "outside_window"),
    Case("workshop desk without the workshop", "add-on-grant-writing", "no_access"),
    Case("workshop desk without it, press", "add-on-grant-writing", "no_access", category="press"),
    Case("workshop desk with the workshop", "add-on-grant-writing", "admitted", workshop=True),
    Case("workshop desk already inside", "add-on-grant-writing", "already_admitted", workshop=True, inside=True),
    Case("workshop desk replaced badge", "add-on-grant-writing", "revoked", workshop=True, code="old_token"),
    Case("workshop desk not paid", "add-on-grant-writing", "not_paid", workshop=True, status=NOT_PAID),
    Case("workshop desk closed", "closed-desk", "outside_window", workshop=True),
    Case("workshop desk leaving without it", "add-on-grant-writing", "checked_out", direction="out"),
    Case("room during the opening", "room-room-201", "admitted"),
    Case("room during the opening, inside", "room-room-201", "already_admitted", inside=True),
    Case("room between sessions", "room-room-201", "outside_window", minutes=80),
    Case("room workshop session without it", "room-room-201", "no_access", minutes=100),
    Case("room workshop session with it", "room-room-201", "admitted", minutes=100, workshop=True),
    Case(
        "room workshop session with it, press",
        "room-room-201",
        "admitted",
        minutes=125,
        workshop=True,
        category="press",
    ),
    Case("room after the last published session", "room-room-201", "outside_window", minutes=300),
    Case("session door before its doors open", "hands-on-door", "outside_window", workshop=True),
    Case("session door open", "hands-on-door", "admitted", minutes=95, workshop=True),
    Case("session door open without it", "hands-on-door", "no_access", minutes=95),
    Case("session door after it ended", "hands-on-door", "outside_window", minutes=185, workshop=True),
)


@dataclass
class Door:
    slug: str
    checkpoints: dict[str, str]
    scans: list[dict[str, Any]]  # one per case: the scan as a device sends it
    organizer: dict[str, str]


async def _set_state(settings: Settings, registration_id: UUID, status: str, order_status: str) -> None:
    async with db_session_for(settings) as db_session:
        registration = await db_session.get_one(Registration, registration_id)
        registration.status = status
        order = await db_session.get_one(Order, registration.order_id)
        order.status = order_status
        await db_session.commit()


def _scan(case: Case, index: int, checkpoint_id: str, code: dict[str, str]) -> dict[str, Any]:
    return {
        "checkpoint_id": checkpoint_id,
        "device_id": f"parity-{index}",
        "device_seq": 10,
        "device_time": (NOW + dt.timedelta(minutes=case.minutes)).isoformat(),
        "direction": case.direction,
        **code,
    }


@pytest.fixture(scope="module")
def door(server: Server) -> Door:
    base = server.base_url
    event: BadgeEvent = asyncio.run(build_badge_event(server.settings, now=NOW, name="Parity Meeting"))
    other: BadgeEvent = asyncio.run(build_badge_event(server.settings, now=NOW, name="Other Meeting"))
    login = httpx.post(f"{base}/api/auth/login", json={"email": ORGANIZER_EMAIL, "password": ORGANIZER_PASSWORD})
    organizer = {"Authorization": f"Bearer {login.json()['token']}"}
    synced = httpx.post(f"{base}/api/events/{event.slug}/checkpoints/sync", headers=organizer)
    checkpoints = {c["code"]: c["id"] for c in synced.json()}
    for extra in (
        {"code": "late-entrance", "name": "Late entrance", "kind": "entrance", "opens_at": NOW + dt.timedelta(hours=1)},
        {"code": "closed-desk", "name": "Closed desk", "kind": "add_on", "add_on": "grant-writing",
         "closes_at": NOW - dt.timedelta(hours=1)},
        {"code": "hands-on-door", "name": "Hands-on door", "kind": "session",
         "session_id": str(event.sessions["hands_on"])},
        {"code": "shut-door", "name": "Shut door", "kind": "entrance", "is_active": False},
    ):  # fmt: skip
        body = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in extra.items()}
        created = httpx.post(f"{base}/api/events/{event.slug}/checkpoints", json=body, headers=organizer)
        assert created.status_code == 201, created.text
        checkpoints[body["code"]] = created.json()["id"]
    stranger = asyncio.run(add_registration(server.settings, other, first_name="Stranger"))
    stranger_token = httpx.get(f"{base}/api/registrations/{stranger}/badge", headers=organizer).json()["token"]

    scans = []
    for index, case in enumerate(CASES):
        person = asyncio.run(
            add_registration(
                server.settings,
                event,
                first_name=f"Case{index}",
                workshop=case.workshop,
                category=case.category,
            )
        )
        badge = httpx.get(f"{base}/api/registrations/{person}/badge", headers=organizer).json()
        code = {
            "token": {"token": badge["token"]},
            "old_token": {"token": badge["token"]},
            "serial": {"serial": badge["serial"]},
            "altered": {"token": badge["token"][:-3] + ("AAA" if badge["token"][-3:] != "AAA" else "BBB")},
            "unknown_serial": {"serial": "ZZZZZZZZ" if badge["serial"] != "ZZZZZZZZ" else "YYYYYYYY"},
            "other_event": {"token": stranger_token},
        }[case.code]
        if case.status != ("confirmed", "paid"):  # a badge is issued while paid; the state changes after
            asyncio.run(_set_state(server.settings, person, *case.status))
        if case.code == "old_token":
            assert httpx.post(f"{base}/api/registrations/{person}/badge/reprint", headers=organizer).is_success
        scans.append(_scan(case, index, checkpoints[case.checkpoint], code))
    return Door(event.slug, checkpoints, scans, organizer)


def _server_answers(server: Server, door: Door) -> list[str]:
    answers = []
    for case, scan in zip(CASES, door.scans, strict=True):
        if case.inside:
            first = {**scan, "device_seq": 1}
            reply = httpx.post(f"{server.base_url}/api/checkins", json={"scans": [first]}, headers=door.organizer)
            assert reply.json()["results"][0]["reason"] == "admitted", case.name
        reply = httpx.post(f"{server.base_url}/api/checkins", json={"scans": [scan]}, headers=door.organizer)
        assert reply.status_code == 200, reply.text
        answers.append(reply.json()["results"][0]["reason"])
    return answers


def _page_answers(page: Page, door: Door) -> list[str]:
    log_in(page)
    page.goto(f"/staff/events/{door.slug}/scanner")
    expect(page.locator("#scanner[data-ready='yes']")).to_be_attached()
    return list(
        page.evaluate(
            """async (cases) => {
              const answers = [];
              for (const [scan, inside] of cases) {
                if (inside) {
                  const first = await window.podiumScanner.decideOffline(scan);
                  if (first.reason !== "admitted") throw new Error(`the first scan was ${first.reason}`);
                  window.podiumScanner.remember(first.zone, first.badge.serial, first.reason);
                }
                answers.push((await window.podiumScanner.decideOffline(scan)).reason);
              }
              return answers;
            }""",
            [[scan, case.inside] for case, scan in zip(CASES, door.scans, strict=True)],
        )
    )


def test_offline_rules_answer_every_case_as_the_server_does(door: Door, server: Server, page: Page) -> None:
    offline = _page_answers(page, door)  # the bundle as it is before any of the server's scans

    online = _server_answers(server, door)

    table = zip([c.name for c in CASES], [c.expected for c in CASES], online, offline, strict=True)
    assert [row for row in table if not row[1] == row[2] == row[3]] == []
