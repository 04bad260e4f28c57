"""The organizer's registrations page through the test client: who may open it, what it lists and filters,
and that odd query strings never make it fail. (The forms are driven in tests/browser.)"""

from __future__ import annotations

import html

import pytest

from events.models import Event
from podium.formatting import parse_money
from podium.locale_choice import COOKIE
from podium.settings import Settings
from tests.asgi_client import Client
from tests.page_forms import form_post
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body

HTML = {"Accept": "text/html"}


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session)


async def _register(client: Client, catalog: CatalogFixture) -> None:
    people = [
        attendee("marie@example.org", first_name="Marie", last_name="Curie"),
        attendee(
            "pierre@example.org",
            first_name="Pierre",
            last_name="Student",
            category="student",
            member_number=None,
            verification_note="PhD student at the Sorbonne",
        ),
    ]
    placed = await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(*people))
    assert placed.status_code == 201, placed.text
    order = placed.json()
    paid = await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    assert paid.status_code == 200, paid.text


async def test_only_organizers_open_it(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    url = f"/organizer/events/{catalog.slug}/registrations"
    assert (await client.get(url, headers={**organizer, **HTML})).status_code == 200
    assert (await client.get(url, headers={**staff, **HTML})).status_code == 403
    anonymous = await client.get(url, headers=HTML, follow_redirects=False)
    assert anonymous.status_code in (302, 303) and anonymous.headers["location"].startswith("/login")
    assert (await client.get("/organizer/events/nope/registrations", headers={**organizer, **HTML})).status_code == 404


async def test_lists_filters_shows_reasons_and_figures(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    await _register(client, catalog)
    url = f"/organizer/events/{catalog.slug}/registrations"
    everyone = await client.get(url, headers={**organizer, **HTML})
    waiting = await client.get(url, params={"status": "awaiting_verification"}, headers={**organizer, **HTML})
    by_name = await client.get(url, params={"q": "curie"}, headers={**organizer, **HTML})
    odd = await client.get(
        url, params={"page": "999", "status": "nonsense", "q": "%_\\"}, headers={**organizer, **HTML}
    )

    assert "2 registrations" in everyone.text and "Marie" in everyone.text and "Pierre" in everyone.text
    assert "Student / trainee" in everyone.text and "USD 400.00" in everyone.text  # member early-bird
    assert "1 registration." in waiting.text and "PhD student at the Sorbonne" in waiting.text
    assert "Approve verification of Pierre Student" in waiting.text
    assert "Marie" in by_name.text and "Pierre" not in by_name.text
    assert odd.status_code == 200 and "No registrations match" in odd.text
    assert f"/api/events/{catalog.slug}/registrations.csv?q=curie" in by_name.text


def test_amounts_typed_by_people_are_read_exactly() -> None:
    assert parse_money("120.5", "USD") == 12050
    assert parse_money("1,200", "EUR") == 120000
    assert parse_money("5000", "JPY") == 5000
    assert parse_money("1.250", "KWD") == 1250
    for bad in ("", "-5", "1.234", "12.5.1", "abc", "1e3"):
        with pytest.raises(ValueError):
            parse_money(bad, "USD")
    with pytest.raises(ValueError):
        parse_money("10.5", "JPY")


async def test_catalog_page_shows_every_part_to_organizers_only(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    url = f"/organizer/events/{catalog.slug}/catalog"
    page = await client.get(url, headers={**organizer, **HTML})
    assert page.status_code == 200
    for text in (
        "Student / trainee",
        "verified by organizers",
        "early bird from",
        "USD 400.00",
        "Grant Writing Workshop",
        "Members&#39; Reception",
        "Dietary needs",
        "Low-income countries: discount %",
    ):
        assert text in page.text, text
    assert (await client.get(url, headers={**staff, **HTML})).status_code == 403
    anonymous = await client.get(url, headers=HTML, follow_redirects=False)
    assert anonymous.status_code in (302, 303)


async def test_pages_show_each_currency_with_its_own_decimals(
    client: Client, settings: Settings, organizer: dict[str, str]
) -> None:
    async with db_session_for(settings) as db_session:
        found = await build_catalog(db_session)
        event = await db_session.get_one(Event, found.event_id)
        event.currency = "JPY"
        await db_session.commit()
    register = await client.get(f"/events/{found.slug}/register", headers=HTML)
    catalog_page = await client.get(f"/organizer/events/{found.slug}/catalog", headers={**organizer, **HTML})
    assert "JPY 40,000" in register.text and "JPY 400.00" not in register.text
    assert "JPY 40,000" in catalog_page.text


async def test_an_organizer_browsing_in_spanish_reads_the_forms_outcome_in_spanish(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    await _register(client, catalog)
    listed = await client.get(f"/api/events/{catalog.slug}/registrations", headers=organizer)
    ids = {r["last_name"]: r["id"] for r in listed.json()["items"]}
    base = f"/organizer/events/{catalog.slug}"
    client.cookies.set(COOKIE, "es")  # the organizer chose Spanish with the switcher

    listing = f"{base}/registrations"
    verify, cancel = f"{listing}/{ids['Student']}/verification", f"{listing}/{ids['Curie']}/cancel"
    approved = await form_post(client, verify, {"decision": "approve"}, organizer, page=listing)
    cancelled = await form_post(client, cancel, {}, organizer, page=listing)
    assert [r.status_code for r in (approved, cancelled)] == [303, 303], [approved.text[:300], cancelled.text[:300]]

    notices = [
        (await client.get(r.headers["location"], headers={**HTML, **organizer})).text for r in (approved, cancelled)
    ]
    assert "Verificación aprobada para Pierre Student." in html.unescape(notices[0])
    assert "Se canceló la inscripción de Marie Curie. Reembolso pendiente: 400,00\xa0US$." in html.unescape(notices[1])
