"""axe-core on every page the app serves, at desktop (1280 px) and phone (390 px) widths. The list of pages
comes from the route table (every GET handler that renders HTML), not a hand list that could go stale; path
parameters are filled from seeded data, and each page is opened as the role its guards ask for."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import get_args
from uuid import UUID

import httpx
import pytest
from litestar import Litestar
from litestar.response import Template
from litestar.routes import HTTPRoute
from PIL import Image
from playwright.sync_api import Browser
from sqlalchemy import select

from abstracts.decision_mail import presenting_token
from abstracts.models import AbstractStatus
from podium.auth import services as auth_services
from podium.auth.lockout import unlock_token
from podium.auth.models import User
from podium.auth.schemas import UserCreate
from registration.links.tokens import order_secret, registration_secret, waitlist_token
from registration.models import Registration, WaitlistEntry
from tests.abstracts.decision_factories import build_call
from tests.abstracts.review_factories import Person, add_abstract, build_review_call, make_person
from tests.browser.conftest import AXE, ORGANIZER_EMAIL, ORGANIZER_PASSWORD, Server, log_in
from tests.podium.sign_in_mail import mailed_sign_in
from tests.registration.factories import db_session_for
from tests.sessions.factories import at, build_program_event, confirmed_attendees

STAFF_EMAIL = "browser-staff-a11y@podium.test"
STAFF_PASSWORD = "browser-staff-a11y-password"
WIDTHS = {"desktop": 1280, "phone": 390}
PARAM = re.compile(r"\{(\w+):\w+\}")
# Template routes that are not pages: checked inside the page that shows them.
FRAGMENTS = {"/organizer/events/{slug:str}/dashboard/live"}  # swapped into the dashboard every 10 s


def html_pages(app: Litestar) -> list[tuple[str, str]]:
    """(path, role) of every GET handler that answers with a page: a Template, or an .html resource. The role is
    the weakest its guards allow (public, staff, organizer); the API docs (Swagger's own page) are left out."""
    pages = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith("/schema") or route.path in FRAGMENTS:
            continue
        for handler in route.route_handlers:
            annotation = handler.parsed_fn_signature.return_type.annotation
            renders = Template in (annotation, *get_args(annotation))
            if "GET" not in handler.http_methods or not (renders or route.path.endswith(".html")):
                continue
            guards = {guard.__name__ for guard in handler.resolve_guards()}
            role = "staff" if guards == {"requires_staff"} else "organizer" if guards else "public"
            pages.append((route.path, role))
    return sorted(pages)


BRAND_COLOUR = "#ffe600"


def logo_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (240, 80), "#0b3d91").save(out, format="PNG")
    return out.getvalue()


PAST_EMBARGO = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Seeded:
    params: dict[str, str]
    queries: dict[str, str]
    # Parameters of one page that differ from ``params`` (a public abstract is an accepted one past its embargo).
    overrides: dict[str, dict[str, str]]


async def _seed_rows(server: Server, event_id: UUID, registration_id: UUID) -> tuple[UUID, UUID]:
    async with db_session_for(server.settings) as db_session:
        await auth_services.create_user(
            db_session, UserCreate(email=STAFF_EMAIL, display_name="Sam Staff", password=STAFF_PASSWORD, role="staff")
        )
        order_id = await db_session.scalar(select(Registration.order_id).where(Registration.id == registration_id))
        assert order_id is not None
        entry = WaitlistEntry(event_id=event_id, add_on_id=None, email="wait@example.org", name="Wanda Waiting")
        entry.category_id = await db_session.scalar(
            select(Registration.category_id).where(Registration.id == registration_id)
        )
        db_session.add(entry)
        await db_session.commit()
        return order_id, entry.id


async def _seed_review(server: Server, slug: str) -> tuple[UUID, UUID]:
    """A call for abstracts on the event with one abstract, for the review pages (the organizer reviews it), and
    the organizer's own draft, for the submitter's page (a draft is never up for review)."""
    review = await build_review_call(server.settings, reviews_per_abstract=1, event_slug=slug)
    reviewed = await add_abstract(
        server.settings, review, await make_person(server.settings, "Sue Submitter"), number=1
    )
    async with db_session_for(server.settings) as db_session:
        organizer_id = await db_session.scalar(select(User.id).where(User.email == ORGANIZER_EMAIL))
    assert organizer_id is not None
    own = await add_abstract(
        server.settings, review, Person(organizer_id, ORGANIZER_EMAIL, {}), number=2, status="draft"
    )
    return reviewed, own


@pytest.fixture(scope="module")
def seeded(server: Server) -> Seeded:
    """One of everything a page can name: an event (with a colour and a logo) with a published session and its
    speaker, a paid order and its registration (with their secrets), a waitlist entry, a mail template, and a
    staff account."""
    program = asyncio.run(build_program_event(server.settings))
    login = httpx.post(
        f"{server.base_url}/api/auth/login", json={"email": ORGANIZER_EMAIL, "password": ORGANIZER_PASSWORD}
    )
    organizer = {"Authorization": f"Bearer {login.json()['token']}"}
    base = f"{server.base_url}/api/events/{program.slug}"
    speaker = httpx.post(f"{base}/speakers", json={"name": "Rosalind Franklin"}, headers=organizer)
    assert speaker.status_code == 201, speaker.text
    body = {
        "title": "Helix structures",
        "kind": "symposium",
        "starts_at": at(1, 9),
        "ends_at": at(1, 10, 30),
        "room_id": str(program.rooms["Hall A"]),
        "status": "published",
        "speaker_ids": [speaker.json()["id"]],
    }
    session = httpx.post(f"{base}/sessions", json=body, headers=organizer)
    assert session.status_code == 201, session.text
    # The event's pages are walked as visitors see a branded event: its colour (a pale one, so black ink) and logo.
    logo = httpx.put(f"{base}/logo", files={"logo": ("logo.png", logo_png(), "image/png")}, headers=organizer)
    assert logo.status_code == 200, logo.text
    colour = httpx.patch(f"{base}/brand", json={"colour": BRAND_COLOUR}, headers=organizer)
    assert colour.status_code == 200, colour.text
    program_page = httpx.get(f"{server.base_url}/events/{program.slug}/program").text
    assert f"brand.css?v={BRAND_COLOUR[1:]}" in program_page and logo.json()["logo_url"] in program_page
    templates = httpx.get(f"{base}/mail-templates", headers=organizer)
    assert templates.status_code == 200, templates.text
    [registration_id] = asyncio.run(confirmed_attendees(server.settings, program.event_id, 1))
    order_id, entry_id = asyncio.run(_seed_rows(server, program.event_id, registration_id))
    abstract_id, submission_id = asyncio.run(_seed_review(server, program.slug))
    review = f"{server.base_url}/api/organizer/events/{program.slug}/review"
    invited = httpx.post(f"{review}/reviewers", json={"email": ORGANIZER_EMAIL}, headers=organizer)
    assert invited.status_code == 200, invited.text
    assert httpx.post(f"{review}/assignments/auto", headers=organizer).json()["added"] == 1
    key = server.settings.secret_key
    now = dt.datetime.now(dt.UTC)
    letter = httpx.post(
        f"{server.base_url}/api/registrations/{registration_id}/letter",
        json={
            "passport_name": "Ada Lovelace",
            "nationality": "GB",
            "passport_number": "X1234567",
            "date_of_birth": "1990-12-10",
            "embassy_city": "Lagos",
        },
        headers={"X-Registration-Secret": registration_secret(key, registration_id, 1)},
    )
    assert letter.status_code == 201, letter.text
    # A live sign-in link (opening its page uses nothing, so every width's walk opens the same one).
    asked = httpx.post(f"{server.base_url}/api/auth/sign-in", json={"email": "browser-member@podium.test"})
    assert asked.status_code == 202, asked.text
    sign_in_token, _ = asyncio.run(mailed_sign_in(server.settings, "browser-member@podium.test"))
    # An accepted abstract of another event, its embargo past (its call closed on 1 November 2026).
    published = asyncio.run(
        build_call(server.settings, abstracts=1, status=AbstractStatus.ACCEPTED_ORAL, embargo_until=PAST_EMBARGO)
    )
    return Seeded(
        params={
            "slug": program.slug,
            "session_id": session.json()["id"],
            "speaker_id": speaker.json()["id"],
            "order_id": str(order_id),
            "registration_id": str(registration_id),
            "entry_id": str(entry_id),
            "name": templates.json()[0]["name"],
            "code": letter.json()["code"],
            "abstract_id": str(abstract_id),
            "token": sign_in_token,
            "submission_id": str(submission_id),
        },
        queries={
            "/orders/{order_id:uuid}": f"secret={order_secret(key, order_id, 1)}",
            "/registrations/{registration_id:uuid}": f"secret={registration_secret(key, registration_id, 1)}",
            "/registrations/{registration_id:uuid}/letter": f"secret={registration_secret(key, registration_id, 1)}",
            "/events/{slug:str}/waitlist/{entry_id:uuid}": f"token={waitlist_token(key, entry_id)}",
            "/account/unlock": f"token={unlock_token(key, ORGANIZER_EMAIL, now)}",
            "/abstracts/{abstract_id:uuid}/presenting": f"token={presenting_token(key, abstract_id)}",
        },
        overrides={
            "/events/{slug:str}/accepted-abstracts/{abstract_id:uuid}": {
                "slug": published.slug,
                "abstract_id": str(published.abstracts[0]),
            }
        },
    )


def _filled(path: str, params: dict[str, str]) -> str:
    return PARAM.sub(lambda match: params[match.group(1)], path)


def test_the_page_list_comes_from_the_route_table_and_every_parameter_is_seeded(app: Litestar) -> None:
    pages = dict(html_pages(app))
    assert {"/", "/login", "/events/{slug:str}/register", "/staff/events/{slug:str}/scanner"} <= set(pages)
    assert pages["/organizer"] == "organizer" and pages["/staff/events/{slug:str}/scanner"] == "staff"
    assert not any(path.startswith(("/api/", "/static/")) for path in pages)
    assert {route.path for route in app.routes} >= FRAGMENTS, "a fragment route was renamed: update FRAGMENTS"
    names = {name for path in pages for name in PARAM.findall(path)}
    assert names <= {
        "slug",
        "session_id",
        "speaker_id",
        "order_id",
        "registration_id",
        "entry_id",
        "name",
        "code",
        "abstract_id",
        "token",
        "submission_id",
    }


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_has_no_serious_axe_violation(
    width: str, seeded: Seeded, app: Litestar, browser: Browser, server: Server
) -> None:
    if not AXE.exists():
        pytest.skip("npm package axe-core not installed (run npm ci)")
    failures: list[str] = []
    for role in ("public", "staff", "organizer"):
        context = browser.new_context(base_url=server.base_url, viewport={"width": WIDTHS[width], "height": 844})
        page = context.new_page()
        if role != "public":
            log_in(page, *((STAFF_EMAIL, STAFF_PASSWORD) if role == "staff" else (ORGANIZER_EMAIL, ORGANIZER_PASSWORD)))
            page.wait_for_url(re.compile(r"^(?!.*/login)"))
        for path, page_role in html_pages(app):
            if page_role != role:
                continue
            url = _filled(path, {**seeded.params, **seeded.overrides.get(path, {})})
            query = seeded.queries.get(path)
            response = page.goto(f"{url}?{query}" if query else url)
            assert response is not None
            if response.status >= 400:
                failures.append(f"{path} [{width}]: HTTP {response.status}")
                continue
            page.wait_for_load_state("load")
            page.evaluate(AXE.read_text())
            result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
            failures.extend(
                f"{path} [{width}, {role}]: {v['id']} ({v['impact']}) at {n['target']}"
                for v in result["violations"]
                if v["impact"] in {"serious", "critical"}
                for n in v["nodes"]
            )
        context.close()
    assert failures == [], "\n".join(failures)
