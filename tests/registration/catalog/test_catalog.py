"""Building a catalog through the organizer API and reading it as a buyer would."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from uuid import UUID

import httpx
import msgspec
import pytest
from sqlalchemy import update

from podium.db import write_intent
from podium.errors import Conflict
from podium.settings import Settings
from registration import catalog
from registration.catalog.schemas import (
    CategoryCreate,
    PromoCodeUpdate,
    QuestionCreate,
    QuotaUpdate,
    RegistrationSettingsUpdate,
)
from registration.models import PromoCode, Quota
from tests.asgi_client import Client
from tests.registration.factories import attendee, db_session_for, order_body


async def new_event(client: Client, organizer: dict[str, str], **overrides: Any) -> str:
    body = {
        "slug": f"cat-{secrets.token_hex(4)}",
        "name": "Catalog Meeting",
        "kind": "annual_meeting",
        "timezone": "America/New_York",
        "venue": "Hynes",
        "start_date": "2027-04-14",
        "end_date": "2027-04-18",
        **overrides,
    }
    slug = (await client.post("/api/events", json=body, headers=organizer)).json()["slug"]
    await client.post(f"/api/events/{slug}/publish", headers=organizer)
    return slug


MEMBER: dict[str, Any] = {
    "code": "member",
    "name": "Member",
    "eligibility": "member_number",
    "capacity": 100,
    "price_windows": [
        {"label": "early_bird", "starts_on": "2026-11-01", "amount": 40000},
        {"label": "regular", "starts_on": "2027-03-01", "amount": 50000},
        {"label": "onsite", "starts_on": "2027-04-14", "amount": 60000},
    ],
}


async def post(client: Client, organizer: dict[str, str], slug: str, what: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post(f"/api/events/{slug}/{what}", json=body, headers=organizer)


async def test_build_a_catalog_and_read_it_publicly(client: Client, organizer: dict[str, str]) -> None:
    slug = await new_event(client, organizer)

    member = await post(client, organizer, slug, "categories", MEMBER)
    press = await post(
        client,
        organizer,
        slug,
        "categories",
        {
            "code": "press",
            "name": "Press",
            "eligibility": "access_code",
            "access_code": "INK-2027",
            "price_windows": [{"label": "all", "starts_on": "2026-01-01", "amount": 0}],
        },
    )
    workshop = await post(
        client,
        organizer,
        slug,
        "add-ons",
        {
            "code": "grant-writing",
            "name": "Grant Writing",
            "kind": "workshop",
            "amount": 12000,
            "capacity": 40,
            "category_codes": ["member"],
        },
    )
    shared = await post(client, organizer, slug, "quotas", {"name": "Whole meeting", "size": 8000, "scope": "event"})
    promo = await post(
        client, organizer, slug, "promo-codes", {"code": "early-10", "kind": "percent", "value": 10, "max_uses": 50}
    )
    question = await post(
        client,
        organizer,
        slug,
        "questions",
        {
            "code": "dietary",
            "label": "Dietary needs",
            "kind": "choice",
            "required": True,
            "options": ["none", "vegetarian", "vegan"],
        },
    )
    settings = await client.put(
        f"/api/events/{slug}/registration-settings",
        json={"low_income_discount_pct": 50, "hold_minutes": 10},
        headers=organizer,
    )
    public = (await client.get(f"/api/events/{slug}/catalog")).json()

    assert [r.status_code for r in (member, press, workshop, shared, promo, question)] == [201] * 6
    assert (member.json()["capacity"], member.json()["used"]) == (100, 0)
    assert press.json()["has_access_code"] is True
    assert workshop.json()["category_codes"] == ["member"]
    assert (promo.json()["code"], promo.json()["used"]) == ("EARLY-10", 0)
    assert settings.json() == {
        "hold_minutes": 10,
        "low_income_discount_pct": 50,
        "lower_middle_income_discount_pct": 0,
        "upper_middle_income_discount_pct": 0,
    }
    assert [c["code"] for c in public["categories"]] == ["member", "press"]
    assert public["add_ons"][0]["available"] == 40
    assert public["categories"][0]["available"] == 100
    assert public["hold_minutes"] == 10
    assert "INK-2027" not in str(public)
    assert "EARLY-10" not in str(public)
    assert public["questions"][0]["options"] == ["none", "vegetarian", "vegan"]


async def test_price_windows_turn_over_at_local_midnight(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug = await new_event(client, organizer)
    await post(client, organizer, slug, "categories", MEMBER)
    new_york = dt.timezone(dt.timedelta(hours=-5))  # 2027-03-01 is still EST

    async with db_session_for(settings) as db_session:
        before = await catalog.public_catalog(db_session, slug, dt.datetime(2027, 2, 28, 23, 59, 59, tzinfo=new_york))
        after = await catalog.public_catalog(db_session, slug, dt.datetime(2027, 3, 1, 0, 0, 0, tzinfo=new_york))
        utc_midnight = await catalog.public_catalog(db_session, slug, dt.datetime(2027, 3, 1, 3, 0, tzinfo=dt.UTC))
        too_early = await catalog.public_catalog(db_session, slug, dt.datetime(2026, 10, 1, tzinfo=dt.UTC))

    assert (before.categories[0].window, before.categories[0].price) == ("early_bird", 40000)
    next_window = before.categories[0].next_window
    assert next_window is not None and next_window.label == "regular"
    assert (after.categories[0].window, after.categories[0].price) == ("regular", 50000)
    assert utc_midnight.categories[0].window == "early_bird"  # 22:00 on Feb 28 in New York
    assert (too_early.categories[0].on_sale, too_early.categories[0].price) == (False, None)


async def test_availability_is_the_tightest_quota(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug = await new_event(client, organizer)
    await post(client, organizer, slug, "categories", MEMBER)
    event_wide = (await post(client, organizer, slug, "quotas", {"name": "Venue", "size": 10, "scope": "event"})).json()
    async with db_session_for(settings) as db_session:
        await db_session.execute(
            update(Quota).where(Quota.name == "Venue", Quota.id == event_wide["id"]).values(used=10)
        )
        await db_session.commit()

    public = (await client.get(f"/api/events/{slug}/catalog")).json()
    shrink = await client.patch(f"/api/events/{slug}/quotas/{event_wide['id']}", json={"size": 5}, headers=organizer)

    assert (public["categories"][0]["available"], public["categories"][0]["sold_out"]) == (0, True)
    assert (shrink.status_code, shrink.json()["field"]) == (409, "size")


@pytest.mark.parametrize(
    ("what", "body", "status", "field"),
    [
        ("categories", {**MEMBER, "code": "Bad Code"}, 422, "code"),
        ("categories", {**MEMBER, "code": "dup"}, 201, None),
        ("categories", {**MEMBER, "code": "dup"}, 409, "code"),
        ("categories", {**MEMBER, "code": "x1", "price_windows": []}, 422, "price_windows"),
        (
            "categories",
            {**MEMBER, "code": "x2", "price_windows": [MEMBER["price_windows"][0]] * 2},
            422,
            "price_windows",
        ),
        ("categories", {**MEMBER, "code": "x3", "eligibility": "access_code"}, 422, "access_code"),
        ("categories", {**MEMBER, "code": "x4", "capacity": -1}, 422, "capacity"),
        ("add-ons", {"code": "w", "name": "W", "amount": 1, "category_codes": ["nobody"]}, 422, "category_codes"),
        ("add-ons", {"code": "w2", "name": "W", "amount": -5}, 422, "amount"),
        ("quotas", {"name": "Q", "size": 5}, 422, "category_codes"),
        ("quotas", {"name": "Q", "size": 5, "scope": "event", "category_codes": ["dup"]}, 422, "scope"),
        ("promo-codes", {"code": "P1", "kind": "percent", "value": 101}, 422, "code"),
        ("promo-codes", {"code": "PCT", "kind": "percent", "value": 101}, 422, "value"),
        (
            "promo-codes",
            {
                "code": "WHEN",
                "kind": "fixed",
                "value": 5,
                "valid_from": "2027-01-02T00:00:00Z",
                "valid_until": "2027-01-01T00:00:00Z",
            },
            422,
            "valid_until",
        ),
        ("questions", {"code": "q", "label": "Pick", "kind": "choice", "options": ["only one"]}, 422, "options"),
        ("questions", {"code": "q2", "label": "Free text", "kind": "text", "options": ["a", "b"]}, 422, "options"),
        ("categories", {**MEMBER, "code": "tr1", "translations": {"xx": {"name": "?"}}}, 422, "translations.xx"),
        (
            "add-ons",
            {"code": "tr2", "name": "D", "amount": 1, "translations": {"fr": {"name": "d" * 121}}},
            422,
            "translations.fr.name",
        ),
    ],
)
async def test_catalog_bad_input_names_the_field(
    client: Client, organizer: dict[str, str], what: str, body: dict[str, Any], status: int, field: str | None
) -> None:
    slug = "catalog-errors"
    if (await client.get(f"/api/organizer/events/{slug}", headers=organizer)).status_code == 404:
        await new_event(client, organizer, slug=slug)

    response = await post(client, organizer, slug, what, body)

    assert response.status_code == status, response.text
    if field:
        assert response.json()["field"] == field


@pytest.mark.parametrize(
    "what", ["categories", "add-ons", "quotas", "promo-codes", "questions", "registration-settings"]
)
async def test_catalog_routes_are_for_organizers(
    client: Client, organizer: dict[str, str], staff: dict[str, str], what: str
) -> None:
    slug = await new_event(client, organizer)

    anonymous = await client.get(f"/api/events/{slug}/{what}")
    as_staff = await client.get(f"/api/events/{slug}/{what}", headers=staff)
    as_organizer = await client.get(f"/api/events/{slug}/{what}", headers=organizer)

    assert (anonymous.status_code, as_staff.status_code, as_organizer.status_code) == (401, 403, 200)


async def test_update_and_delete_items(client: Client, organizer: dict[str, str]) -> None:
    slug = await new_event(client, organizer)
    category = (await post(client, organizer, slug, "categories", MEMBER)).json()
    add_on = (
        await post(client, organizer, slug, "add-ons", {"code": "dinner", "name": "Dinner", "amount": 9000})
    ).json()

    renamed = await client.patch(
        f"/api/events/{slug}/categories/{category['id']}",
        json={
            "name": "Full member",
            "capacity": None,
            "price_windows": [{"label": "flat", "starts_on": "2026-01-01", "amount": 1}],
        },
        headers=organizer,
    )
    limited = await client.patch(f"/api/events/{slug}/add-ons/{add_on['id']}", json={"capacity": 12}, headers=organizer)
    removed = await client.delete(f"/api/events/{slug}/add-ons/{add_on['id']}", headers=organizer)
    gone = await client.get(f"/api/events/{slug}/add-ons", headers=organizer)

    assert (renamed.json()["name"], renamed.json()["capacity"]) == ("Full member", None)
    assert [w["label"] for w in renamed.json()["price_windows"]] == ["flat"]
    assert limited.json()["capacity"] == 12
    assert removed.status_code == 204
    assert gone.json() == []


async def test_names_round_trip_and_the_public_catalog_reads_in_the_visitors_language(
    client: Client, organizer: dict[str, str]
) -> None:
    slug = await new_event(client, organizer)
    category = await post(
        client, organizer, slug, "categories", {**MEMBER, "translations": {"es": {"name": "Miembro"}, "fr": {}}}
    )
    add_on = (
        await post(client, organizer, slug, "add-ons", {"code": "dinner", "name": "Dinner", "amount": 9000})
    ).json()

    patched = await client.patch(
        f"/api/events/{slug}/add-ons/{add_on['id']}",
        json={"translations": {"es": {"name": "Cena"}, "pt_BR": {"name": "Jantar"}}},
        headers=organizer,
    )
    spanish = await client.get(f"/api/events/{slug}/catalog", headers={"Accept-Language": "es"})
    english = await client.get(f"/api/events/{slug}/catalog")
    chinese = await client.get(f"/api/events/{slug}/catalog", headers={"Accept-Language": "zh-Hans"})

    assert category.json()["translations"] == {"es": {"name": "Miembro"}}
    assert patched.json()["translations"] == {"es": {"name": "Cena"}, "pt_BR": {"name": "Jantar"}}
    assert patched.json()["name"] == "Dinner"
    names = [
        ([c["name"] for c in r.json()["categories"]], [a["name"] for a in r.json()["add_ons"]])
        for r in (spanish, english, chinese)
    ]
    assert names == [(["Miembro"], ["Cena"]), (["Member"], ["Dinner"]), (["Member"], ["Dinner"])]
    assert (spanish.headers["content-language"], spanish.headers["vary"]) == ("es", "Accept-Language, Cookie")

    # A refusal names the category as the visitor reads it on the page.
    body = order_body(attendee(member_number=None, answers={}))
    refused = [
        await client.post(f"/api/events/{slug}/orders", json=body, headers=language)
        for language in ({"Accept-Language": "es"}, {})
    ]
    assert [(r.status_code, r.json()["errors"][0]["message"]) for r in refused] == [
        (422, "la categoría Miembro requiere un número de socio"),
        (422, "the Member category needs a member number"),
    ]


async def test_changing_a_window_price_keeps_its_first_day(client: Client, organizer: dict[str, str]) -> None:
    """The windows are replaced as a whole; one kept on the same day used to collide with itself (a 500)."""
    slug = await new_event(client, organizer)
    category = (await post(client, organizer, slug, "categories", MEMBER)).json()
    windows = [dict(w) for w in MEMBER["price_windows"]]
    windows[1]["amount"] = 52_500
    windows[2]["label"] = "on-site"

    changed = await client.patch(
        f"/api/events/{slug}/categories/{category['id']}", json={"price_windows": windows}, headers=organizer
    )
    reordered = await client.patch(
        f"/api/events/{slug}/categories/{category['id']}",
        json={"price_windows": list(reversed(windows[:2]))},
        headers=organizer,
    )
    twice = await client.patch(
        f"/api/events/{slug}/categories/{category['id']}",
        json={"price_windows": [windows[0], {**windows[0], "amount": 1}]},
        headers=organizer,
    )
    none = await client.patch(
        f"/api/events/{slug}/categories/{category['id']}", json={"price_windows": []}, headers=organizer
    )
    listed = await client.get(f"/api/events/{slug}/categories", headers=organizer)

    assert changed.status_code == 200, changed.text
    assert [(w["label"], w["amount"]) for w in changed.json()["price_windows"]] == [
        ("early_bird", 40_000),
        ("regular", 52_500),
        ("on-site", 60_000),
    ]
    assert reordered.status_code == 200, reordered.text
    assert [w["starts_on"] for w in reordered.json()["price_windows"]] == ["2026-11-01", "2027-03-01"]
    assert (twice.status_code, twice.json()["field"]) == (422, "price_windows")
    assert (none.status_code, none.json()["field"]) == (422, "price_windows")
    assert [w["amount"] for w in listed.json()[0]["price_windows"]] == [40_000, 52_500]


async def _take_seats(settings: Settings, quota_id: str, used: int) -> None:
    """As orders would: the quota's counter moves in another connection."""
    async with db_session_for(settings) as db_session:
        await db_session.execute(update(Quota).where(Quota.id == UUID(quota_id)).values(used=used))
        await db_session.commit()


async def test_shrinking_a_quota_below_seats_taken_names_the_field(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    """A shared quota's size is ``size`` in its body; a category's own quota is its ``capacity``."""
    slug = await new_event(client, organizer)
    category = (await post(client, organizer, slug, "categories", MEMBER)).json()
    venue = (await post(client, organizer, slug, "quotas", {"name": "Venue", "size": 10, "scope": "event"})).json()
    own = next(
        q for q in (await client.get(f"/api/events/{slug}/quotas", headers=organizer)).json() if q["name"] == "Member"
    )
    await _take_seats(settings, venue["id"], 4)
    await _take_seats(settings, own["id"], 4)

    shrink_shared = await client.patch(f"/api/events/{slug}/quotas/{venue['id']}", json={"size": 3}, headers=organizer)
    shrink_own = await client.patch(
        f"/api/events/{slug}/categories/{category['id']}", json={"capacity": 3}, headers=organizer
    )
    exact = await client.patch(f"/api/events/{slug}/quotas/{venue['id']}", json={"size": 4}, headers=organizer)

    assert (shrink_shared.status_code, shrink_shared.json()["field"]) == (409, "size")
    assert (shrink_own.status_code, shrink_own.json()["field"]) == (409, "capacity")
    assert shrink_shared.json()["detail"].startswith("4 seats are already taken")
    assert (exact.status_code, exact.json()["size"], exact.json()["available"]) == (200, 4, 0)


async def test_shrinking_a_quota_rechecks_seats_taken_meanwhile(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    """Seats taken after the organizer's request read the quota still refuse the shrink (409, not the
    database's check constraint as a 500)."""
    slug = await new_event(client, organizer)
    venue = (await post(client, organizer, slug, "quotas", {"name": "Venue", "size": 10, "scope": "event"})).json()
    async with db_session_for(settings) as db_session:
        with write_intent(False):  # a read while nothing is taken, its transaction left open
            await db_session.get(Quota, UUID(venue["id"]))
        await _take_seats(settings, venue["id"], 6)

        with pytest.raises(Conflict) as refused:
            await catalog.update_quota(db_session, slug, UUID(venue["id"]), QuotaUpdate(size=5))

    assert (refused.value.field, refused.value.detail) == (
        "size",
        "6 seats are already taken; the size can't go below that",
    )


async def test_lowering_a_promo_codes_max_uses_rechecks_uses_meanwhile(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug = await new_event(client, organizer)
    promo = (
        await post(client, organizer, slug, "promo-codes", {"code": "LAB5", "kind": "percent", "value": 10})
    ).json()
    async with db_session_for(settings) as db_session:
        with write_intent(False):  # a read while unused, its transaction left open
            await db_session.get(PromoCode, UUID(promo["id"]))
        async with db_session_for(settings) as other:
            await other.execute(update(PromoCode).where(PromoCode.id == UUID(promo["id"])).values(used=3))
            await other.commit()

        with pytest.raises(Conflict) as refused:
            await catalog.update_promo_code(db_session, slug, UUID(promo["id"]), PromoCodeUpdate(max_uses=2))
    lowered = await client.patch(
        f"/api/events/{slug}/promo-codes/{promo['id']}", json={"max_uses": 3}, headers=organizer
    )
    unlimited = await client.patch(
        f"/api/events/{slug}/promo-codes/{promo['id']}", json={"max_uses": None}, headers=organizer
    )

    assert (refused.value.field, refused.value.detail) == ("max_uses", "the code was already used 3 times")
    assert (lowered.status_code, lowered.json()["max_uses"], lowered.json()["used"]) == (200, 3, 3)
    assert (unlimited.status_code, unlimited.json()["max_uses"]) == (200, None)


async def test_a_taken_code_is_refused_without_undoing_the_rest_of_the_transaction(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    """The refusal undoes only the refused item (a savepoint), so the owner may still commit what came before."""
    slug = await new_event(client, organizer)
    async with db_session_for(settings) as db_session:
        await catalog.create_category(db_session, slug, msgspec.convert(MEMBER, CategoryCreate))

        with pytest.raises(Conflict) as refused:
            await catalog.create_category(db_session, slug, msgspec.convert(MEMBER, CategoryCreate))
        await catalog.create_question(db_session, slug, QuestionCreate(code="diet", label="Dietary needs"))
        await db_session.commit()
    categories = (await client.get(f"/api/events/{slug}/categories", headers=organizer)).json()
    questions = (await client.get(f"/api/events/{slug}/questions", headers=organizer)).json()

    assert (refused.value.field, refused.value.detail) == ("code", "a category with code 'member' exists")
    assert [c["code"] for c in categories] == ["member"]
    assert [q["code"] for q in questions] == ["diet"]


async def test_catalog_changes_are_the_owners_to_commit(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug = await new_event(client, organizer)
    async with db_session_for(settings) as db_session:
        await catalog.create_category(db_session, slug, msgspec.convert(MEMBER, CategoryCreate))
        await catalog.update_settings(db_session, slug, RegistrationSettingsUpdate(hold_minutes=30))

        await db_session.rollback()
    categories = (await client.get(f"/api/events/{slug}/categories", headers=organizer)).json()
    kept = (await client.get(f"/api/events/{slug}/registration-settings", headers=organizer)).json()

    assert categories == []
    assert kept["hold_minutes"] == 15


async def test_an_archived_events_catalog_is_read_only(client: Client, organizer: dict[str, str]) -> None:
    slug = await new_event(client, organizer)
    question = (await post(client, organizer, slug, "questions", {"code": "diet", "label": "Dietary needs"})).json()
    await client.post(f"/api/events/{slug}/archive", headers=organizer)

    added = await post(client, organizer, slug, "categories", MEMBER)
    relabelled = await client.patch(
        f"/api/events/{slug}/questions/{question['id']}", json={"label": "Diet"}, headers=organizer
    )
    listed = await client.get(f"/api/events/{slug}/questions", headers=organizer)

    assert [(r.status_code, r.json()["code"], r.json()["field"]) for r in (added, relabelled)] == [
        (409, "event_archived", "status")
    ] * 2
    assert [q["label"] for q in listed.json()] == ["Dietary needs"]


async def test_a_quota_shrunk_below_its_seats_taken_is_refused_in_french(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug = await new_event(client, organizer)
    venue = (await post(client, organizer, slug, "quotas", {"name": "Venue", "size": 10, "scope": "event"})).json()
    await _take_seats(settings, venue["id"], 6)

    refused = await client.patch(
        f"/api/events/{slug}/quotas/{venue['id']}", json={"size": 5}, headers={**organizer, "Accept-Language": "fr"}
    )

    detail = "6 places sont déjà prises ; size ne peut pas descendre en dessous"
    assert (refused.status_code, refused.json()["field"], refused.json()["detail"]) == (409, "size", detail)
    assert refused.json()["errors"] == [{"field": "size", "message": detail}]
