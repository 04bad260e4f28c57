"""The program pages as HTML: what the public program and session pages show (and hide), and the
organizer's editor listing sessions and conflicts. The forms are driven in tests/browser."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import update

from podium.settings import Settings
from registration.models import AddOn
from sessions.models import ProgramSession
from tests.asgi_client import Client
from tests.registration.factories import db_session_for
from tests.sessions.factories import ProgramEvent, at, build_program_event

HTML = {"Accept": "text/html"}


@pytest.fixture
async def program(settings: Settings) -> ProgramEvent:
    return await build_program_event(settings)


async def add(client: Client, organizer: dict[str, str], program: ProgramEvent, **body: Any) -> dict[str, Any]:
    response = await client.post(f"/api/events/{program.slug}/sessions", json=body, headers=organizer)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
async def sessions(client: Client, organizer: dict[str, str], program: ProgramEvent) -> dict[str, dict[str, Any]]:
    ada = await client.post(
        f"/api/events/{program.slug}/speakers",
        json={"name": "Ada Lovelace", "affiliation": "Analytical Society", "email": "ada@private.example"},
        headers=organizer,
    )
    hall = str(program.rooms["Hall A"])
    return {
        "day1": await add(
            client,
            organizer,
            program,
            title="Engines of thought",
            starts_at=at(1, 9),
            ends_at=at(1, 10),
            room_id=hall,
            track_id=str(program.tracks["Basic Science"]),
            speaker_ids=[ada.json()["id"]],
            abstract="Notes on the analytical engine.",
            status="published",
            required_add_on_id=str(program.workshop_add_on),
        ),
        "day2": await add(
            client, organizer, program, title="Day two talk", starts_at=at(2, 9), ends_at=at(2, 10), status="published"
        ),
        "draft": await add(
            client, organizer, program, title="Hidden draft", starts_at=at(1, 9, 30), ends_at=at(1, 10), room_id=hall
        ),
    }


async def test_program_page_shows_one_day_and_searches_every_day(
    client: Client, program: ProgramEvent, sessions: dict[str, dict[str, Any]]
) -> None:
    opening = await client.get(f"/events/{program.slug}/program", headers=HTML)
    first_day = await client.get(f"/events/{program.slug}/program", params={"day": "2027-03-14"}, headers=HTML)
    search = await client.get(f"/events/{program.slug}/program", params={"q": "day two"}, headers=HTML)

    assert opening.status_code == 200 and "0 sessions on Saturday March 13" in opening.text
    assert "Engines of thought" in first_day.text and "Day two talk" not in first_day.text
    assert "Hidden draft" not in first_day.text
    assert "Ada Lovelace" in first_day.text and "private.example" not in first_day.text
    assert "Day two talk" in search.text and "Engines of thought" not in search.text
    assert "1 session matching" in search.text
    assert f'href="webcal://testserver.local/api/events/{program.slug}/program.ics"' in opening.text


async def test_program_page_search_finds_the_title_in_the_readers_language(
    client: Client, organizer: dict[str, str], program: ProgramEvent, sessions: dict[str, dict[str, Any]]
) -> None:
    patched = await client.patch(
        f"/api/sessions/{sessions['day2']['id']}",
        json={"translations": {"fr": {"title": "Exposé du deuxième jour"}}},
        headers=organizer,
    )
    assert patched.status_code == 200, patched.text

    french = await client.get(
        f"/events/{program.slug}/program", params={"q": "deuxième"}, headers={**HTML, "Accept-Language": "fr"}
    )
    english = await client.get(f"/events/{program.slug}/program", params={"q": "deuxième"}, headers=HTML)

    assert "Exposé du deuxième jour" in french.text and "Engines of thought" not in french.text
    assert "Day two talk" not in english.text and "Exposé" not in english.text


async def test_program_page_never_shows_a_cached_listing_after_a_change(
    client: Client, organizer: dict[str, str], program: ProgramEvent, sessions: dict[str, dict[str, Any]]
) -> None:
    """The listing is cached per program version: renaming a session, its speaker or its room, or cancelling
    it, shows at once; and the page around it stays the visitor's own (the organizer sees their log-out)."""
    page = f"/events/{program.slug}/program"
    day = {"day": "2027-03-14"}
    session = sessions["day1"]
    assert "Engines of thought" in (await client.get(page, params=day, headers=HTML)).text

    changes = [
        (f"/api/sessions/{session['id']}", {"title": "Engines of feeling"}, "Engines of feeling"),
        (f"/api/events/{program.slug}/speakers/{session['people'][0]['id']}", {"name": "Ada King"}, "Ada King"),
        (f"/api/events/{program.slug}/rooms/{program.rooms['Hall A']}", {"name": "Great Hall"}, "Great Hall"),
    ]
    for path, body, shown in changes:
        assert shown not in (await client.get(page, params=day, headers=HTML)).text
        response = await client.patch(path, json=body, headers=organizer)
        assert response.status_code == 200, response.text
        assert shown in (await client.get(page, params=day, headers=HTML)).text, path

    cancel = await client.post(f"/api/sessions/{session['id']}/cancel", headers=organizer)
    assert cancel.status_code in (200, 201), cancel.text
    assert "badge cancelled" in (await client.get(page, params=day, headers=HTML)).text
    as_organizer = await client.get(page, params=day, headers={**HTML, **organizer})
    assert "Log out" in as_organizer.text and "Log out" not in (await client.get(page, params=day, headers=HTML)).text


async def test_session_page_and_json_never_show_a_cached_copy_after_a_change(
    client: Client,
    organizer: dict[str, str],
    settings: Settings,
    program: ProgramEvent,
    sessions: dict[str, dict[str, Any]],
) -> None:
    """Session page and JSON are cached per session version: a speaker or room renamed, the add-on renamed, seats
    taken through a plain UPDATE (as agenda hooks do) all show at once, the JSON's ETag moves and its old
    ETag is no longer answered with 304."""
    session = sessions["day1"]
    page, api = f"/events/{program.slug}/sessions/{session['id']}", f"/api/sessions/{session['id']}"
    first = await client.get(api)
    etag = first.headers["etag"]
    assert (await client.get(api, headers={"If-None-Match": etag})).status_code == 304
    assert "Ada Lovelace" in (await client.get(page, headers=HTML)).text

    speaker = f"/api/events/{program.slug}/speakers/{session['people'][0]['id']}"
    assert (await client.patch(speaker, json={"name": "Ada King"}, headers=organizer)).status_code == 200
    assert "Ada King" in (await client.get(page, headers=HTML)).text
    renamed = await client.get(api, headers={"If-None-Match": etag})
    assert renamed.status_code == 200 and renamed.json()["people"][0]["name"] == "Ada King"

    room = f"/api/events/{program.slug}/rooms/{program.rooms['Hall A']}"
    assert (await client.patch(room, json={"name": "Great Hall"}, headers=organizer)).status_code == 200
    assert "Great Hall" in (await client.get(page, headers=HTML)).text
    assert (await client.get(api)).json()["room"] == "Great Hall"

    async with db_session_for(settings) as db_session:
        seats = update(ProgramSession).where(ProgramSession.id == UUID(session["id"])).values(seats_taken=7)
        await db_session.execute(seats)
        await db_session.commit()
    assert (await client.get(api)).json()["seats_taken"] == 7
    assert "Deep dive" not in (await client.get(page, headers=HTML)).text
    async with db_session_for(settings) as db_session:
        await db_session.execute(update(AddOn).where(AddOn.id == program.workshop_add_on).values(name="Deep dive"))
        await db_session.commit()
    assert "Deep dive" in (await client.get(page, headers=HTML)).text


async def test_session_page_shows_people_time_and_the_required_add_on(
    client: Client, program: ProgramEvent, sessions: dict[str, dict[str, Any]]
) -> None:
    page = await client.get(f"/events/{program.slug}/sessions/{sessions['day1']['id']}", headers=HTML)
    draft = await client.get(f"/events/{program.slug}/sessions/{sessions['draft']['id']}", headers=HTML)

    assert page.status_code == 200
    for text in (
        "Engines of thought",
        "Ada Lovelace",
        "Analytical Society",
        "09:00\u201310:00",
        "Hall A",
        "Grant Workshop",
    ):
        assert text in re.sub(r"<[^>]+>", "", page.text)  # as read: times are <time> elements
    assert "private.example" not in page.text
    assert f'href="/api/sessions/{sessions["day1"]["id"]}.ics"' in page.text
    assert draft.status_code == 404


async def test_editor_lists_every_session_and_the_conflicts(
    client: Client, organizer: dict[str, str], program: ProgramEvent, sessions: dict[str, dict[str, Any]]
) -> None:
    page = await client.get(f"/organizer/events/{program.slug}/program", headers={**organizer, **HTML})
    anonymous = await client.get(f"/organizer/events/{program.slug}/program", headers=HTML, follow_redirects=False)

    assert page.status_code == 200
    assert "Hidden draft" in page.text and "Conflicts (1)" in page.text
    assert "Hall A is double-booked" in page.text
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
