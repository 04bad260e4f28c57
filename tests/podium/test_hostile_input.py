"""An attacker's probes, each answered with a clear 4xx problem (status, code, field) and nothing written:
non-ASCII link secrets, JSON nested 1,000 deep, oversized bodies, NUL characters, loosely typed values,
and deletes of rows that others still use."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from events.models import Room, Track
from podium.main.app import JSON_BODY_LIMIT
from podium.settings import Settings
from registration.models import AddOn, Order
from sessions.models import ProgramSession
from tests.asgi_client import Client
from tests.registration.factories import CatalogFixture, attendee, build_catalog, db_session_for, order_body
from tests.sessions.factories import ProgramEvent, at, build_program_event

NOT_ASCII = "%C3%A9t%C3%A9"  # "été", percent-encoded as a browser sends it


@pytest.fixture
async def catalog(settings: Settings) -> CatalogFixture:
    async with db_session_for(settings) as db_session:
        return await build_catalog(db_session, workshop_seats=1)


@pytest.fixture
async def program(settings: Settings) -> ProgramEvent:
    return await build_program_event(settings)


async def count(settings: Settings, model: Any, *where: Any) -> int:
    async with db_session_for(settings) as db_session:
        return int(await db_session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def problem(response: Any) -> tuple[int, str, str | None]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body = response.json()
    return response.status_code, body["code"], body.get("field")


# --------------------------------------------------------------------------------------------- link secrets


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/orders/{order}?secret={bad}", "order"),
        ("/orders/{order}?secret={bad}", "order"),
        ("/api/orders/{order}/receipt.pdf?secret={bad}", "order"),
        ("/registrations/{registration}?secret={bad}", "registration_id"),
        ("/api/registrations/{registration}/agenda?secret={bad}", "registration_id"),
        ("/api/registrations/{registration}/badge?secret={bad}", "registration_id"),
        ("/api/registrations/{registration}/badge.pdf?secret={bad}", "registration_id"),
        ("/api/waitlist/{entry}?token={bad}", "entry"),
        ("/events/{slug}/waitlist/{entry}?token={bad}", "entry"),
        ("/api/agenda/{bad}.ics", "token"),
    ],
)
async def test_link_secret_not_ascii_is_a_plain_404(
    client: Client, catalog: CatalogFixture, url: str, field: str
) -> None:
    order = await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee(add_ons=["workshop"])))
    entry = await client.post(
        f"/api/events/{catalog.slug}/waitlist", json={"email": "w@example.org", "name": "W", "add_on": "workshop"}
    )
    ids = {
        "order": order.json()["id"],
        "registration": order.json()["registrations"][0]["id"],
        "entry": entry.json()["id"],
        "slug": catalog.slug,
    }

    response = await client.get(url.format(bad=NOT_ASCII, **ids))

    assert problem(response) == (404, "not_found", field)


async def test_order_secret_header_not_ascii_is_a_plain_404(client: Client, catalog: CatalogFixture) -> None:
    order = (await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee()))).json()

    response = await client.get(f"/api/orders/{order['id']}", headers={b"X-Order-Secret": "été".encode()})
    right = await client.get(f"/api/orders/{order['id']}", headers={"X-Order-Secret": order["secret"]})

    assert problem(response) == (404, "not_found", "order")
    assert right.status_code == 200


# --------------------------------------------------------------------------------------------- JSON bodies


async def test_json_nested_a_thousand_deep_is_a_400(
    client: Client, catalog: CatalogFixture, settings: Settings
) -> None:
    deep = "[" * 1000 + "]" * 1000
    deep_answer = json.dumps(order_body(attendee(answers={"dietary": json.loads("[" * 40 + "]" * 40)})))

    responses = [
        await client.post(
            f"/api/events/{catalog.slug}/orders", content=body, headers={"content-type": "application/json"}
        )
        for body in (deep, deep_answer)
    ]

    assert [problem(r) for r in responses] == [(400, "json_too_deep", "body")] * 2
    assert await count(settings, Order, Order.event_id == catalog.event_id) == 0


async def test_json_body_over_the_limit_is_a_413(client: Client, catalog: CatalogFixture, settings: Settings) -> None:
    body = json.dumps(order_body(attendee(), buyer_name="x" * JSON_BODY_LIMIT))

    response = await client.post(
        f"/api/events/{catalog.slug}/orders", content=body, headers={"content-type": "application/json"}
    )

    assert problem(response) == (413, "payload_too_large", None)
    assert await count(settings, Order, Order.event_id == catalog.event_id) == 0


async def test_csv_upload_may_exceed_the_json_limit_up_to_its_own(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    url = f"/api/events/{program.slug}/sessions.csv"
    just_over_two_mb = b"title,date,start,end\n" + b"x" * 2_000_000
    far_over = b"title,date,start,end\n" + b"x" * 3_000_000

    readable = await client.post(url, content=just_over_two_mb, headers={**organizer, "content-type": "text/csv"})
    refused = await client.post(url, content=far_over, headers={**organizer, "content-type": "text/csv"})

    assert problem(readable) == (422, "csv_invalid", "line 0: file")
    assert readable.json()["errors"][0] == {"field": "line 0: file", "message": "the file is larger than 2 MB"}
    assert problem(refused) == (413, "payload_too_large", None)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"buyer_name": "Grace\x00Hopper"}, "buyer_name"),
        ({"attendees": [attendee(answers={"dietary": "none\x00"})]}, "attendees[0].answers.dietary"),
        ({"attendees": [attendee(answers={"diet\x00": "none"})]}, "attendees[0].answers"),
        ({"attendees": [attendee(add_ons=["work\x00shop"])]}, "attendees[0].add_ons[0]"),
    ],
)
async def test_nul_in_a_json_string_is_a_422_naming_it(
    client: Client, catalog: CatalogFixture, settings: Settings, overrides: dict[str, Any], field: str
) -> None:
    response = await client.post(f"/api/events/{catalog.slug}/orders", json=order_body(attendee(), **overrides))

    assert problem(response) == (422, "invalid_input", field)
    assert await count(settings, Order, Order.event_id == catalog.event_id) == 0


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/events/{slug}/registrations", "q=ada%00", "q"),
        ("/api/events/{slug}/registrations", "category=member%00", "category"),
        ("/api/events/{slug}/registrations", "status=held&q=%00", "q"),
        ("/api/events/{slug}/registrations.csv", "q=%00", "q"),
    ],
)
async def test_nul_in_a_query_parameter_is_a_422_naming_it(
    client: Client, catalog: CatalogFixture, organizer: dict[str, str], path: str, query: str, field: str
) -> None:
    response = await client.get(f"{path.format(slug=catalog.slug)}?{query}", headers=organizer)

    assert problem(response) == (422, "invalid_input", field)


async def test_nul_in_a_query_parameter_nobody_reads_is_ignored(client: Client, catalog: CatalogFixture) -> None:
    response = await client.get(f"/api/events/{catalog.slug}/catalog?utm%00=%00")

    assert (response.status_code, response.json()["event"]) == (200, catalog.slug)


async def test_nul_in_the_program_search_is_a_422(client: Client, program: ProgramEvent) -> None:
    response = await client.get(f"/api/events/{program.slug}/sessions", params={"q": "cell\x00"})

    assert problem(response) == (422, "invalid_input", "q")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"override_conflicts": 0}, "override_conflicts"),
        ({"override_conflicts": "true"}, "override_conflicts"),
        ({"starts_at": 1_805_000_000}, "starts_at"),
        ({"capacity": "40"}, "capacity"),
        ({"credit_hours": True}, "credit_hours"),
    ],
)
async def test_loosely_typed_json_is_a_422(
    client: Client,
    organizer: dict[str, str],
    program: ProgramEvent,
    settings: Settings,
    overrides: dict[str, Any],
    field: str,
) -> None:
    body = {"title": "Keynote", "starts_at": at(0, 9), "ends_at": at(0, 10), **overrides}

    response = await client.post(f"/api/events/{program.slug}/sessions", json=body, headers=organizer)

    assert problem(response) == (422, "invalid_input", field)
    assert await count(settings, ProgramSession, ProgramSession.event_id == program.event_id) == 0


async def test_add_on_amount_as_a_string_is_a_422(
    client: Client, organizer: dict[str, str], catalog: CatalogFixture, settings: Settings
) -> None:
    body = {"code": "dinner", "name": "Dinner", "amount": "10"}

    response = await client.post(f"/api/events/{catalog.slug}/add-ons", json=body, headers=organizer)

    assert problem(response) == (422, "invalid_input", "amount")
    assert await count(settings, AddOn, AddOn.event_id == catalog.event_id, AddOn.code == "dinner") == 0


# --------------------------------------------------------------------------------------------- deletes


async def test_deleting_an_add_on_sessions_require_is_a_409_naming_them(
    client: Client, organizer: dict[str, str], program: ProgramEvent, settings: Settings
) -> None:
    for hour in (9, 11):
        body = {
            "title": f"Workshop at {hour}",
            "starts_at": at(1, hour),
            "ends_at": at(1, hour + 1),
            "required_add_on_id": str(program.workshop_add_on),
        }
        assert (await client.post(f"/api/events/{program.slug}/sessions", json=body, headers=organizer)).is_success

    response = await client.delete(f"/api/events/{program.slug}/add-ons/{program.workshop_add_on}", headers=organizer)

    assert problem(response) == (409, "in_use", "add_on_id")
    assert response.json()["detail"] == "2 program sessions refer to this add-on: change or remove them first"
    assert await count(settings, AddOn, AddOn.id == program.workshop_add_on) == 1


@pytest.mark.parametrize(("kind", "model"), [("rooms", Room), ("tracks", Track)])
async def test_deleting_a_room_or_track_in_use_is_a_409_and_keeps_the_session_there(
    client: Client, organizer: dict[str, str], program: ProgramEvent, settings: Settings, kind: str, model: Any
) -> None:
    room, track = program.rooms["Hall A"], program.tracks["Basic Science"]
    placed = {"room_id": str(room), "track_id": str(track)}
    body = {"title": "Plenary", "starts_at": at(1, 9), "ends_at": at(1, 10), **placed}
    session = (await client.post(f"/api/events/{program.slug}/sessions", json=body, headers=organizer)).json()
    target = room if kind == "rooms" else track

    response = await client.delete(f"/api/events/{program.slug}/{kind}/{target}", headers=organizer)
    unused = program.rooms["Room 101"] if kind == "rooms" else program.tracks["Health Policy"]
    removed = await client.delete(f"/api/events/{program.slug}/{kind}/{unused}", headers=organizer)

    field = "room_id" if kind == "rooms" else "track_id"
    assert problem(response) == (409, "in_use", field)
    assert response.json()["detail"] == f"1 program session refers to this {kind[:-1]}: change or remove it first"
    assert removed.status_code == 204
    assert await count(settings, model, model.event_id == program.event_id) == 1
    kept = await count(
        settings, ProgramSession, ProgramSession.id == session["id"], getattr(ProgramSession, field) == target
    )
    assert kept == 1
