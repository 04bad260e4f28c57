"""The one rule for opening things by their secret link (``registration.links.rule``), on every route family that
takes a link (order, documents, badge, agenda, relink, waitlist): the right secret opens, by header or by query;
another's secret, an old one and a malformed one get the 404 of a missing thing; signed-in roles open only
where the route admits them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from podium.settings import Settings
from registration.links.tokens import registration_secret, waitlist_token
from tests.asgi_client import Client
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body

# Route families that open an order by its link: (method, path under /api/orders/{id}).
ORDER_ROUTES = [
    ("GET", ""),
    ("GET", "/status"),
    ("GET", "/documents"),
    ("GET", "/billing"),
    ("POST", "/link"),
]
# Route families that open a registration by its link: (method, path under /api/registrations/{id}).
REGISTRATION_ROUTES = [
    ("GET", "/badge"),
    ("GET", "/badge.svg"),
    ("GET", "/agenda"),
    ("POST", "/link"),
]
# Malformed secrets (not ASCII, a space, longer than any link secret, a quote): each is just a wrong secret.
MALFORMED = ["été", "a b", "x" * 150, "abc'--"]


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session)


async def paid_order(client: Client, catalog: CatalogFixture, people: int = 2) -> dict[str, Any]:
    body = order_body(*(attendee() for _ in range(people)))
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=body)).json()
    paid = await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    assert paid.status_code == 200, paid.text
    return paid.json()


def own_secret(settings: Settings, registration: dict[str, Any]) -> str:
    return registration_secret(settings.secret_key, UUID(registration["id"]), 1)


async def call(client: Client, method: str, url: str, **kwargs: Any) -> Any:
    return await client.request(method, url, **kwargs)


def answer(response: Any) -> tuple[int, str | None]:
    """A problem's status and the field it names (a 404 names what was not found, as for an unknown id)."""
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return response.status_code, response.json().get("field")


@pytest.mark.parametrize(("method", "path"), ORDER_ROUTES)
async def test_an_orders_secret_opens_it_by_header_and_by_query(
    method: str, path: str, client: Client, catalog: CatalogFixture
) -> None:
    order = await paid_order(client, catalog)
    url = f"/api/orders/{order['id']}{path}"

    by_header = await call(client, method, url, headers={"X-Order-Secret": order["secret"]})
    by_query = await call(client, method, url, params={"secret": order["secret"]})

    # POST /link takes the secret back: the query's call holds a dead secret by then.
    expected = [200, 404] if path == "/link" else [200, 200]
    assert [by_header.status_code, by_query.status_code] == expected


@pytest.mark.parametrize(("method", "path"), ORDER_ROUTES)
async def test_an_order_refuses_another_orders_or_a_registrations_secret_or_staff(
    method: str, path: str, client: Client, catalog: CatalogFixture, settings: Settings, staff: dict[str, str]
) -> None:
    order = await paid_order(client, catalog)
    other = await paid_order(client, catalog)
    url = f"/api/orders/{order['id']}{path}"
    attendee_secret = own_secret(settings, order["registrations"][0])

    answers = [
        await call(client, method, url, headers={"X-Order-Secret": other["secret"]}),
        await call(client, method, url, params={"secret": other["secret"]}),
        await call(client, method, url, headers={"X-Order-Secret": attendee_secret}),
        await call(client, method, url, headers={"X-Registration-Secret": order["secret"]}),
        await call(client, method, url),
        await call(client, method, url, headers=staff),
        await call(client, method, f"/api/orders/{UUID(int=1)}{path}", headers={"X-Order-Secret": order["secret"]}),
    ]

    assert [answer(a) for a in answers] == [(404, "order")] * len(answers)


async def test_a_malformed_order_secret_is_a_404_on_every_order_route(client: Client, catalog: CatalogFixture) -> None:
    order = await paid_order(client, catalog, people=1)
    base = f"/api/orders/{order['id']}"

    answers = [
        answer(await call(client, method, f"{base}{path}", **sent))
        for method, path in ORDER_ROUTES
        for bad in MALFORMED
        for sent in ({"params": {"secret": bad}}, {"headers": {"X-Order-Secret": bad.encode()}})
    ]

    assert answers == [(404, "order")] * len(ORDER_ROUTES) * len(MALFORMED) * 2


async def test_a_header_with_the_wrong_secret_wins_over_a_right_query(client: Client, catalog: CatalogFixture) -> None:
    order = await paid_order(client, catalog, people=1)
    other = await paid_order(client, catalog, people=1)

    response = await client.get(
        f"/api/orders/{order['id']}", params={"secret": order["secret"]}, headers={"X-Order-Secret": other["secret"]}
    )

    assert answer(response) == (404, "order")


async def test_paying_takes_the_secret_only_not_an_organizer(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()
    url = f"/api/orders/{order['id']}/offline-payment"

    by_organizer = await client.post(url, headers=organizer)
    by_buyer = await client.post(url, params={"secret": order["secret"]})

    assert answer(by_organizer) == (404, "order")
    assert (by_buyer.status_code, by_buyer.json()["status"]) == (200, "paid")


@pytest.mark.parametrize(("method", "path"), REGISTRATION_ROUTES)
@pytest.mark.parametrize("whose", ["attendee", "buyer"])
async def test_a_registration_opens_with_its_own_or_its_orders_secret_by_header_and_by_query(
    whose: str, method: str, path: str, client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    order = await paid_order(client, catalog)
    person = order["registrations"][0]
    secret = own_secret(settings, person) if whose == "attendee" else order["secret"]
    url = f"/api/registrations/{person['id']}{path}"

    by_header = await call(client, method, url, headers={"X-Registration-Secret": secret})
    by_query = await call(client, method, url, params={"secret": secret})

    # POST /link takes the attendee's link back (not the order's): the query's call holds a dead one by then.
    expected = [200, 404] if (path, whose) == ("/link", "attendee") else [200, 200]
    assert [by_header.status_code, by_query.status_code] == expected


@pytest.mark.parametrize(("method", "path"), REGISTRATION_ROUTES)
async def test_a_registration_refuses_another_registrations_or_another_orders_secret(
    method: str, path: str, client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    order = await paid_order(client, catalog)
    other = await paid_order(client, catalog)
    mine, neighbour = order["registrations"]
    url = f"/api/registrations/{mine['id']}{path}"

    answers = [
        await call(client, method, url, headers={"X-Registration-Secret": own_secret(settings, neighbour)}),
        await call(client, method, url, params={"secret": own_secret(settings, neighbour)}),
        await call(
            client, method, url, headers={"X-Registration-Secret": own_secret(settings, other["registrations"][0])}
        ),
        await call(client, method, url, headers={"X-Registration-Secret": other["secret"]}),
        await call(client, method, url, headers={"X-Order-Secret": order["secret"]}),
        await call(client, method, url),
    ]

    assert [answer(a) for a in answers] == [(404, "registration_id")] * len(answers)


async def test_a_malformed_registration_secret_is_a_404_on_every_registration_route(
    client: Client, catalog: CatalogFixture
) -> None:
    order = await paid_order(client, catalog, people=1)
    base = f"/api/registrations/{order['registrations'][0]['id']}"

    answers = [
        answer(await call(client, method, f"{base}{path}", **sent))
        for method, path in REGISTRATION_ROUTES
        for bad in MALFORMED
        for sent in ({"params": {"secret": bad}}, {"headers": {"X-Registration-Secret": bad.encode()}})
    ]

    assert answers == [(404, "registration_id")] * len(REGISTRATION_ROUTES) * len(MALFORMED) * 2


@pytest.mark.parametrize(
    ("method", "path", "staff_opens"),
    [("GET", "/badge", True), ("GET", "/certificate.pdf", True), ("GET", "/agenda", False), ("POST", "/link", False)],
)
async def test_signed_in_roles_open_a_registration_only_where_the_route_admits_them(
    method: str,
    path: str,
    staff_opens: bool,
    client: Client,
    catalog: CatalogFixture,
    organizer: dict[str, str],
    staff: dict[str, str],
) -> None:
    order = await paid_order(client, catalog, people=1)
    url = f"/api/registrations/{order['registrations'][0]['id']}{path}"

    by_staff = await call(client, method, url, headers=staff)
    by_organizer = await call(client, method, url, headers=organizer)

    assert (by_staff.status_code, by_organizer.status_code) == (200 if staff_opens else 404, 200)


async def test_a_waitlist_place_opens_with_its_token_only(client: Client, settings: Settings) -> None:
    async with db_session_for(settings) as db_session:
        full = await build_catalog(db_session, workshop_seats=0)
    joined = await client.post(
        f"/api/events/{full.slug}/waitlist", json={"email": "w@example.org", "name": "W", "add_on": "workshop"}
    )
    other = await client.post(
        f"/api/events/{full.slug}/waitlist", json={"email": "v@example.org", "name": "V", "add_on": "workshop"}
    )
    entry, neighbour = joined.json()["id"], other.json()["id"]
    url = f"/api/waitlist/{entry}"

    right = await client.get(url, params={"token": waitlist_token(settings.secret_key, UUID(entry))})
    wrong = [
        await client.get(url, params={"token": waitlist_token(settings.secret_key, UUID(neighbour))}),
        *[await client.get(url, params={"token": bad}) for bad in MALFORMED],
        await client.get(url),
        await client.post(f"{url}/leave", params={"token": waitlist_token(settings.secret_key, UUID(neighbour))}),
    ]

    assert (right.status_code, right.json()["id"]) == (200, entry)
    assert [answer(w) for w in wrong] == [(404, "entry")] * len(wrong)
