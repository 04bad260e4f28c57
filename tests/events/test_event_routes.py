"""Every event route: what succeeds, what each bad input gets, and who may call it."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

from tests.asgi_client import Client


def event_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "slug": f"meeting-{secrets.token_hex(4)}",
        "name": "Annual Meeting 2027",
        "kind": "annual_meeting",
        "timezone": "America/New_York",
        "venue": "Hynes Convention Center",
        "city": "Boston, MA",
        "start_date": "2027-04-14",
        "end_date": "2027-04-18",
        "registration_opens_at": "2026-11-02T09:00:00-05:00",
        "registration_closes_at": "2027-04-18T17:00:00-04:00",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


async def create(client: Client, organizer: dict[str, str], **overrides: Any) -> httpx.Response:
    return await client.post("/api/events", json=event_body(**overrides), headers=organizer)


def assert_problem(response: httpx.Response, status: int, field: str | None, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem.get("field") == field
    if code:
        assert problem["code"] == code


async def test_create_event_starts_as_draft_and_stores_utc(client: Client, organizer: dict[str, str]) -> None:
    response = await create(client, organizer, slug="am-2027")

    event = response.json()
    assert response.status_code == 201
    assert (event["status"], event["slug"], event["timezone"]) == ("draft", "am-2027", "America/New_York")
    assert event["registration_opens_at"] == "2026-11-02T14:00:00Z"
    assert (event["rooms"], event["tracks"]) == ([], [])
    stored = (await client.get("/api/organizer/events/am-2027", headers=organizer)).json()
    assert stored["name"] == "Annual Meeting 2027"


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"end_date": "2027-04-13"}, 422, "end_date"),
        ({"timezone": "Mars/Olympus_Mons"}, 422, "timezone"),
        ({"timezone": "EST5EDT "}, 422, "timezone"),
        ({"registration_closes_at": "2026-11-01T00:00:00Z"}, 422, "registration_closes_at"),
        ({"registration_closes_at": "2027-04-20T00:00:00Z"}, 422, "registration_closes_at"),
        ({"registration_opens_at": "2024-01-01T00:00:00Z"}, 422, "registration_opens_at"),
        ({"registration_opens_at": "2026-11-02T09:00:00"}, 422, "registration_opens_at"),
        ({"start_date": "9999-12-31", "end_date": "9999-12-31"}, 422, "start_date"),
        ({"end_date": "2027-06-30"}, 422, "end_date"),
        ({"slug": "Not A Slug"}, 422, "slug"),
        ({"name": "   "}, 422, "name"),
        ({"name": "nul\u0000byte"}, 422, "name"),
        ({"kind": "rave"}, 422, "kind"),
        ({"currency": "dollars"}, 422, "currency"),
        ({"colour_scheme": "dark"}, 422, "colour_scheme"),
        ({"venue": ...}, 422, "venue"),
        ({"default_locale": "de"}, 422, "default_locale"),
        ({"translations": {"de": {"description": "Jahrestagung"}}}, 422, "translations.de"),
        ({"translations": {"es": {"description": "x" * 20_001}}}, 422, "translations.es.description"),
        ({"translations": {"es": {"name": "Reunión"}}}, 422, "translations.es.name"),
    ],
)
async def test_create_event_bad_input_names_the_field(
    client: Client, organizer: dict[str, str], overrides: dict[str, Any], status: int, field: str
) -> None:
    response = await create(client, organizer, **overrides)

    assert_problem(response, status, field)


async def test_create_event_malformed_json_is_400(client: Client, organizer: dict[str, str]) -> None:
    response = await client.post(
        "/api/events", content=b'{"slug": ', headers={**organizer, "content-type": "application/json"}
    )

    assert_problem(response, 400, None, "bad_request")


async def test_create_event_duplicate_slug_is_409(client: Client, organizer: dict[str, str]) -> None:
    await create(client, organizer, slug="twice-2027")

    response = await create(client, organizer, slug="twice-2027")

    assert_problem(response, 409, "slug", "conflict")


async def test_drafts_are_invisible_until_published(client: Client, organizer: dict[str, str]) -> None:
    slug = (await create(client, organizer)).json()["slug"]

    hidden = await client.get(f"/api/events/{slug}")
    listed_before = [e["slug"] for e in (await client.get("/api/events")).json()]
    published = await client.post(f"/api/events/{slug}/publish", headers=organizer)
    shown = await client.get(f"/api/events/{slug}")
    listed_after = [e["slug"] for e in (await client.get("/api/events")).json()]

    assert_problem(hidden, 404, "event", "not_found")
    assert slug not in listed_before
    assert published.json()["status"] == "published"
    assert published.json()["published_at"] is not None
    assert shown.json()["slug"] == slug
    assert slug in listed_after


async def test_event_description_round_trips_and_reads_in_the_visitors_language(
    client: Client, organizer: dict[str, str]
) -> None:
    translations = {"es": {"description": "  Reunión anual  "}, "fr": {"description": ""}}
    created = (await create(client, organizer, description="Annual meeting", translations=translations)).json()
    slug = created["slug"]
    await client.post(f"/api/events/{slug}/publish", headers=organizer)

    patched = await client.patch(
        f"/api/events/{slug}",
        json={"translations": {"es": {"description": "Reunión anual"}, "pt_BR": {"description": "Reunião anual"}}},
        headers=organizer,
    )
    spanish = await client.get(f"/api/events/{slug}", headers={"Accept-Language": "es-ES,es;q=0.9"})
    french = await client.get(f"/api/events/{slug}", headers={"Accept-Language": "fr"})
    english = await client.get(f"/api/events/{slug}")

    assert (created["default_locale"], created["translations"]) == ("en", {"es": {"description": "Reunión anual"}})
    assert patched.json()["description"] == "Annual meeting"
    assert set(patched.json()["translations"]) == {"es", "pt_BR"}
    assert (spanish.json()["description"], spanish.headers["content-language"]) == ("Reunión anual", "es")
    assert (french.json()["description"], french.headers["content-language"]) == ("Annual meeting", "fr")
    assert (english.json()["description"], english.headers["content-language"]) == ("Annual meeting", "en")
    assert spanish.headers["vary"] == "Accept-Language, Cookie"


async def test_status_transitions_and_archive_is_read_only(client: Client, organizer: dict[str, str]) -> None:
    slug = (await create(client, organizer)).json()["slug"]

    statuses = []
    for action in ("publish", "publish", "unpublish", "archive", "archive"):
        statuses.append((await client.post(f"/api/events/{slug}/{action}", headers=organizer)).json()["status"])
    republish = await client.post(f"/api/events/{slug}/publish", headers=organizer)
    edit = await client.patch(f"/api/events/{slug}", json={"name": "New name"}, headers=organizer)
    room = await client.post(f"/api/events/{slug}/rooms", json={"name": "A", "capacity": 1}, headers=organizer)
    unknown = await client.post(f"/api/events/{slug}/explode", headers=organizer)

    assert statuses == ["published", "published", "draft", "archived", "archived"]
    assert_problem(republish, 409, "status", "event_archived")
    assert_problem(edit, 409, "status", "event_archived")
    assert_problem(room, 409, "status", "event_archived")
    assert unknown.status_code in (404, 422)
    assert unknown.headers["content-type"] == "application/problem+json"


async def test_update_event_patches_only_what_was_sent(client: Client, organizer: dict[str, str]) -> None:
    slug = (await create(client, organizer)).json()["slug"]

    response = await client.patch(
        f"/api/events/{slug}", json={"name": "Renamed", "registration_opens_at": None}, headers=organizer
    )
    backwards = await client.patch(f"/api/events/{slug}", json={"start_date": "2027-05-01"}, headers=organizer)

    event = response.json()
    assert (event["name"], event["venue"], event["registration_opens_at"]) == (
        "Renamed",
        "Hynes Convention Center",
        None,
    )
    assert_problem(backwards, 422, "end_date")
    assert (await client.get(f"/api/organizer/events/{slug}", headers=organizer)).json()["start_date"] == "2027-04-14"


async def test_published_event_keeps_its_slug(client: Client, organizer: dict[str, str]) -> None:
    slug = (await create(client, organizer)).json()["slug"]
    await client.post(f"/api/events/{slug}/publish", headers=organizer)

    response = await client.patch(f"/api/events/{slug}", json={"slug": "something-else"}, headers=organizer)

    assert_problem(response, 409, "slug")


async def test_rooms_and_tracks_lifecycle(client: Client, organizer: dict[str, str]) -> None:
    slug = (await create(client, organizer)).json()["slug"]

    room = (
        await client.post(f"/api/events/{slug}/rooms", json={"name": "Ballroom A", "capacity": 3000}, headers=organizer)
    ).json()
    track = (
        await client.post(
            f"/api/events/{slug}/tracks", json={"name": "Basic Science", "colour": "#1F6FEB"}, headers=organizer
        )
    ).json()
    renamed = await client.patch(f"/api/events/{slug}/rooms/{room['id']}", json={"capacity": 2500}, headers=organizer)
    recoloured = await client.patch(
        f"/api/events/{slug}/tracks/{track['id']}", json={"colour": "#000000"}, headers=organizer
    )
    duplicate = await client.post(
        f"/api/events/{slug}/rooms", json={"name": "Ballroom A", "capacity": 1}, headers=organizer
    )
    negative = await client.post(f"/api/events/{slug}/rooms", json={"name": "B", "capacity": -1}, headers=organizer)
    bad_colour = await client.post(
        f"/api/events/{slug}/tracks", json={"name": "X", "colour": "blue"}, headers=organizer
    )
    deleted = await client.delete(f"/api/events/{slug}/tracks/{track['id']}", headers=organizer)
    missing = await client.delete(f"/api/events/{slug}/tracks/{track['id']}", headers=organizer)

    event = (await client.get(f"/api/organizer/events/{slug}", headers=organizer)).json()
    assert track["colour"] == "#1f6feb"
    assert renamed.json()["capacity"] == 2500
    assert recoloured.json()["colour"] == "#000000"
    assert_problem(duplicate, 409, "name")
    assert_problem(negative, 422, "capacity")
    assert_problem(bad_colour, 422, "colour")
    assert deleted.status_code == 204
    assert_problem(missing, 404, "track_id")
    assert [(r["name"], r["capacity"]) for r in event["rooms"]] == [("Ballroom A", 2500)]
    assert event["tracks"] == []


async def test_lists_filter_and_bound_their_parameters(client: Client, organizer: dict[str, str]) -> None:
    workshop = (await create(client, organizer, kind="workshop")).json()["slug"]
    await client.post(f"/api/events/{workshop}/publish", headers=organizer)
    draft = (await create(client, organizer)).json()["slug"]

    workshops = (await client.get("/api/events", params={"kind": "workshop"})).json()
    too_many = await client.get("/api/events", params={"limit": 100_000})
    drafts = (await client.get("/api/organizer/events", params={"status": "draft"}, headers=organizer)).json()

    assert {e["kind"] for e in workshops} == {"workshop"}
    assert workshop in [e["slug"] for e in workshops]
    assert_problem(too_many, 422, "limit")
    assert draft in [e["slug"] for e in drafts]


PROTECTED: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/api/events", {"json": {}}),
    ("PATCH", "/api/events/x-1", {"json": {}}),
    ("POST", "/api/events/x-1/publish", {}),
    ("POST", "/api/events/x-1/unpublish", {}),
    ("POST", "/api/events/x-1/archive", {}),
    ("POST", "/api/events/x-1/rooms", {"json": {}}),
    ("PATCH", "/api/events/x-1/rooms/00000000-0000-0000-0000-000000000000", {"json": {}}),
    ("DELETE", "/api/events/x-1/rooms/00000000-0000-0000-0000-000000000000", {}),
    ("POST", "/api/events/x-1/tracks", {"json": {}}),
    ("PATCH", "/api/events/x-1/tracks/00000000-0000-0000-0000-000000000000", {"json": {}}),
    ("DELETE", "/api/events/x-1/tracks/00000000-0000-0000-0000-000000000000", {}),
    ("GET", "/api/organizer/events", {}),
    ("GET", "/api/organizer/events/x-1", {}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), PROTECTED)
async def test_organizer_routes_refuse_anonymous_and_staff(
    client: Client, staff: dict[str, str], method: str, path: str, kwargs: dict[str, Any]
) -> None:
    anonymous = await client.request(method, path, **kwargs)
    as_staff = await client.request(method, path, headers=staff, **kwargs)
    bad_token = await client.request(method, path, headers={"Authorization": "Bearer nope"}, **kwargs)

    assert_problem(anonymous, 401, None, "not_authenticated")
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="podium"'
    assert_problem(as_staff, 403, None, "forbidden")
    assert_problem(bad_token, 401, None, "not_authenticated")
