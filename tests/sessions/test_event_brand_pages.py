"""Every public page of one event carries the event's brand, as its own page does (``events.brand.page_brand``,
``templates/_event_brand.html``): the colour's style sheet and the logo with its alt text when set, neither
when not; the cached program and session pages show a new colour or logo on the very next request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

import pytest

from podium.settings import Settings
from registration.links.tokens import registration_secret
from tests.asgi_client import Client
from tests.events.test_event_brand import image_bytes, put_logo
from tests.page_forms import csrf_of
from tests.registration.factories import attendee, build_catalog, db_session_for, order_body

HTML = {"Accept": "text/html"}


@dataclass(frozen=True)
class Seeded:
    """A published event with one published session, a held order, and a waitlist place on its full workshop."""

    slug: str
    start: str
    session_id: str
    order_id: str
    order_secret: str
    registration_id: str
    entry_id: str
    entry_token: str


@pytest.fixture
async def seeded(client: Client, organizer: dict[str, str], settings: Settings) -> Seeded:
    async with db_session_for(settings) as db_session:
        catalog = await build_catalog(db_session, workshop_seats=1)
    speaker = await client.post(
        f"/api/events/{catalog.slug}/speakers", json={"name": "Rosalind Franklin"}, headers=organizer
    )
    event = (await client.get(f"/api/events/{catalog.slug}")).json()
    day = event["start_date"]
    session = await client.post(
        f"/api/events/{catalog.slug}/sessions",
        json={
            "title": "Helix structures",
            "kind": "symposium",
            "starts_at": f"{day}T09:00:00-05:00",
            "ends_at": f"{day}T10:00:00-05:00",
            "status": "published",
            "speaker_ids": [speaker.json()["id"]],
        },
        headers=organizer,
    )
    assert session.status_code == 201, session.text
    body = order_body(attendee(add_ons=["workshop"]))
    order = await client.post(f"/api/events/{catalog.slug}/orders", json=body)
    assert order.status_code == 201, order.text
    entry = await client.post(
        f"/api/events/{catalog.slug}/waitlist",
        json={"email": "wanda@example.org", "name": "Wanda Waiting", "add_on": "workshop"},
    )
    assert entry.status_code == 201, entry.text
    registration_id = order.json()["registrations"][0]["id"]
    return Seeded(
        slug=catalog.slug,
        start=day,
        session_id=session.json()["id"],
        order_id=order.json()["id"],
        order_secret=order.json()["secret"],
        registration_id=registration_id,
        entry_id=entry.json()["id"],
        entry_token=entry.json()["token"],
    )


async def brand(client: Client, organizer: dict[str, str], slug: str, colour: str = "#0b3d91") -> tuple[str, str]:
    """Give the event a colour and a logo; (style sheet link, logo image) as every page should show them."""
    logo = await put_logo(client, organizer, slug, image_bytes("PNG"))
    assert logo.status_code == 200, logo.text
    colour_set = await client.patch(f"/api/events/{slug}/brand", json={"colour": colour}, headers=organizer)
    assert colour_set.status_code == 200, colour_set.text
    return (
        f'<link rel="stylesheet" href="/events/{slug}/brand.css?v={colour[1:]}">',
        f'<img src="{logo.json()["logo_url"]}" alt="Test Meeting logo">',
    )


async def public_pages(client: Client, settings: Settings, seeded: Seeded) -> dict[str, tuple[int, str]]:
    """(status, HTML) of every page a visitor or attendee opens for the event, a form's error re-render included."""
    slug = seeded.slug
    gets = {
        "event": f"/events/{slug}",
        "program list": f"/events/{slug}/program?day={seeded.start}",
        "program grid": f"/events/{slug}/program?day={seeded.start}&view=grid",
        "program search": f"/events/{slug}/program?q=helix",
        "session": f"/events/{slug}/sessions/{seeded.session_id}",
        "register": f"/events/{slug}/register",
        "waitlist": f"/events/{slug}/waitlist?add_on=workshop",
        "waitlist place": f"/events/{slug}/waitlist/{seeded.entry_id}?token={seeded.entry_token}",
        "order": f"/orders/{seeded.order_id}?secret={seeded.order_secret}",
        "registration": f"/registrations/{seeded.registration_id}?secret="
        + registration_secret(settings.secret_key, UUID(seeded.registration_id), 1),
    }
    pages = {}
    for name, path in gets.items():
        response = await client.get(path, headers=HTML)
        pages[name] = (response.status_code, response.text)
    token = csrf_of(pages["register"][1])
    bad_order = await client.post(
        f"/events/{slug}/register",
        data={"_csrf_token": token, "people": "1", "a0-email": "not an email", "buyer_email": "nobody"},
        headers=HTML,
    )
    bad_waitlist = await client.post(
        f"/events/{slug}/waitlist", data={"_csrf_token": token, "add_on": "workshop", "email": ""}, headers=HTML
    )
    # Last: a new link retires the order's secret the pages above were opened with.
    link_sent = await client.post(
        f"/orders/{seeded.order_id}/link?secret={seeded.order_secret}", data={"_csrf_token": token}, headers=HTML
    )
    pages["register, with errors"] = (bad_order.status_code, bad_order.text)
    pages["waitlist, with errors"] = (bad_waitlist.status_code, bad_waitlist.text)
    pages["new link sent"] = (link_sent.status_code, link_sent.text)
    return pages


def statuses(pages: dict[str, tuple[int, str]]) -> dict[str, int]:
    return {name: status for name, (status, _) in pages.items()}


EXPECTED = {
    "event": 200,
    "program list": 200,
    "program grid": 200,
    "program search": 200,
    "session": 200,
    "register": 200,
    "waitlist": 200,
    "waitlist place": 200,
    "order": 200,
    "registration": 200,
    "register, with errors": 422,
    "waitlist, with errors": 422,
    "new link sent": 200,
}


async def test_every_public_page_of_a_branded_event_shows_its_colour_and_logo(
    client: Client, organizer: dict[str, str], settings: Settings, seeded: Seeded
) -> None:
    stylesheet, logo = await brand(client, organizer, seeded.slug)

    pages = await public_pages(client, settings, seeded)

    assert statuses(pages) == EXPECTED
    shown = {name: (html.count(stylesheet), html.count(logo)) for name, (_, html) in pages.items()}
    assert shown == dict.fromkeys(EXPECTED, (1, 1))
    in_head = {name: html.index(stylesheet) < html.index("</head>") for name, (_, html) in pages.items()}
    assert in_head == dict.fromkeys(EXPECTED, True)


async def test_pages_of_an_event_without_a_brand_show_no_style_sheet_or_logo(
    client: Client, settings: Settings, seeded: Seeded
) -> None:
    pages = await public_pages(client, settings, seeded)

    assert statuses(pages) == EXPECTED
    shown = {name: ("brand.css" in html, "logo.png" in html, "<img" in html) for name, (_, html) in pages.items()}
    assert shown == dict.fromkeys(EXPECTED, (False, False, False))
    band = f'<p class="event-brand-name"><a href="/events/{seeded.slug}">Test Meeting</a></p>'
    named = {name: html.count(band) for name, (_, html) in pages.items()}
    assert named == {name: 0 if name == "event" else 1 for name in EXPECTED}
    assert re.search(r'<div class="event-brand">\s*<h1>Test Meeting</h1>\s*</div>', pages["event"][1])


async def test_organizer_pages_keep_podiums_own_look(client: Client, organizer: dict[str, str], seeded: Seeded) -> None:
    await brand(client, organizer, seeded.slug)

    console = await client.get(f"/organizer/events/{seeded.slug}/program", headers={**HTML, **organizer})

    assert console.status_code == 200
    assert "brand.css" not in console.text and 'class="event-brand"' not in console.text


async def test_program_page_shows_a_new_colour_and_logo_on_the_next_request(
    client: Client, organizer: dict[str, str], seeded: Seeded
) -> None:
    program = f"/events/{seeded.slug}/program?day={seeded.start}"
    session = f"/events/{seeded.slug}/sessions/{seeded.session_id}"
    stylesheet, logo = await brand(client, organizer, seeded.slug, "#0b3d91")
    cached = [(await client.get(path, headers=HTML)).text for path in (program, program, session, session)]
    new_logo = await put_logo(client, organizer, seeded.slug, image_bytes("PNG", (60, 20), "#ffe600"))

    recoloured = await client.patch(f"/api/events/{seeded.slug}/brand", json={"colour": "#FFE600"}, headers=organizer)
    after = [(await client.get(path, headers=HTML)).text for path in (program, session)]

    assert recoloured.status_code == 200
    assert all(stylesheet in html and logo in html for html in cached)
    new_stylesheet = f'<link rel="stylesheet" href="/events/{seeded.slug}/brand.css?v=ffe600">'
    new_image = f'<img src="{new_logo.json()["logo_url"]}" alt="Test Meeting logo">'
    assert new_image != logo
    assert [(new_stylesheet in html, new_image in html, stylesheet in html, logo in html) for html in after] == [
        (True, True, False, False)
    ] * 2
    cleared = await client.patch(f"/api/events/{seeded.slug}/brand", json={"colour": None}, headers=organizer)
    assert cleared.status_code == 200
    assert "brand.css" not in (await client.get(program, headers=HTML)).text
