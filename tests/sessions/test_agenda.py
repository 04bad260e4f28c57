"""Personal agendas through the API: picks, overlaps, seats for limited and add-on sessions (raced on the
real database), seats given back on removal and cancellation, secret links that open one agenda only, the
private feed with 304 and revocation, and change mails for agenda holders."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import select, update

from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from registration.links.tokens import registration_secret
from registration.models import Registration
from sessions.models import AgendaItem, ProgramSession
from tests.asgi_client import BASE_URL, Client
from tests.registration.factories import db_session_for, outbox_mails
from tests.sessions.factories import ProgramEvent, at, build_program_event, confirmed_attendees, create_session

HTML = {"Accept": "text/html"}


@pytest.fixture
async def program(settings: Settings) -> ProgramEvent:
    return await build_program_event(settings)


def secret_of(settings: Settings, registration_id: UUID, version: int = 1) -> dict[str, str]:
    return {"X-Registration-Secret": registration_secret(settings.secret_key, registration_id, version)}


async def published(client: Client, organizer: dict[str, str], program: ProgramEvent, **overrides: Any) -> str:
    fields: dict[str, Any] = {
        "title": "Mitochondria in health",
        "kind": "symposium",
        "ends_at": at(1, 10, 30),
        "room_id": str(program.rooms["Hall A"]),
    }
    return await create_session(client, organizer, program, **(fields | overrides))


def assert_problem(response: httpx.Response, status: int, field: str | None, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem.get("field") == field
    if code is not None:
        assert problem.get("code") == code, problem


async def seats_taken(settings: Settings, session_id: str) -> int:
    async with db_session_for(settings) as db_session:
        value = await db_session.scalar(select(ProgramSession.seats_taken).where(ProgramSession.id == UUID(session_id)))
        assert value is not None
        return value


async def test_picks_flag_overlaps_reserve_limited_seats_and_give_them_back(
    client: Client, organizer: dict[str, str], program: ProgramEvent, settings: Settings
) -> None:
    plenary = await published(client, organizer, program, title="Plenary")  # Hall A: 300 seats
    clash = await published(
        client, organizer, program, title="Clash", starts_at=at(1, 10), ends_at=at(1, 11), room_id=None
    )
    touching = await published(
        client, organizer, program, title="Touching", starts_at=at(1, 10, 30), ends_at=at(1, 12), room_id=None
    )
    [person] = await confirmed_attendees(settings, program.event_id, 1)
    url = f"/api/registrations/{person}/agenda"
    me = secret_of(settings, person)

    for session_id in (plenary, clash, touching, plenary):
        response = await client.post(url, json={"session_id": session_id}, headers=me)
        assert response.status_code == 200, response.text
    agenda = response.json()
    by_title = {e["session"]["title"]: e for e in agenda["entries"]}
    assert list(by_title) == ["Plenary", "Clash", "Touching"]
    assert by_title["Plenary"]["reserved"] is True
    assert by_title["Clash"]["reserved"] is False  # no room, no capacity: nothing to reserve
    assert by_title["Plenary"]["overlaps"] == [clash]
    assert sorted(by_title["Clash"]["overlaps"]) == sorted([plenary, touching])
    assert by_title["Touching"]["overlaps"] == [clash]  # touching the plenary's end is not an overlap
    assert agenda["overlapping"] == 3
    assert await seats_taken(settings, plenary) == 1  # picked twice, one seat

    removed = await client.delete(f"{url}/{plenary}", headers=me)
    again = await client.delete(f"{url}/{plenary}", headers=me)
    assert removed.status_code == again.status_code == 200
    assert [e["session"]["title"] for e in again.json()["entries"]] == ["Clash", "Touching"]
    assert await seats_taken(settings, plenary) == 0


async def test_full_add_on_cancelled_and_foreign_sessions_are_refused_clearly(
    client: Client, organizer: dict[str, str], program: ProgramEvent, settings: Settings
) -> None:
    tiny = await published(client, organizer, program, title="Tiny", capacity=1)
    workshop = await published(
        client,
        organizer,
        program,
        title="Grant workshop",
        starts_at=at(2, 9),
        ends_at=at(2, 12),
        room_id=str(program.rooms["Room 101"]),
        required_add_on_id=str(program.workshop_add_on),
    )
    gone = await published(client, organizer, program, title="Gone", starts_at=at(2, 14), ends_at=at(2, 15))
    draft = await published(
        client, organizer, program, title="Draft", starts_at=at(2, 16), ends_at=at(2, 17), status="draft"
    )
    await client.post(f"/api/sessions/{gone}/cancel", headers=organizer)
    first, second = await confirmed_attendees(settings, program.event_id, 2)
    [booked] = await confirmed_attendees(settings, program.event_id, 1, add_on=program.workshop_add_on)

    async def add(person: UUID, session_id: str) -> httpx.Response:
        return await client.post(
            f"/api/registrations/{person}/agenda", json={"session_id": session_id}, headers=secret_of(settings, person)
        )

    assert (await add(first, tiny)).status_code == 200
    assert_problem(await add(second, tiny), 409, "session_id", "session_full")
    assert_problem(await add(first, workshop), 409, "session_id", "add_on_required")
    assert (await add(booked, workshop)).json()["entries"][0]["reserved"] is True
    assert_problem(await add(first, gone), 409, "session_id", "session_cancelled")
    assert_problem(await add(first, draft), 404, "session_id")
    assert_problem(await add(first, "not-a-uuid"), 422, "session_id")
    body = await client.post(
        f"/api/registrations/{first}/agenda", json={"session": tiny}, headers=secret_of(settings, first)
    )
    assert body.status_code in (400, 422) and body.headers["content-type"] == "application/problem+json"
    assert "session" in body.json()["detail"]
    assert await seats_taken(settings, tiny) == 1
    assert await seats_taken(settings, workshop) == 1


async def test_a_secret_opens_its_own_agenda_only(
    client: Client, organizer: dict[str, str], staff: dict[str, str], program: ProgramEvent, settings: Settings
) -> None:
    session_id = await published(client, organizer, program)
    mine, theirs = await confirmed_attendees(settings, program.event_id, 2)
    url = f"/api/registrations/{theirs}/agenda"

    assert_problem(await client.get(url, headers=secret_of(settings, mine)), 404, "registration_id")
    assert_problem(await client.get(url, headers={"X-Registration-Secret": "guess"}), 404, "registration_id")
    assert_problem(await client.get(url), 404, "registration_id")
    assert_problem(await client.get(url, headers=staff), 404, "registration_id")
    stolen = await client.post(url, json={"session_id": session_id}, headers=secret_of(settings, mine))
    assert_problem(stolen, 404, "registration_id")
    assert (await client.get(url, headers=organizer)).status_code == 200
    assert (await client.get(f"{url}?secret={registration_secret(settings.secret_key, theirs, 1)}")).status_code == 200
    assert await seats_taken(settings, session_id) == 0


@pytest.mark.parametrize("capacity", [5])
async def test_racing_picks_for_the_last_seats_never_exceed_capacity(
    client: Client, organizer: dict[str, str], program: ProgramEvent, settings: Settings, capacity: int
) -> None:
    session_id = await published(client, organizer, program, title="Hot topic", capacity=capacity)
    people = await confirmed_attendees(settings, program.event_id, 40)

    async def pick(person: UUID) -> httpx.Response:
        return await client.post(
            f"/api/registrations/{person}/agenda", json={"session_id": session_id}, headers=secret_of(settings, person)
        )

    # Every attendee twice at once: a double click must not take two seats either.
    responses = await asyncio.gather(*(pick(p) for p in people + people))
    statuses = [r.status_code for r in responses]
    assert all(s in (200, 409) for s in statuses), statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"session_full"}
    async with db_session_for(settings) as db_session:
        holders = (
            await db_session.scalars(
                select(AgendaItem.registration_id).where(AgendaItem.session_id == UUID(session_id))
            )
        ).all()
    assert len(holders) == len(set(holders)) == capacity
    assert await seats_taken(settings, session_id) == capacity


async def test_cancelling_a_registration_gives_its_seats_back(
    client: Client, organizer: dict[str, str], program: ProgramEvent, settings: Settings
) -> None:
    session_id = await published(client, organizer, program, capacity=1)
    leaver, waiting = await confirmed_attendees(settings, program.event_id, 2)
    me = secret_of(settings, leaver)
    assert (
        await client.post(f"/api/registrations/{leaver}/agenda", json={"session_id": session_id}, headers=me)
    ).is_success
    async with db_session_for(settings) as db_session:
        order_id = (await db_session.get_one(Registration, leaver)).order_id

    cancelled = await client.post(f"/api/orders/{order_id}/registrations/{leaver}/cancel", headers=organizer)
    assert cancelled.status_code == 200, cancelled.text
    assert await seats_taken(settings, session_id) == 0
    refused = await client.post(f"/api/registrations/{leaver}/agenda", json={"session_id": session_id}, headers=me)
    assert_problem(refused, 409, "registration_id", "registration_not_active")
    taken = await client.post(
        f"/api/registrations/{waiting}/agenda", json={"session_id": session_id}, headers=secret_of(settings, waiting)
    )
    assert taken.status_code == 200


async def test_the_private_feed_answers_304_and_dies_when_revoked(
    client: Client, organizer: dict[str, str], program: ProgramEvent, settings: Settings
) -> None:
    session_id = await published(client, organizer, program, title="Feed me")
    [person] = await confirmed_attendees(settings, program.event_id, 1)
    me = secret_of(settings, person)
    agenda = (
        await client.post(f"/api/registrations/{person}/agenda", json={"session_id": session_id}, headers=me)
    ).json()
    feed_url = agenda["feed"]["url"]
    assert agenda["feed"]["webcal_url"] == "webcal://" + feed_url.split("://", 1)[1]
    path = "/" + feed_url.split("/", 3)[3]

    first = await client.get(path)
    assert first.status_code == 200
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "private" in first.headers["cache-control"]
    [event] = Calendar.from_ical(first.content).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Feed me"
    cached = await client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""

    await client.patch(f"/api/sessions/{session_id}", json={"title": "Fed"}, headers=organizer)
    changed = await client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and b"SUMMARY:Fed" in changed.content

    revoked = (await client.post(f"/api/registrations/{person}/agenda/feed/revoke", headers=me)).json()
    assert revoked["feed"]["url"] != feed_url
    assert (await client.get(path)).status_code == 404
    assert (await client.get("/" + revoked["feed"]["url"].split("/", 3)[3])).status_code == 200
    for forged in ("nope.ics", path.rsplit("/", 1)[1].replace(".ics", ""), "A" * 46 + ".ics"):
        assert (await client.get(f"/api/agenda/{forged}")).status_code == 404


async def test_agenda_holders_get_one_mail_per_change(
    client: Client, organizer: dict[str, str], program: ProgramEvent, settings: Settings
) -> None:
    moved = await published(client, organizer, program, title="Moving target")
    untouched = await published(client, organizer, program, title="Nobody's", starts_at=at(2, 9), ends_at=at(2, 10))
    holder, _bystander = await confirmed_attendees(settings, program.event_id, 2)
    async with db_session_for(settings) as db_session:  # they registered from Singapore (podium.reader_zone)
        await db_session.execute(
            update(Registration).where(Registration.id == holder).values(time_zone="Asia/Singapore")
        )
        await db_session.commit()
    await client.post(
        f"/api/registrations/{holder}/agenda", json={"session_id": moved}, headers=secret_of(settings, holder)
    )

    await client.patch(f"/api/sessions/{moved}", json={"starts_at": at(1, 14), "ends_at": at(1, 15)}, headers=organizer)
    await client.patch(f"/api/sessions/{moved}", json={"abstract": "typo fixed"}, headers=organizer)
    await client.patch(f"/api/sessions/{untouched}", json={"title": "Still nobody's"}, headers=organizer)
    await client.post(f"/api/sessions/{moved}/cancel", headers=organizer)

    async with db_session_for(settings) as db_session:
        found = await outbox_mails(db_session, OutboxMessage.dedupe_key.like(f"session-change:{moved}:%"))
    recipients = {row.to_address for row, _ in found}
    mails = [mail for _, mail in found]
    assert [m.subject for m in mails] == ["Program change: Moving target", "Cancelled: Moving target"]
    assert "14:00 to 15:00 (America/New_York) in Hall A." in mails[0].text
    # 14:00 in New York (EDT) on March 14 is 02:00 on March 15 in Singapore.
    assert "(02:00 +1\u201303:00 +1 your time, Asia/Singapore)" in mails[0].text
    assert '<time datetime="2027-03-15T02:00:00+08:00">02:00 +1</time>' in mails[0].html
    assert "your time" not in mails[1].text  # the cancellation names no time
    assert f"{{registration_link:{holder}:1}}" in mails[0].text
    async with db_session_for(settings) as db_session:
        holder_email = (await db_session.get_one(Registration, holder)).email
    assert recipients == {holder_email}


async def test_the_zone_picker_shows_the_agenda_in_the_chosen_zone_too(
    client: Client, organizer: dict[str, str], program: ProgramEvent, settings: Settings
) -> None:
    """No script needed: the form stores the zone; a name that is no zone stores "the event's time only", and
    the picker never sends a reader off the site."""
    session = await published(client, organizer, program, title="Picked late")
    (holder,) = await confirmed_attendees(settings, program.event_id, 1)
    secret = registration_secret(settings.secret_key, holder, 1)
    await client.post(
        f"/api/registrations/{holder}/agenda", json={"session_id": session}, headers=secret_of(settings, holder)
    )
    page = f"/registrations/{holder}?secret={secret}"
    client.cookies.clear()
    before = await client.get(page, headers=HTML)

    async def pick(zone: str, next_page: str) -> httpx.Response:
        return await client.post(
            "/time-zone",
            data={"zone": zone, "next": next_page, "_csrf_token": client.cookies["podium_csrf"]},
            headers={**HTML, "Origin": BASE_URL},
            follow_redirects=False,
        )

    chosen = await pick("Asia/Singapore", page)
    after = await client.get(page, headers=HTML)
    refused = await pick("Asia/Atlantis", "//evil.example/")
    plain = await client.get(page, headers=HTML)

    assert '<option value="Asia/Singapore">Asia/Singapore</option>' in before.text and "your time" not in before.text
    assert (chosen.status_code, chosen.headers["location"]) == (303, page)
    # 09:00-10:30 in New York (EDT) on March 14, 2027 is 21:00-22:30 in Singapore.
    assert "22:30</time> your time, Asia/Singapore)" in after.text
    assert '<option value="Asia/Singapore" selected>' in after.text
    assert (refused.status_code, refused.headers["location"], client.cookies["podium_tz"]) == (303, "/", "none")
    assert plain.status_code == 200 and "your time" not in plain.text
