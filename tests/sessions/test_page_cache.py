"""Whole pages kept for anonymous visitors (sessions/page_cache.py): never stale after a change, whichever
worker or path made it (raw SQL here, as another worker's write would be), each visitor's own CSRF token in
the page, and logged-in visitors still see their own header."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import update

from events.models import Room
from podium.settings import Settings
from sessions.models import ProgramSession
from tests.asgi_client import Client
from tests.registration.factories import db_session_for
from tests.sessions.factories import ProgramEvent, at, build_program_event

HTML = {"Accept": "text/html"}
TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


@pytest.fixture
async def program(settings: Settings) -> ProgramEvent:
    return await build_program_event(settings)


@pytest.fixture
async def talk(client: Client, organizer: dict[str, str], program: ProgramEvent) -> dict[str, Any]:
    body = {
        "title": "Engines of thought",
        "starts_at": at(1, 9),
        "ends_at": at(1, 10),
        "room_id": str(program.rooms["Hall A"]),
        "status": "published",
    }
    response = await client.post(f"/api/events/{program.slug}/sessions", json=body, headers=organizer)
    assert response.status_code == 201, response.text
    return dict(response.json())


def pages(program: ProgramEvent, talk: dict[str, Any]) -> list[str]:
    return [f"/events/{program.slug}/program?day=2027-03-14", f"/events/{program.slug}/sessions/{talk['id']}"]


async def anonymous(client: Client, path: str) -> str:
    client.cookies.clear()
    response = await client.get(path, headers=HTML)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return response.text


async def test_a_cached_page_follows_changes_made_by_raw_sql(
    client: Client, program: ProgramEvent, talk: dict[str, Any], settings: Settings
) -> None:
    for path in pages(program, talk):
        assert "Engines of thought" in await anonymous(client, path)
        assert "Hall A" in await anonymous(client, path)

    async with db_session_for(settings) as db_session:
        await db_session.execute(
            update(ProgramSession).where(ProgramSession.id == UUID(talk["id"])).values(title="Engines of feeling")
        )
        await db_session.execute(update(Room).where(Room.id == program.rooms["Hall A"]).values(name="Great Hall"))
        await db_session.commit()

    for path in pages(program, talk):
        shown = await anonymous(client, path)
        assert "Engines of feeling" in shown and "Engines of thought" not in shown, path
        assert "Great Hall" in shown and "Hall A" not in shown, path


async def test_a_cached_page_follows_an_event_change_and_cancellation(
    client: Client, organizer: dict[str, str], program: ProgramEvent, talk: dict[str, Any]
) -> None:
    for path in pages(program, talk):
        assert "Program Test Meeting" in await anonymous(client, path)

    renamed = await client.patch(f"/api/events/{program.slug}", json={"name": "Renamed Meeting"}, headers=organizer)
    assert renamed.status_code == 200, renamed.text
    for path in pages(program, talk):
        shown = await anonymous(client, path)
        assert "Renamed Meeting" in shown and "Program Test Meeting" not in shown, path

    cancel = await client.post(f"/api/sessions/{talk['id']}/cancel", headers=organizer)
    assert cancel.status_code in (200, 201), cancel.text
    for path in pages(program, talk):
        assert "badge cancelled" in await anonymous(client, path), path


async def test_each_anonymous_visitor_gets_their_own_csrf_token(
    client: Client, program: ProgramEvent, talk: dict[str, Any]
) -> None:
    for path in pages(program, talk):
        client.cookies.clear()
        first = await client.get(path, headers=HTML)
        again = await client.get(path, headers=HTML)  # the same visitor, now with the cookie
        client.cookies.clear()
        other = await client.get(path, headers=HTML)

        first_token = TOKEN.findall(first.text)
        assert first_token == [first.cookies["podium_csrf"]], path
        assert TOKEN.findall(again.text) == first_token
        assert f'hx-headers=\'{{"X-CSRFToken": "{first_token[0]}"}}\'' in again.text
        assert TOKEN.findall(other.text) == [other.cookies["podium_csrf"]] != first_token


async def test_logged_in_visitors_see_their_own_header_around_a_cached_page(
    client: Client, organizer: dict[str, str], staff: dict[str, str], program: ProgramEvent, talk: dict[str, Any]
) -> None:
    for path in pages(program, talk):
        assert "Log in" in await anonymous(client, path)

        as_organizer = await client.get(path, headers={**HTML, **organizer})
        as_staff = await client.get(path, headers={**HTML, **staff})
        after = await anonymous(client, path)

        assert "Organizer console" in as_organizer.text and "Log out (" in as_organizer.text, path
        assert "Organizer console" not in as_staff.text and "Log out (" in as_staff.text, path
        assert "Engines of thought" in as_organizer.text and "Engines of thought" in as_staff.text
        assert "Log out" not in after and "Organizer console" not in after and "Log in" in after


async def test_a_cached_page_is_kept_per_language(client: Client, program: ProgramEvent, talk: dict[str, Any]) -> None:
    """A Spanish visitor, then an English one, then the Spanish one again: each gets their own language, never
    the page cached for the other."""
    for path in pages(program, talk):
        client.cookies.clear()
        spanish = await client.get(path, headers={**HTML, "Accept-Language": "es"})
        english = await client.get(path, headers={**HTML, "Accept-Language": "en"})
        again = await client.get(path, headers={**HTML, "Accept-Language": "es"})

        assert '<html lang="es">' in spanish.text and ">Ir al contenido<" in spanish.text, path
        assert '<html lang="en">' in english.text and ">Skip to content<" in english.text, path
        assert again.text.replace(TOKEN.findall(again.text)[0], "") == spanish.text.replace(
            TOKEN.findall(spanish.text)[0], ""
        ), path


async def test_a_cached_page_shows_each_reader_their_own_zone_and_never_anothers(
    client: Client, program: ProgramEvent, talk: dict[str, Any]
) -> None:
    """09:00-10:00 in New York on March 14, 2027 (EDT since that morning) is 02:00-03:00 the next day in Auckland
    (NZDT, UTC+13). A reader there, then one with no zone, then one in Toronto (another name, New York's offset),
    then one with a cookie naming no zone: each gets their own page from the shared cache."""
    for path in pages(program, talk):
        client.cookies.clear()
        far = await client.get(path, headers={**HTML, "Cookie": "podium_tz=Pacific/Auckland"})
        none = await client.get(path, headers=HTML)
        same_offset = await client.get(path, headers={**HTML, "Cookie": "podium_tz=America/Toronto"})
        bad = await client.get(path, headers={**HTML, "Cookie": "podium_tz=Mars/Olympus_Mons%3Cscript%3E"})
        far_again = await client.get(path, headers={**HTML, "Cookie": "podium_tz=Pacific/Auckland"})

        assert "02:00 +1</time>\u2013<time" in far.text, path
        assert "03:00 +1</time> your time, Pacific/Auckland)" in far.text, path
        assert '<time datetime="2027-03-15T02:00:00+13:00">' in far.text, path
        assert far.headers["vary"] == "Accept-Language, Cookie", path
        assert [r.status_code for r in (none, same_offset, bad)] == [200, 200, 200], path
        for other in (none, same_offset, bad):
            assert "your time" not in other.text and "Auckland" not in other.text, path
            assert "Engines of thought" in other.text, path
        assert "03:00 +1</time> your time, Pacific/Auckland)" in far_again.text, path


async def test_a_cached_page_shows_the_title_in_the_visitors_language(
    client: Client, organizer: dict[str, str], program: ProgramEvent, talk: dict[str, Any]
) -> None:
    """The title an organizer translated shows to Spanish readers; French readers, who have none, get the base."""
    patched = await client.patch(
        f"/api/sessions/{talk['id']}",
        json={"translations": {"es": {"title": "Motores del pensamiento"}}},
        headers=organizer,
    )
    assert patched.status_code == 200, patched.text

    for path in pages(program, talk):
        client.cookies.clear()
        spanish = await client.get(path, headers={**HTML, "Accept-Language": "es"})
        english = await client.get(path, headers={**HTML, "Accept-Language": "en"})
        french = await client.get(path, headers={**HTML, "Accept-Language": "fr"})
        again = await client.get(path, headers={**HTML, "Accept-Language": "es"})

        assert "Motores del pensamiento" in spanish.text and "Engines of thought" not in spanish.text, path
        assert "Engines of thought" in english.text and "Motores del pensamiento" not in english.text, path
        assert "Engines of thought" in french.text and "Motores del pensamiento" not in french.text, path
        assert "Motores del pensamiento" in again.text, path
