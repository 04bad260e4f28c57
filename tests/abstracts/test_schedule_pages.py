"""The organizers' scheduling page: accepted orals placed as ordered, timed talks of the chosen session (refused,
next to the session, when they outrun it; a wrong row named on its input), posters on boards of a poster
session, and the abstract book and exports linked."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select

from abstracts.book_builds import BUILD_BOOKS_JOB
from abstracts.models import Abstract
from podium.settings import Settings
from tests.abstracts.decision_factories import build_call
from tests.abstracts.test_review_pages import HTML, csrf_of
from tests.abstracts.test_scheduling import decide
from tests.asgi_client import Client
from tests.podium.test_jobs import run_once_queued
from tests.registration.factories import db_session_for
from tests.sessions.factories import create_session


async def test_orals_are_placed_in_order_and_a_session_too_short_is_refused(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    call = await build_call(settings, abstracts=3)
    first, second, third = call.abstracts
    await decide(client, organizer, call, [first, second], "accepted_oral")
    await decide(client, organizer, call, [third], "accepted_poster")
    session_id = await create_session(client, organizer, call.event)  # 60 minutes
    posters_id = await create_session(client, organizer, call.event, title="Posters", kind="poster_session")
    who = {**organizer, **HTML}
    url = f"/organizer/events/{call.slug}/abstracts/schedule"

    page = await client.get(f"{url}?session={session_id}", headers=who)
    token = csrf_of(page.text)
    talks = f"{url}/{session_id}/talks"
    too_long = await client.post(
        talks,
        data={
            "_csrf_token": token,
            **{f"order-{first}": "1", f"minutes-{first}": "40", f"order-{second}": "2", f"minutes-{second}": "40"},
        },
        headers=who,
    )
    bad_row = await client.post(
        talks, data={"_csrf_token": token, f"order-{first}": "x", f"minutes-{second}": "40"}, headers=who
    )
    placed = await client.post(
        talks,
        data={
            "_csrf_token": token,
            **{f"order-{first}": "2", f"minutes-{first}": "20", f"order-{second}": "1", f"minutes-{second}": "30"},
        },
        headers=who,
    )
    again = await client.get(placed.headers["location"], headers=who)
    poster_page = await client.get(f"{url}?session={posters_id}", headers=who)
    boards = await client.post(
        f"{url}/{posters_id}/posters", data={"_csrf_token": token, f"board-{third}": "B-1"}, headers=who
    )
    bad_board = await client.post(
        f"{url}/{posters_id}/posters", data={"_csrf_token": token, f"board-{third}": "B 1!"}, headers=who
    )

    assert page.status_code == 200 and 'id="build-book"' in page.text and "export.csv" in page.text
    assert too_long.status_code == 409 and 'href="#f-session"' in too_long.text and "80 minutes" in too_long.text
    assert bad_row.status_code == 422 and f'id="e-order-{first}"' in bad_row.text
    assert placed.status_code == 303 and placed.headers["location"].endswith(f"?session={session_id}&saved=1")
    assert f'name="order-{second}" value="1"' in again.text and f'name="minutes-{first}" value="20"' in again.text
    assert poster_page.status_code == 200 and f'name="board-{third}"' in poster_page.text
    assert boards.status_code == 303
    assert bad_board.status_code == 422 and f'id="e-board-{third}"' in bad_board.text
    async with db_session_for(settings) as db_session:
        rows = (await db_session.execute(select(Abstract.id, Abstract.session_id, Abstract.talk_position))).all()
    where = {row[0]: (row[1], row[2]) for row in rows}
    assert where[second] == (UUID(session_id), 0) and where[first] == (UUID(session_id), 1)
    assert where[third][0] == UUID(posters_id)


async def test_the_book_is_asked_for_on_the_page_and_downloaded_once_its_job_drew_it(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    call = await build_call(settings, abstracts=1)
    who = {**organizer, **HTML}
    url = f"/organizer/events/{call.slug}/abstracts/schedule"
    before = await client.get(url, headers=who)

    asked = await client.post(f"{url}/book", data={"_csrf_token": csrf_of(before.text)}, headers=who)
    building = await client.get(asked.headers["location"], headers=who)
    await run_once_queued(settings, BUILD_BOOKS_JOB)
    built = await client.get(url, headers=who)
    pdf = await client.get(f"/api/organizer/events/{call.slug}/abstracts/book.pdf", headers=organizer)

    assert 'id="build-book"' in before.text and "book.pdf" not in before.text
    assert asked.status_code == 303 and asked.headers["location"].endswith("?book=1")
    assert 'id="book-check"' in building.text and 'id="build-book"' not in building.text
    assert 'id="book-download"' in built.text and 'id="build-book"' in built.text
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
