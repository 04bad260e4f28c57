"""The organizer's program API: sessions, speakers and chairs, sequence bumps, publishing with conflicts,
cancelling; every bad input named; who may call what."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select, update

from podium.settings import Settings
from registration.models import StateChange
from sessions import services
from sessions.models import ProgramSession
from sessions.queries import ConflictsFound
from sessions.schemas import SessionCreate, SessionUpdate
from tests.asgi_client import Client
from tests.registration.factories import db_session_for
from tests.sessions.factories import ProgramEvent, at, build_program_event


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.fixture
async def program(settings: Settings) -> ProgramEvent:
    return await build_program_event(settings)


def assert_problem(response: httpx.Response, status: int, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem.get("field") == field
    return problem


async def add_speaker(client: Client, organizer: dict[str, str], program: ProgramEvent, name: str) -> str:
    body = {"name": name, "affiliation": "Univ", "email": f"{name.split()[0].lower()}@example.org"}
    response = await client.post(f"/api/events/{program.slug}/speakers", json=body, headers=organizer)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def add_session(
    client: Client, organizer: dict[str, str], program: ProgramEvent, **overrides: Any
) -> httpx.Response:
    body: dict[str, Any] = {
        "title": "Mitochondria in health",
        "kind": "symposium",
        "starts_at": at(1, 9),
        "ends_at": at(1, 10, 30),
        "room_id": str(program.rooms["Hall A"]),
        "track_id": str(program.tracks["Basic Science"]),
    }
    body.update(overrides)
    return await client.post(f"/api/events/{program.slug}/sessions", json=body, headers=organizer)


async def test_create_session_is_a_draft_with_the_rooms_capacity_and_people_in_order(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    ada = await add_speaker(client, organizer, program, "Ada Lovelace")
    grace = await add_speaker(client, organizer, program, "Grace Hopper")
    chair = await add_speaker(client, organizer, program, "Marie Curie")

    response = await add_session(
        client, organizer, program, speaker_ids=[grace, ada], chair_ids=[chair], credit_hours=1.5
    )

    session = response.json()
    assert response.status_code == 201, response.text
    assert (session["status"], session["sequence"], session["capacity"], session["effective_capacity"]) == (
        "draft",
        0,
        None,
        300,
    )
    assert [(p["name"], p["role"]) for p in session["people"]] == [
        ("Grace Hopper", "speaker"),
        ("Ada Lovelace", "speaker"),
        ("Marie Curie", "chair"),
    ]
    assert (session["local_start"], session["room"], session["track"]) == (
        "2027-03-14T09:00",
        "Hall A",
        "Basic Science",
    )
    assert session["starts_at"] == "2027-03-14T13:00:00Z"  # after the DST switch: UTC-4
    assert session["credit_hours"] == 1.5
    assert "email" not in str(session["people"])


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"ends_at": at(1, 9)}, 422, "ends_at"),
        ({"ends_at": at(3, 10)}, 422, "ends_at"),
        ({"starts_at": "2027-03-14T09:00:00"}, 422, "starts_at"),
        ({"title": "   "}, 422, "title"),
        ({"title": "x" * 301}, 422, "title"),
        ({"kind": "party"}, 422, "kind"),
        ({"capacity": -1}, 422, "capacity"),
        ({"credit_hours": 1.234}, 422, "credit_hours"),
        ({"room_id": "00000000-0000-4000-8000-000000000000"}, 422, "room_id"),
        ({"track_id": "00000000-0000-4000-8000-000000000000"}, 422, "track_id"),
        ({"required_add_on_id": "00000000-0000-4000-8000-000000000000"}, 422, "required_add_on_id"),
        ({"speaker_ids": ["00000000-0000-4000-8000-000000000000"]}, 422, "speaker_ids"),
        ({"status": "cancelled"}, 422, "status"),
        ({"colour": "red"}, 422, "colour"),
    ],
)
async def test_create_session_bad_input_names_the_field(
    client: Client, organizer: dict[str, str], program: ProgramEvent, overrides: dict[str, Any], status: int, field: str
) -> None:
    response = await add_session(client, organizer, program, **overrides)

    assert_problem(response, status, field)
    listed = await client.get(f"/api/organizer/events/{program.slug}/sessions", headers=organizer)
    assert listed.json() == []


async def test_required_add_on_must_be_this_events(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    foreign = await add_session(client, organizer, program, required_add_on_id=str(program.foreign_add_on))
    ours = await add_session(client, organizer, program, required_add_on_id=str(program.workshop_add_on))

    assert "sells" in assert_problem(foreign, 422, "required_add_on_id")["detail"]
    assert ours.json()["required_add_on_id"] == str(program.workshop_add_on)


async def test_a_speaker_listed_twice_is_refused(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    ada = await add_speaker(client, organizer, program, "Ada Lovelace")

    response = await add_session(client, organizer, program, speaker_ids=[ada, ada])

    assert_problem(response, 422, "speaker_ids")


async def test_sequence_bumps_on_time_room_title_status_and_not_on_other_changes(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    ada = await add_speaker(client, organizer, program, "Ada Lovelace")
    session = (await add_session(client, organizer, program, status="published")).json()
    url = f"/api/sessions/{session['id']}"
    sequences: list[tuple[str, int, bool]] = []
    last_changed = session["changed_at"]
    for label, body in [
        ("abstract", {"abstract": "Now with a typo fixed."}),
        ("speakers", {"speaker_ids": [ada]}),
        ("capacity", {"capacity": 120}),
        ("credits", {"credit_hours": 2}),
        ("track", {"track_id": str(program.tracks["Health Policy"])}),
        ("nothing", {"abstract": "Now with a typo fixed."}),
        ("title", {"title": "Mitochondria in disease"}),
        ("move", {"starts_at": at(1, 11), "ends_at": at(1, 12)}),
        ("room", {"room_id": str(program.rooms["Room 101"]), "capacity": None}),
    ]:
        response = await client.patch(url, json=body, headers=organizer)
        assert response.status_code == 200, (label, response.text)
        sequences.append((label, response.json()["sequence"], response.json()["changed_at"] != last_changed))
        last_changed = response.json()["changed_at"]
    cancelled = (await client.post(f"{url}/cancel", headers=organizer)).json()

    assert sequences == [
        ("abstract", 0, True),
        ("speakers", 0, True),
        ("capacity", 0, True),
        ("credits", 0, True),
        ("track", 0, True),
        ("nothing", 0, False),
        ("title", 1, True),
        ("move", 2, True),
        ("room", 3, True),
    ]
    assert (cancelled["status"], cancelled["sequence"]) == ("cancelled", 4)


async def test_changed_fields_are_reported_to_the_change_hook(settings: Settings, program: ProgramEvent) -> None:
    async with db_session_for(settings) as db_session:
        created = await services.create_session(
            db_session,
            program.slug,
            SessionCreate(title="Talk", starts_at=instant(at(1, 9)), ends_at=instant(at(1, 10))),
            actor="test",
        )

        _, changed = await services.update_session(
            db_session, created.id, SessionUpdate(ends_at=instant(at(1, 11)), abstract="More."), actor="test"
        )

    assert changed == frozenset({"ends_at", "abstract"})


async def test_drafts_keep_sequence_zero_until_published(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    session = (await add_session(client, organizer, program)).json()
    url = f"/api/sessions/{session['id']}"
    await client.patch(url, json={"title": "Renamed draft"}, headers=organizer)

    published = await client.post(f"{url}/publish", headers=organizer)

    assert (published.json()["status"], published.json()["sequence"]) == ("published", 0)


async def test_publishing_a_conflicting_session_is_refused_unless_overridden(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    first = (await add_session(client, organizer, program, status="published")).json()
    second = (await add_session(client, organizer, program, title="Clash", starts_at=at(1, 10))).json()
    url = f"/api/sessions/{second['id']}/publish"

    refused = await client.post(url, json={}, headers=organizer)
    still = await client.get(f"/api/organizer/events/{program.slug}/sessions", headers=organizer)
    overridden = await client.post(url, json={"override_conflicts": True}, headers=organizer)

    problem = assert_problem(refused, 409, "override_conflicts")
    assert problem["code"] == "program_conflicts"
    assert [e["field"] for e in problem["errors"]] == ["room_double_booked"]
    assert "Hall A is double-booked" in problem["errors"][0]["message"]
    assert {s["title"]: s["status"] for s in still.json()} == {first["title"]: "published", "Clash": "draft"}
    assert overridden.json()["status"] == "published"
    report = await client.get(f"/api/events/{program.slug}/conflicts", headers=organizer)
    assert [(c["kind"], set(c["session_ids"])) for c in report.json()] == [
        ("room_double_booked", {first["id"], second["id"]})
    ]


async def test_moving_a_published_session_into_a_conflict_needs_an_override(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    await add_session(client, organizer, program, status="published")
    other = (
        await add_session(
            client, organizer, program, title="Later", starts_at=at(1, 11), ends_at=at(1, 12), status="published"
        )
    ).json()
    url = f"/api/sessions/{other['id']}"

    refused = await client.patch(url, json={"starts_at": at(1, 10)}, headers=organizer)
    touching = await client.patch(url, json={"starts_at": at(1, 10, 30)}, headers=organizer)
    forced = await client.patch(url, json={"starts_at": at(1, 10), "override_conflicts": True}, headers=organizer)

    assert_problem(refused, 409, "override_conflicts")
    assert touching.json()["local_start"] == "2027-03-14T10:30"
    assert forced.json()["local_start"] == "2027-03-14T10:00"


async def test_publish_all_drafts_is_all_or_nothing(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    ada = await add_speaker(client, organizer, program, "Ada Lovelace")
    await add_session(client, organizer, program, speaker_ids=[ada])
    await add_session(
        client, organizer, program, title="Elsewhere", room_id=str(program.rooms["Room 101"]), speaker_ids=[ada]
    )
    await add_session(client, organizer, program, title="Fine", starts_at=at(2, 9), ends_at=at(2, 10))
    url = f"/api/events/{program.slug}/sessions/publish"

    refused = await client.post(url, json={}, headers=organizer)
    listed = (await client.get(f"/api/organizer/events/{program.slug}/sessions", headers=organizer)).json()
    forced = await client.post(url, json={"override_conflicts": True}, headers=organizer)

    assert [e["field"] for e in assert_problem(refused, 409, "override_conflicts")["errors"]] == [
        "person_double_booked"
    ]
    assert {s["status"] for s in listed} == {"draft"}
    assert forced.json()["published"] == 3


async def test_capacity_above_the_room_is_allowed_in_a_draft_but_blocks_publishing(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    draft = await add_session(client, organizer, program, room_id=str(program.rooms["Room 101"]), capacity=41)
    published = await add_session(
        client, organizer, program, starts_at=at(2, 9), ends_at=at(2, 10), capacity=400, status="published"
    )

    assert draft.json()["effective_capacity"] == 41
    assert [e["field"] for e in assert_problem(published, 409, "override_conflicts")["errors"]] == [
        "capacity_above_room"
    ]


async def test_sessions_outside_the_event_days_are_reported(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    await add_session(client, organizer, program, starts_at=at(4, 9), ends_at=at(4, 10))

    report = await client.get(f"/api/events/{program.slug}/conflicts", headers=organizer)

    assert [c["kind"] for c in report.json()] == ["outside_event_days"]


async def test_cancel_rules_and_delete_only_drafts(
    client: Client, organizer: dict[str, str], program: ProgramEvent, settings: Settings
) -> None:
    draft = (await add_session(client, organizer, program)).json()
    live = (
        await add_session(client, organizer, program, starts_at=at(2, 9), ends_at=at(2, 10), status="published")
    ).json()

    cancel_draft = await client.post(f"/api/sessions/{draft['id']}/cancel", headers=organizer)
    delete_live = await client.delete(f"/api/sessions/{live['id']}", headers=organizer)
    delete_draft = await client.delete(f"/api/sessions/{draft['id']}", headers=organizer)
    cancel_live = await client.post(f"/api/sessions/{live['id']}/cancel", headers=organizer)
    edit_cancelled = await client.patch(f"/api/sessions/{live['id']}", json={"title": "x"}, headers=organizer)
    reinstated = await client.post(f"/api/sessions/{live['id']}/publish", json={}, headers=organizer)

    assert_problem(cancel_draft, 409, "status")
    assert_problem(delete_live, 409, "status")
    assert delete_draft.status_code == 204
    assert cancel_live.json()["status"] == "cancelled"
    assert_problem(edit_cancelled, 409, "status")
    assert (reinstated.json()["status"], reinstated.json()["sequence"]) == ("published", 2)
    async with db_session_for(settings) as db_session:
        trail = (
            await db_session.execute(
                select(StateChange.from_status, StateChange.to_status)
                .where(StateChange.entity_id == live["id"])
                .order_by(StateChange.created_at)
            )
        ).all()
    assert [tuple(t) for t in trail] == [(None, "published"), ("published", "cancelled"), ("cancelled", "published")]


async def test_speakers_are_unique_per_event_and_emails_stay_private(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    ada = await add_speaker(client, organizer, program, "Ada Lovelace")
    again = await client.post(f"/api/events/{program.slug}/speakers", json={"name": "Ada Lovelace"}, headers=organizer)
    bad_email = await client.post(
        f"/api/events/{program.slug}/speakers", json={"name": "B", "email": "not-an-email"}, headers=organizer
    )
    renamed = await client.patch(
        f"/api/events/{program.slug}/speakers/{ada}", json={"name": "Ada King"}, headers=organizer
    )
    listed = await client.get(f"/api/events/{program.slug}/speakers", headers=organizer)

    assert_problem(again, 409, "name")
    assert_problem(bad_email, 422, "email")
    assert renamed.json()["name"] == "Ada King"
    assert [(s["name"], s["email"]) for s in listed.json()] == [("Ada King", "ada@example.org")]


async def test_organizer_routes_need_an_organizer(client: Client, staff: dict[str, str], program: ProgramEvent) -> None:
    anonymous = await add_session(client, {}, program)
    as_staff = await add_session(client, staff, program)
    conflicts = await client.get(f"/api/events/{program.slug}/conflicts", headers=staff)
    speakers = await client.get(f"/api/events/{program.slug}/speakers")

    assert (anonymous.status_code, as_staff.status_code, conflicts.status_code, speakers.status_code) == (
        401,
        403,
        403,
        401,
    )


async def test_unknown_event_and_session_are_404(client: Client, organizer: dict[str, str]) -> None:
    event = await client.post("/api/events/no-such-event/sessions", json={}, headers=organizer)
    session = await client.patch("/api/sessions/00000000-0000-4000-8000-000000000000", json={}, headers=organizer)

    assert event.status_code in (404, 422)
    assert_problem(session, 404, "session_id")


async def test_racing_moves_into_the_same_free_slot_succeed_exactly_once(
    client: Client, organizer: dict[str, str], program: ProgramEvent, settings: Settings
) -> None:
    moved = [
        (
            await add_session(
                client,
                organizer,
                program,
                title=f"Talk {i}",
                starts_at=at(2, 8 + i),
                ends_at=at(2, 9 + i),
                status="published",
            )
        ).json()["id"]
        for i in range(8)
    ]

    async def move(session_id: str) -> str:
        async with db_session_for(settings) as db_session:
            try:
                await services.update_session(
                    db_session,
                    UUID(session_id),
                    SessionUpdate(starts_at=instant(at(1, 14)), ends_at=instant(at(1, 15))),
                    actor="race",
                )
                await db_session.commit()  # the caller owns the transaction; the program lock lasts until here
            except ConflictsFound:
                return "refused"
            return "moved"

    outcomes = await asyncio.gather(*(move(i) for i in moved))
    report = (await client.get(f"/api/events/{program.slug}/conflicts", headers=organizer)).json()

    assert sorted(outcomes) == ["moved"] + ["refused"] * 7
    assert report == []


async def test_moving_to_a_smaller_room_than_the_reserved_seats_is_refused(
    client: Client, organizer: dict[str, str], program: ProgramEvent, settings: Settings
) -> None:
    session = (await add_session(client, organizer, program)).json()
    async with db_session_for(settings) as db_session:
        await db_session.execute(
            update(ProgramSession).where(ProgramSession.id == UUID(session["id"])).values(seats_taken=41)
        )
        await db_session.commit()

    moved = await client.patch(
        f"/api/sessions/{session['id']}", json={"room_id": str(program.rooms["Room 101"])}, headers=organizer
    )
    shrunk = await client.patch(f"/api/sessions/{session['id']}", json={"capacity": 40}, headers=organizer)

    assert "41 seats are already reserved" in assert_problem(moved, 409, "room_id")["detail"]
    assert_problem(shrunk, 409, "capacity")
