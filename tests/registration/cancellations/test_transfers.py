"""Transfers check the category's rules again for the new person: eligibility (member number, access code,
verification) and the price (income-group discount, promo), refused with 409 naming the rule; an organizer
may override, and the audit trail says which rules were overridden."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from podium.audit_models import AuditEntry
from podium.settings import Settings
from tests.asgi_client import Client
from tests.registration.factories import (
    PRESS_CODE,
    CatalogFixture,
    attendee,
    build_catalog,
    db_session_for,
    order_body,
)


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session)


async def paid(client: Client, slug: str, *people: dict[str, object], **extra: object) -> dict[str, Any]:
    placed = await client.post(f"/api/events/{slug}/orders", json=order_body(*people, **extra))
    assert placed.status_code == 201, placed.text
    order = placed.json()
    if order["status"] == "paid":  # nothing to pay (press)
        return order
    response = await client.post(
        f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]}
    )
    assert response.status_code == 200, response.text
    return response.json()


def newcomer(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "email": "lise@example.org",
        "first_name": "Lise",
        "last_name": "Meitner",
        "country": "AT",
        "member_number": "M-777",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


async def buyer_transfer(client: Client, order: dict[str, Any], body: dict[str, object]) -> Any:
    registration = order["registrations"][0]["id"]
    return await client.post(
        f"/api/orders/{order['id']}/registrations/{registration}/transfer",
        json=body,
        headers={"X-Order-Secret": order["secret"]},
    )


async def holder(client: Client, order: dict[str, Any], organizer: dict[str, str]) -> tuple[str, str]:
    read = (await client.get(f"/api/orders/{order['id']}", headers=organizer)).json()
    person = read["registrations"][0]
    return person["email"], person["country"]


async def audit_entries(settings: Settings, registration_id: str) -> list[tuple[str, dict[str, Any], str]]:
    async with db_session_for(settings) as db_session:
        rows = await db_session.execute(
            select(AuditEntry.action, AuditEntry.changes, AuditEntry.actor)
            .where(AuditEntry.entity == "registration", AuditEntry.entity_id == registration_id)
            .where(AuditEntry.action.like("transferred%"))
            .order_by(AuditEntry.created_at)
        )
        return [(a, c, actor) for a, c, actor in rows.all()]


async def test_transfer_at_the_same_price_is_made_and_audited(
    client: Client, catalog: CatalogFixture, settings: Settings, organizer: dict[str, str]
) -> None:
    order = await paid(client, catalog.slug, attendee(country="US"))

    response = await buyer_transfer(client, order, newcomer(country="DE"))

    assert response.status_code == 200, response.text
    assert await holder(client, order, organizer) == ("lise@example.org", "DE")
    [(action, changes, actor)] = await audit_entries(settings, order["registrations"][0]["id"])
    assert (action, actor) == ("transferred", "buyer:buyer@example.org")
    assert changes["country"] == ["US", "DE"]
    assert "rules_overridden" not in changes


async def test_member_category_needs_the_new_persons_member_number(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    order = await paid(client, catalog.slug, attendee(email="member@example.org"))

    response = await buyer_transfer(client, order, newcomer(member_number=None))

    problem = response.json()
    assert (response.status_code, problem["code"], problem["field"]) == (409, "member_number_required", "member_number")
    assert await holder(client, order, organizer) == ("member@example.org", "US")


async def test_access_code_category_needs_the_code(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    order = await paid(client, catalog.slug, attendee(category="press", access_code=PRESS_CODE, member_number=None))

    without = await buyer_transfer(client, order, newcomer(member_number=None))
    wrong = await buyer_transfer(client, order, newcomer(member_number=None, access_code="GUESS-1"))
    right = await buyer_transfer(client, order, newcomer(member_number=None, access_code=PRESS_CODE.lower()))

    assert [(r.status_code, r.json().get("code")) for r in (without, wrong)] == [
        (409, "access_code_required"),
        (409, "access_code_required"),
    ]
    assert without.json()["field"] == "access_code"
    assert right.status_code == 200, right.text
    assert (await holder(client, order, organizer))[0] == "lise@example.org"


async def test_verification_category_is_not_handed_on_unverified(client: Client, catalog: CatalogFixture) -> None:
    order = await paid(
        client, catalog.slug, attendee(category="student", member_number=None, verification_note="PhD student")
    )

    response = await buyer_transfer(client, order, newcomer(member_number=None))

    assert (response.status_code, response.json()["code"]) == (409, "verification_required")


@pytest.mark.parametrize(("bought_in", "given_to"), [("MW", "US"), ("US", "MW"), ("IN", "BR")])
async def test_a_different_income_group_price_is_refused(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str], bought_in: str, given_to: str
) -> None:
    order = await paid(client, catalog.slug, attendee(email=f"from-{bought_in.lower()}@example.org", country=bought_in))

    response = await buyer_transfer(client, order, newcomer(email=f"to-{given_to}@example.org", country=given_to))

    problem = response.json()
    assert (response.status_code, problem["code"], problem["field"]) == (409, "price_differs", "country")
    assert await holder(client, order, organizer) == (f"from-{bought_in.lower()}@example.org", bought_in)


async def test_same_group_keeps_the_orders_promo_price(client: Client, catalog: CatalogFixture) -> None:
    order = await paid(client, catalog.slug, attendee(country="US"), promo_code="SAVE10")

    response = await buyer_transfer(client, order, newcomer(country="AT"))

    assert response.status_code == 200, response.text


async def test_every_failed_rule_is_listed(client: Client, catalog: CatalogFixture) -> None:
    order = await paid(client, catalog.slug, attendee(country="US"))

    response = await buyer_transfer(client, order, newcomer(member_number=None, country="MW"))

    problem = response.json()
    assert problem["code"] == "member_number_required"
    assert [e["field"] for e in problem["errors"]] == ["member_number", "country"]


async def test_organizer_overrides_a_price_rule_and_it_is_audited(
    client: Client, catalog: CatalogFixture, settings: Settings, organizer: dict[str, str]
) -> None:
    order = await paid(client, catalog.slug, attendee(email="discounted@example.org", country="MW"))
    registration = order["registrations"][0]["id"]
    url = f"/api/events/{catalog.slug}/registrations/{registration}/transfer"

    refused = await client.post(url, json=newcomer(country="US"), headers=organizer)
    overridden = await client.post(url, json={**newcomer(country="US"), "override": True}, headers=organizer)

    assert (refused.status_code, refused.json()["code"]) == (409, "price_differs")
    assert overridden.status_code == 200, overridden.text
    assert (overridden.json()["email"], overridden.json()["country"]) == ("lise@example.org", "US")
    [(action, changes, actor)] = await audit_entries(settings, registration)
    assert action == "transferred_with_override"
    assert actor.startswith("organizer:organizer-")
    assert changes["rules_overridden"] == [None, ["price_differs"]]


async def test_attendee_cannot_override(client: Client, catalog: CatalogFixture, organizer: dict[str, str]) -> None:
    order = await paid(client, catalog.slug, attendee(email="mw@example.org", country="MW"))
    registration = order["registrations"][0]["id"]

    own_route = await buyer_transfer(client, order, {**newcomer(country="US"), "override": True})
    organizer_route = await client.post(
        f"/api/events/{catalog.slug}/registrations/{registration}/transfer",
        json={**newcomer(country="US"), "override": True},
        headers={"X-Order-Secret": order["secret"]},
    )

    assert own_route.status_code in (400, 422)
    assert organizer_route.status_code == 401
    assert await holder(client, order, organizer) == ("mw@example.org", "MW")


async def test_organizer_transfer_needs_the_registration_of_that_event(
    client: Client, catalog: CatalogFixture, settings: Settings, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    order = await paid(client, catalog.slug, attendee(email="here@example.org"))
    async with db_session_for(settings) as db_session:
        other = await build_catalog(db_session)
    registration = order["registrations"][0]["id"]

    elsewhere = await client.post(
        f"/api/events/{other.slug}/registrations/{registration}/transfer", json=newcomer(), headers=organizer
    )
    by_staff = await client.post(
        f"/api/events/{catalog.slug}/registrations/{registration}/transfer", json=newcomer(), headers=staff
    )

    assert (elsewhere.status_code, elsewhere.json()["field"]) == (404, "registration_id")
    assert by_staff.status_code == 403
