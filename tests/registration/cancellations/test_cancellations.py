"""Cancelling (with the fee schedule), refunding and transferring registrations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from podium.settings import Settings
from registration.cancellations.services import fee_pct_for
from registration.models import Quota
from tests.asgi_client import Client
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body

A, B, START = dt.date(2027, 1, 31), dt.date(2027, 3, 31), dt.date(2027, 4, 14)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2026, 12, 1), 10),
        (A, 10),
        (A + dt.timedelta(days=1), 50),
        (B, 50),
        (B + dt.timedelta(days=1), 100),
    ],
)
def test_fee_schedule_boundaries(today: dt.date, expected: int) -> None:
    assert fee_pct_for([(B, 50), (A, 10)], today, START) == expected


def test_no_schedule_is_free_until_the_event_starts() -> None:
    assert (fee_pct_for([], START - dt.timedelta(days=1), START), fee_pct_for([], START, START)) == (0, 100)


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session, workshop_seats=3)


async def paid(client: Client, slug: str, *people: dict[str, object]) -> dict[str, Any]:
    order = (await client.post(f"/api/events/{slug}/orders", json=order_body(*people))).json()
    return (
        await client.post(f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]})
    ).json()


async def used(settings: Settings, catalog: CatalogFixture) -> int:
    async with db_session_for(settings) as db_session:
        return await db_session.scalar(select(Quota.used).where(Quota.id == catalog.workshop_quota_id)) or 0


async def test_self_cancellation_applies_the_fee_and_returns_the_seat(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str], settings: Settings
) -> None:
    today = dt.date.today()
    policy = {
        "rules": [
            {"until": str(today + dt.timedelta(days=5)), "fee_pct": 10},
            {"until": str(today + dt.timedelta(days=30)), "fee_pct": 50},
        ]
    }
    await client.put(f"/api/events/{catalog.slug}/cancellation-fees", json=policy, headers=organizer)
    order = await paid(client, catalog.slug, attendee(add_ons=["workshop"]), attendee(add_ons=["workshop"]))
    first = order["registrations"][0]["id"]
    secret = {"X-Order-Secret": order["secret"]}

    outcome = await client.post(f"/api/orders/{order['id']}/registrations/{first}/cancel", headers=secret)
    again = await client.post(f"/api/orders/{order['id']}/registrations/{first}/cancel", headers=secret)

    body = outcome.json()
    assert (body["fee_pct"], body["fee"]) == (10, 5_200)
    assert (body["refund"]["amount"], body["refund"]["status"]) == (46_800, "succeeded")
    assert [r["status"] for r in body["order"]["registrations"]] == ["cancelled", "confirmed"]
    assert (again.status_code, again.json()["code"]) == (409, "already_cancelled")
    assert await used(settings, catalog) == 1


async def test_organizer_cancels_without_fee_and_refunds_partially(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    order = await paid(client, catalog.slug, attendee(), attendee())

    partial = await client.post(
        f"/api/orders/{order['id']}/refunds", json={"amount": 10_000, "reason": "goodwill"}, headers=organizer
    )
    too_much = await client.post(
        f"/api/orders/{order['id']}/refunds", json={"amount": 80_000, "reason": "oops"}, headers=organizer
    )
    by_staff = await client.post(f"/api/orders/{order['id']}/refunds", json={"amount": 1, "reason": "x"}, headers=staff)
    cancelled = await client.post(f"/api/orders/{order['id']}/cancel", headers=organizer)

    assert partial.json()["status"] == "succeeded"
    assert (too_much.status_code, too_much.json()["field"]) == (422, "amount")
    assert by_staff.status_code == 403
    assert (cancelled.json()["fee_pct"], cancelled.json()["refund"]["amount"]) == (0, 70_000)
    assert cancelled.json()["order"]["registrations"][0]["status"] == "cancelled"


async def test_cancelling_an_unpaid_order_releases_its_hold(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    order = (
        await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee(add_ons=["workshop"])))
    ).json()

    response = await client.post(f"/api/orders/{order['id']}/cancel", params={"secret": order["secret"]})

    assert response.json()["order"]["status"] == "cancelled"
    assert response.json()["refund"] is None
    assert await used(settings, catalog) == 0


async def test_transfer_to_a_colleague(client: Client, catalog: CatalogFixture) -> None:
    order = await paid(client, catalog.slug, attendee("old@example.org"))
    taken = await paid(client, catalog.slug, attendee("busy@example.org"))
    registration = order["registrations"][0]["id"]
    url = f"/api/orders/{order['id']}/registrations/{registration}/transfer"
    secret = {"X-Order-Secret": order["secret"]}
    new_person = {
        "email": "New@Example.org",
        "first_name": "Lise",
        "last_name": "Meitner",
        "country": "AT",
        "member_number": "M-777",
    }

    moved = await client.post(url, json=new_person, headers=secret)
    clash = await client.post(url, json={**new_person, "email": "busy@example.org"}, headers=secret)
    no_number = await client.post(url, json={**new_person, "member_number": None}, headers=secret)
    wrong_secret = await client.post(url, json=new_person, headers={"X-Order-Secret": taken["secret"]})

    person = moved.json()["registrations"][0]
    assert (person["email"], person["first_name"], person["status"]) == ("new@example.org", "Lise", "confirmed")
    assert (clash.status_code, clash.json()["field"]) == (409, "email")
    assert (no_number.status_code, no_number.json()["field"]) == (409, "member_number")
    assert no_number.json()["code"] == "member_number_required"
    assert wrong_secret.status_code == 404


async def test_fee_schedule_must_make_sense(client: Client, catalog: CatalogFixture, organizer: dict[str, str]) -> None:
    falling = {"rules": [{"until": "2027-01-01", "fee_pct": 50}, {"until": "2027-02-01", "fee_pct": 10}]}

    response = await client.put(f"/api/events/{catalog.slug}/cancellation-fees", json=falling, headers=organizer)

    assert (response.status_code, response.json()["field"]) == (422, "rules")
