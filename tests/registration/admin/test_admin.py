"""Organizer tools over registrations: search, CSV export, verification decisions, figures, comps."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from podium.settings import Settings
from registration.models import Quota
from tests.asgi_client import Client
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session, workshop_seats=10)


async def paid_order(client: Client, slug: str, *people: dict[str, object]) -> dict[str, Any]:
    order = (await client.post(f"/api/events/{slug}/orders", json=order_body(*people))).json()
    response = await client.post(
        f"/api/orders/{order['id']}/offline-payment", headers={"X-Order-Secret": order["secret"]}
    )
    return response.json()


async def search(client: Client, slug: str, headers: dict[str, str], **params: str | int) -> httpx.Response:
    return await client.get(f"/api/events/{slug}/registrations", params=params, headers=headers)


async def test_search_by_name_email_affiliation_category_and_status(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    await paid_order(
        client,
        catalog.slug,
        attendee("ada@lab.org", first_name="Ada", last_name="Lovelace", affiliation="Analytical Engines"),
    )
    await paid_order(
        client,
        catalog.slug,
        attendee("alan@lab.org", first_name="Alan", last_name="Turing", category="non-member", member_number=None),
    )
    await client.post(
        f"/api/events/{catalog.slug}/orders",
        json=order_body(attendee("grace@navy.mil", first_name="Grace", last_name="Hopper")),
    )

    by_name = (await search(client, catalog.slug, staff, q="ada love")).json()
    by_affiliation = (await search(client, catalog.slug, organizer, q="ENGINES")).json()
    by_category = (await search(client, catalog.slug, organizer, category="non-member")).json()
    held = (await search(client, catalog.slug, organizer, status="held")).json()
    page = (await search(client, catalog.slug, organizer, limit=2, offset=0)).json()
    anonymous = await search(client, catalog.slug, {})

    assert [i["email"] for i in by_name["items"]] == ["ada@lab.org"]
    assert [i["email"] for i in by_affiliation["items"]] == ["ada@lab.org"]
    assert [i["email"] for i in by_category["items"]] == ["alan@lab.org"]
    assert [(i["email"], i["order_status"]) for i in held["items"]] == [("grace@navy.mil", "pending")]
    assert (page["total"], len(page["items"])) == (3, 2)
    assert [i["last_name"] for i in page["items"]] == ["Hopper", "Lovelace"]
    assert anonymous.status_code == 401


async def test_csv_export_has_answers_and_defuses_formulas(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str], staff: dict[str, str]
) -> None:
    await paid_order(
        client,
        catalog.slug,
        attendee("eve@example.org", first_name="=HYPERLINK(1)", add_ons=["workshop"], answers={"dietary": "vegan"}),
    )

    response = await client.get(f"/api/events/{catalog.slug}/registrations.csv", headers=organizer)
    forbidden = await client.get(f"/api/events/{catalog.slug}/registrations.csv", headers=staff)

    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert response.headers["content-type"].startswith("text/csv")
    assert forbidden.status_code == 403
    assert len(rows) == 1
    assert rows[0]["first_name"] == "'=HYPERLINK(1)"
    assert (rows[0]["add_ons"], rows[0]["q:dietary"], rows[0]["amount_due"]) == ("workshop", "vegan", "52000")
    assert rows[0]["status"] == "confirmed"


async def test_verification_approve_and_reject(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str], settings: Settings
) -> None:
    student = {
        "category": "student",
        "member_number": None,
        "verification_note": "PhD student",
        "add_ons": ["workshop"],
    }
    order = await paid_order(client, catalog.slug, attendee("s1@uni.edu", **student), attendee("s2@uni.edu", **student))
    first, second = (r["id"] for r in order["registrations"])
    url = f"/api/events/{catalog.slug}/registrations/{{}}/verification"

    approved = await client.post(url.format(first), json={"decision": "approve"}, headers=organizer)
    rejected = await client.post(url.format(second), json={"decision": "reject", "note": "no proof"}, headers=organizer)
    again = await client.post(url.format(first), json={"decision": "reject"}, headers=organizer)
    bad = await client.post(url.format(first), json={"decision": "maybe"}, headers=organizer)

    async with db_session_for(settings) as db_session:
        used = await db_session.scalar(select(Quota.used).where(Quota.id == catalog.workshop_quota_id))
    assert approved.json()["status"] == "confirmed"
    assert rejected.json()["status"] == "cancelled"
    assert (again.status_code, again.json()["code"]) == (409, "not_awaiting_verification")
    assert (bad.status_code, bad.json()["field"]) == (422, "decision")
    assert used == 1


async def test_stats_count_and_sum_by_category_and_add_on(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str]
) -> None:
    await paid_order(
        client, catalog.slug, attendee(add_ons=["workshop"]), attendee(category="non-member", member_number=None)
    )
    await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee(add_ons=["workshop"])))

    stats = (await client.get(f"/api/events/{catalog.slug}/registration-stats", headers=organizer)).json()

    by_code = {c["code"]: c for c in stats["categories"]}
    workshop = {a["code"]: a for a in stats["add_ons"]}["workshop"]
    assert (by_code["member"]["confirmed"], by_code["member"]["held"], by_code["member"]["revenue"]) == (1, 1, 40_000)
    assert (by_code["non-member"]["confirmed"], by_code["non-member"]["revenue"]) == (1, 60_000)
    assert (workshop["confirmed"], workshop["held"], workshop["revenue"]) == (1, 1, 12_000)
    assert (stats["paid_orders"], stats["gross_revenue"], stats["net_revenue"]) == (1, 112_000, 112_000)


async def test_comp_registration_is_free_confirmed_and_counts_seats(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str], staff: dict[str, str], settings: Settings
) -> None:
    body = order_body(attendee("speaker@example.org", member_number=None, add_ons=["workshop"]))

    comp = await client.post(f"/api/events/{catalog.slug}/comp-registrations", json=body, headers=organizer)
    by_staff = await client.post(f"/api/events/{catalog.slug}/comp-registrations", json=body, headers=staff)

    async with db_session_for(settings) as db_session:
        used = await db_session.scalar(select(Quota.used).where(Quota.id == catalog.workshop_quota_id))
    assert comp.status_code == 201
    assert (comp.json()["status"], comp.json()["total"]) == ("paid", 0)
    assert comp.json()["registrations"][0]["status"] == "confirmed"
    assert by_staff.status_code == 403
    assert used == 1
