"""Every page's <title> is plain text: no markup (names people typed, like ``<b>Evil</b>``, are escaped and
read as text) and no secret (order, registration, waitlist and unlock links, a card payment's client
secret). The order page once put its whole card form, client secret included, into its title."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from collections.abc import AsyncIterator, Iterator
from uuid import UUID

import pytest
from litestar import Litestar
from sqlalchemy import update

from abstracts.decision_mail import presenting_token
from events.models import Event
from podium.auth.lockout import unlock_token
from podium.db import begin_write, utcnow
from podium.main.app import create_app
from podium.settings import Settings
from registration.links.tokens import registration_secret
from tests.abstracts.decision_factories import build_call
from tests.abstracts.review_factories import add_abstract, build_review_call, make_person
from tests.asgi_client import Client, app_client
from tests.podium.sign_in_mail import mailed_sign_in
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body
from tests.servers import localstripe_server

EVIL_EVENT = '<b>Evil</b> & "Co"'
EVIL_SESSION = "<script>alert(1)</script> Keynote"
EVIL_SPEAKER = "<i>Mallory</i>"
HTML = {"Accept": "text/html"}
TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
PARAM = re.compile(r"\{(\w+):\w+\}")
# Page routes this test does not visit, and why.
NOT_PAGES = {
    "/health",  # JSON
    "/favicon.ico",  # the icon
    "/events/{slug:str}/logo.png",  # an event's logo (tests/events/test_event_brand.py)
    "/events/{slug:str}/brand.css",  # its colour as a style sheet
    "/staff/events/{slug:str}/scanner-sw.js",  # the scanner's service worker
    "/staff/events/{slug:str}/scanner.webmanifest",  # its web app manifest
    "/organizer/events/{slug:str}/dashboard/live",  # a fragment swapped into the dashboard; no <title>
}


@pytest.fixture(scope="module")
def stripe_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with localstripe_server(tmp_path_factory.mktemp("titles-stripe")) as url:
        yield url


@pytest.fixture
async def card_client(settings: Settings, stripe_api: str) -> AsyncIterator[Client]:
    """The app with Stripe configured (against localstripe), so the order page has a card form."""
    card = dataclasses.replace(
        settings,
        stripe_secret_key="sk_test_titles",
        stripe_publishable_key="pk_test_titles",
        stripe_api_base=stripe_api,
    )
    async with app_client(create_app(card)) as client:
        yield client


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        built = await build_catalog(db_session, member_seats=0)  # the member seats are gone: a waitlist
        await begin_write(db_session)
        await db_session.execute(update(Event).where(Event.slug == built.slug).values(name=EVIL_EVENT))
        await db_session.commit()
        return built


def title_of(body: str) -> str:
    """The title as the browser shows it, after checking its source holds no tag (``<`` only as ``&lt;``)."""
    found = TITLE.findall(body)
    assert len(found) == 1, "one <title> per page"
    raw = found[0]
    assert "<" not in raw and ">" not in raw, f"markup in the title: {raw[:200]!r}"
    return html.unescape(raw)


def page_routes(app: Litestar) -> set[str]:
    paths = set()
    for route in app.routes:
        if route.path.startswith(("/api", "/static", "/schema")) or route.path in NOT_PAGES:
            continue
        if any("GET" in handler.http_methods for handler in getattr(route, "route_handlers", [])):
            paths.add(route.path)
    return paths


async def test_every_page_title_is_text_without_secrets(
    client: Client,
    card_client: Client,
    app: Litestar,
    catalog: CatalogFixture,
    organizer: dict[str, str],
    settings: Settings,
) -> None:
    slug = catalog.slug
    speaker = await client.post(f"/api/events/{slug}/speakers", json={"name": EVIL_SPEAKER}, headers=organizer)
    starts = dt.datetime.combine(dt.date.today() + dt.timedelta(days=61), dt.time(9), dt.UTC)
    session = await client.post(
        f"/api/events/{slug}/sessions",
        json={
            "title": EVIL_SESSION,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + dt.timedelta(hours=1)).isoformat(),
            "status": "published",
            "speaker_ids": [speaker.json()["id"]],
        },
        headers=organizer,
    )
    assert (speaker.status_code, session.status_code) == (201, 201), session.text
    offline = (
        await client.post(
            f"/api/events/{slug}/orders", json=order_body(attendee(category="non-member", member_number=None))
        )
    ).json()
    paid = (
        await client.post(
            f"/api/events/{slug}/orders", json=order_body(attendee(category="non-member", member_number=None))
        )
    ).json()
    await client.post(f"/api/orders/{paid['id']}/offline-payment", headers={"X-Order-Secret": paid["secret"]})
    card = (
        await card_client.post(
            f"/api/events/{slug}/orders", json=order_body(attendee(category="non-member", member_number=None))
        )
    ).json()
    assert card["payment"]["client_secret"], card["payment"]
    registration_id = UUID(paid["registrations"][0]["id"])
    registration_token = registration_secret(settings.secret_key, registration_id, 1)
    letter = await client.post(
        f"/api/registrations/{registration_id}/letter",
        json={
            "passport_name": "Ada King",
            "nationality": "GB",
            "passport_number": "X1234567",
            "date_of_birth": "1990-12-10",
            "embassy_city": "Lagos",
        },
        headers={"X-Registration-Secret": registration_token},
    )
    assert letter.status_code == 201, letter.text
    waiting = await client.post(
        f"/api/events/{slug}/waitlist", json={"email": "wait@example.org", "name": "<u>Wait</u>", "category": "member"}
    )
    entry = waiting.json()
    unlock = unlock_token(settings.secret_key, "someone@podium.test", utcnow())
    abstract_id = (await build_call(settings, abstracts=1, status="accepted_oral")).abstracts[0]
    presenting = presenting_token(settings.secret_key, abstract_id)
    published_call = await build_call(
        settings, abstracts=1, status="accepted_oral", embargo_until=utcnow() - dt.timedelta(days=1)
    )
    asked = await client.post("/api/auth/sign-in", json={"email": "titles@podium.test"})
    assert asked.status_code == 202, asked.text
    sign_in_token, _ = await mailed_sign_in(settings, "titles@podium.test")
    secrets = [
        offline["secret"],
        paid["secret"],
        card["secret"],
        card["payment"]["client_secret"],
        registration_token,
        entry.get("token", "?"),
        unlock,
        presenting,
        sign_in_token,
    ]
    session_id, speaker_id = session.json()["id"], speaker.json()["id"]
    who = {**organizer, **HTML}
    review = await build_review_call(settings, reviews_per_abstract=1, event_slug=slug)
    reviewer = await make_person(settings, "<em>Rita</em> Reviewer")
    submitter = await make_person(settings, "Sue Submitter")
    reviewed_id = await add_abstract(settings, review, submitter, number=1)
    as_submitter = {**submitter.headers, **HTML}
    await client.post(
        f"/api/organizer/events/{slug}/review/reviewers", json={"email": reviewer.email}, headers=organizer
    )
    assert (await client.post(f"/api/organizer/events/{slug}/review/assignments/auto", headers=organizer)).json()[
        "added"
    ]
    as_reviewer = {**reviewer.headers, **HTML}
    visits: dict[str, tuple[Client, str, dict[str, str], str]] = {
        "/": (client, "/", HTML, "Events · Podium"),
        "/organizer/events/{slug:str}/mail": (
            client,
            f"/organizer/events/{slug}/mail",
            who,
            f"Mail · {EVIL_EVENT} · Podium",
        ),
        "/organizer/events/{slug:str}/mail/{name:str}/preview.html": (
            client,
            f"/organizer/events/{slug}/mail/order_held/preview.html",
            who,
            EVIL_EVENT,  # a mail's HTML part as a mail client shows it: titled by the event
        ),
        "/abstracts/{abstract_id:uuid}/presenting": (
            client,
            f"/abstracts/{abstract_id}/presenting?token={presenting}",
            HTML,
            "Presenting your abstract · Program Test Meeting · Podium",
        ),
        "/events/{slug:str}/accepted-abstracts/{abstract_id:uuid}": (
            client,
            f"/events/{published_call.slug}/accepted-abstracts/{published_call.abstracts[0]}",
            HTML,
            "Abstract number 1 on lipid rafts · Program Test Meeting · Podium",
        ),
        "/login": (client, "/login", HTML, "Log in · Podium"),
        "/account": (client, "/account", who, "Your account · Podium"),
        "/account/unlock": (client, f"/account/unlock?token={unlock}", HTML, "Unlock your account · Podium"),
        "/sign-in": (client, "/sign-in", HTML, "Sign in by email · Podium"),
        "/sign-in/{token:str}": (client, f"/sign-in/{sign_in_token}", HTML, "Sign in · Podium"),
        "/events/{slug:str}": (client, f"/events/{slug}", HTML, f"{EVIL_EVENT} · Podium"),
        "/events/{slug:str}/program": (client, f"/events/{slug}/program", HTML, f"Program · {EVIL_EVENT} · Podium"),
        "/events/{slug:str}/sessions/{session_id:uuid}": (
            client,
            f"/events/{slug}/sessions/{session_id}",
            HTML,
            f"{EVIL_SESSION} · {EVIL_EVENT} · Podium",
        ),
        "/events/{slug:str}/register": (client, f"/events/{slug}/register", HTML, f"Register · {EVIL_EVENT} · Podium"),
        "/events/{slug:str}/waitlist": (client, f"/events/{slug}/waitlist", HTML, f"Waitlist · {EVIL_EVENT} · Podium"),
        "/events/{slug:str}/waitlist/{entry_id:uuid}": (
            client,
            f"/events/{slug}/waitlist/{entry.get('id')}?token={entry.get('token')}",
            HTML,
            "Your waitlist place · Podium",
        ),
        "/orders/{order_id:uuid}": (
            card_client,
            f"/orders/{card['id']}?secret={card['secret']}",
            HTML,
            "Your order · Podium",
        ),
        "/registrations/{registration_id:uuid}": (
            client,
            f"/registrations/{registration_id}?secret={registration_token}",
            HTML,
            f"My agenda · {EVIL_EVENT} · Podium",
        ),
        "/registrations/{registration_id:uuid}/letter": (
            client,
            f"/registrations/{registration_id}/letter?secret={registration_token}",
            HTML,
            f"Visa invitation letter · {EVIL_EVENT} · Podium",
        ),
        "/letters/{code:str}": (
            client,
            f"/letters/{letter.json()['code']}",
            HTML,
            f"Letter {letter.json()['code']} · verification · Podium",
        ),
        "/organizer": (client, "/organizer", who, "Organizer console · Podium"),
        "/organizer/users": (client, "/organizer/users", who, "Accounts · Podium"),
        "/organizer/events/new": (client, "/organizer/events/new", who, "New event · Podium"),
        "/organizer/events/{slug:str}": (client, f"/organizer/events/{slug}", who, f"{EVIL_EVENT} · Podium"),
        "/organizer/events/{slug:str}/catalog": (
            client,
            f"/organizer/events/{slug}/catalog",
            who,
            f"Registration catalog · {EVIL_EVENT} · Podium",
        ),
        "/organizer/events/{slug:str}/registrations": (
            client,
            f"/organizer/events/{slug}/registrations",
            who,
            f"Registrations · {EVIL_EVENT} · Podium",
        ),
        "/organizer/events/{slug:str}/audit": (
            client,
            f"/organizer/events/{slug}/audit",
            who,
            f"Audit log · {EVIL_EVENT} · Podium",
        ),
        "/organizer/events/{slug:str}/dashboard": (
            client,
            f"/organizer/events/{slug}/dashboard",
            who,
            f"Check-in dashboard · {EVIL_EVENT} · Podium",
        ),
        "/organizer/events/{slug:str}/program": (
            client,
            f"/organizer/events/{slug}/program",
            who,
            f"Program editor · {EVIL_EVENT} · Podium",
        ),
        "/organizer/events/{slug:str}/program/new": (
            client,
            f"/organizer/events/{slug}/program/new",
            who,
            f"New session · {EVIL_EVENT} · Podium",
        ),
        "/organizer/events/{slug:str}/program/{session_id:uuid}": (
            client,
            f"/organizer/events/{slug}/program/{session_id}",
            who,
            f"{EVIL_SESSION} · {EVIL_EVENT} · Podium",
        ),
        "/organizer/events/{slug:str}/speakers": (
            client,
            f"/organizer/events/{slug}/speakers",
            who,
            f"Speakers · {EVIL_EVENT} · Podium",
        ),
        "/organizer/events/{slug:str}/speakers/{speaker_id:uuid}": (
            client,
            f"/organizer/events/{slug}/speakers/{speaker_id}",
            who,
            f"{EVIL_SPEAKER} · {EVIL_EVENT} · Podium",
        ),
        "/organizer/events/{slug:str}/review": (
            client,
            f"/organizer/events/{slug}/review",
            who,
            f"Review · {EVIL_EVENT} · Podium",
        ),
        "/review/events/{slug:str}": (
            client,
            f"/review/events/{slug}",
            as_reviewer,
            f"Your reviews · {EVIL_EVENT} · Podium",
        ),
        "/review/events/{slug:str}/abstracts/{abstract_id:uuid}": (
            client,
            f"/review/events/{slug}/abstracts/{reviewed_id}",
            as_reviewer,
            f"Abstract 1 · {EVIL_EVENT} · Podium",
        ),
        "/organizer/events/{slug:str}/abstracts/schedule": (
            client,
            f"/organizer/events/{slug}/abstracts/schedule?session={session_id}",
            who,
            f"Schedule accepted abstracts · {EVIL_EVENT} · Podium",
        ),
        "/organizer/events/{slug:str}/call-for-abstracts": (
            client,
            f"/organizer/events/{slug}/call-for-abstracts",
            who,
            f"Call for abstracts · {EVIL_EVENT} · Podium",
        ),
        "/events/{slug:str}/abstracts": (
            client,
            f"/events/{slug}/abstracts",
            as_submitter,
            f"My abstracts · {EVIL_EVENT} · Podium",
        ),
        "/submissions/{submission_id:uuid}": (
            client,
            f"/submissions/{reviewed_id}",
            as_submitter,
            f"Abstract 1 · {EVIL_EVENT} · Podium",
        ),
        "/staff/events/{slug:str}/scanner": (
            client,
            f"/staff/events/{slug}/scanner",
            who,
            f"Scanner · {EVIL_EVENT} · Podium",
        ),
    }
    routes = page_routes(app)
    assert set(visits) <= routes
    # A page added since this list was written is still read, as an organizer, with its path parameters
    # filled by name; give it an entry above for its exact title (and a secret, if it needs one).
    values = {"slug": slug, "session_id": session_id, "speaker_id": speaker_id, "order_id": card["id"]}
    values |= {"registration_id": str(registration_id), "entry_id": str(entry.get("id"))}
    # /staff only redirects to the scanner of the event at the door; its title is the scanner's (read below).
    newer = {route: PARAM.sub(lambda m: values[m.group(1)], route) for route in routes - set(visits) - {"/staff"}}

    seen: dict[str, str] = {}
    for route, (via, url, headers, _) in visits.items():
        response = await via.get(url, headers=headers)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        seen[route] = title_of(response.text)
    for route, url in newer.items():
        response = await client.get(url, headers=who)
        assert response.status_code == 200, f"{url}: {response.status_code} (add this page to the visits)"
        seen[route] = title_of(response.text)
    for name, order in (("paid", paid), ("offline", offline)):
        response = await client.get(f"/orders/{order['id']}?secret={order['secret']}", headers=HTML)
        seen[f"order {name}"] = title_of(response.text)
    landing = await client.get("/staff", headers=who, follow_redirects=True)
    seen["staff landing"] = title_of(landing.text)
    missing = await client.get("/events/no-such-event", headers=HTML)
    seen["404"] = title_of(missing.text)
    order_page = await client.get(f"/orders/{offline['id']}?secret={offline['secret']}", headers=HTML)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', order_page.text)
    assert token is not None
    relinked = await client.post(
        f"/orders/{offline['id']}/link?secret={offline['secret']}", data={"_csrf_token": token.group(1)}, headers=HTML
    )
    seen["link sent"] = title_of(relinked.text)

    assert {route: seen[route] for route in visits} == {route: visit[3] for route, visit in visits.items()}
    assert (seen["order paid"], seen["order offline"]) == ("Your order · Podium", "Your order · Podium")
    assert missing.status_code == 404 and seen["404"] == "Not found · Podium"
    assert landing.status_code == 200 and seen["staff landing"].startswith("Scanner · ")
    assert relinked.status_code == 200 and seen["link sent"] == "New link sent · Podium"
    leaks = [(page, s) for page, title in seen.items() for s in secrets if s and s in title]
    assert leaks == []
    assert not [title for title in seen.values() if "secret" in title.lower()]
