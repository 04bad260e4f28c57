"""Accepted abstracts into the program: orals as ordered timed talks that fit their session, reordering
renumbers, posters on unique boards, presenters become the session's speakers (one person, found by email),
the speaker double-booking check covers talks, and talk writes move the public program's version."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import delete, select

from abstracts.models import Abstract, AbstractAuthor
from events.models import Event
from podium.settings import Settings
from sessions.models import SessionSpeaker, Speaker, Talk
from tests.abstracts.decision_factories import CallFixture, build_call
from tests.asgi_client import Client
from tests.registration.factories import db_session_for
from tests.sessions.factories import at, create_session


@pytest.fixture
async def call(settings: Settings) -> CallFixture:
    return await build_call(settings, abstracts=4)


async def decide(client: Client, organizer: dict[str, str], call: CallFixture, ids: list[UUID], outcome: str) -> None:
    response = await client.post(
        f"/api/organizer/events/{call.slug}/abstracts/decisions",
        json={"abstract_ids": [str(i) for i in ids], "outcome": outcome},
        headers=organizer,
    )
    assert response.status_code == 200, response.text


async def place(
    client: Client, organizer: dict[str, str], call: CallFixture, session_id: str, talks: list[tuple[UUID, int]]
) -> Any:
    return await client.put(
        f"/api/organizer/events/{call.slug}/abstracts/program/{session_id}/talks",
        json={"talks": [{"abstract_id": str(a), "minutes": m} for a, m in talks]},
        headers=organizer,
    )


async def program_version(settings: Settings, event_id: UUID) -> int:
    async with db_session_for(settings) as db_session:
        version = await db_session.scalar(select(Event.program_version).where(Event.id == event_id))
        assert version is not None
        return version


async def test_orals_become_ordered_timed_talks_and_reordering_renumbers(
    client: Client, organizer: dict[str, str], call: CallFixture, settings: Settings
) -> None:
    first, second, third, _ = call.abstracts
    await decide(client, organizer, call, [first, second, third], "accepted_oral")
    session_id = await create_session(client, organizer, call.event)  # 60 minutes
    before = await program_version(settings, call.event.event_id)

    placed = await place(client, organizer, call, session_id, [(first, 20), (second, 20), (third, 15)])
    reordered = await place(client, organizer, call, session_id, [(third, 15), (first, 20)])

    assert placed.status_code == 200, placed.text
    assert [(t["abstract_id"], t["position"], t["minutes"]) for t in placed.json()] == [
        (str(first), 0, 20),
        (str(second), 1, 20),
        (str(third), 2, 15),
    ]
    assert [(t["abstract_id"], t["position"]) for t in reordered.json()] == [(str(third), 0), (str(first), 1)]
    assert reordered.json()[0]["id"] == placed.json()[2]["id"]  # moved, not copied
    assert await program_version(settings, call.event.event_id) > before
    async with db_session_for(settings) as db_session:
        talks = (await db_session.scalars(select(Talk).where(Talk.program_session_id == UUID(session_id)))).all()
        abstracts = {a.id: a for a in (await db_session.scalars(select(Abstract))).all()}
        speakers = (
            await db_session.scalars(
                select(SessionSpeaker.speaker_id).where(SessionSpeaker.session_id == UUID(session_id))
            )
        ).all()
    assert sorted((t.source_id, t.position) for t in talks) == sorted([(third, 0), (first, 1)])
    assert (abstracts[third].session_id, abstracts[third].talk_position, abstracts[third].talk_minutes) == (
        UUID(session_id),
        0,
        15,
    )
    assert abstracts[second].session_id is None
    assert set(speakers) == {t.speaker_id for t in talks}  # the removed talk's presenter left too


async def test_talks_longer_than_their_session_are_refused_and_nothing_is_written(
    client: Client, organizer: dict[str, str], call: CallFixture, settings: Settings
) -> None:
    first, second, *_ = call.abstracts
    await decide(client, organizer, call, [first, second], "accepted_oral")
    session_id = await create_session(client, organizer, call.event)

    refused = await place(client, organizer, call, session_id, [(first, 40), (second, 21)])
    zero = await place(client, organizer, call, session_id, [(first, 0)])

    assert (refused.status_code, refused.json()["code"], refused.json()["field"]) == (
        409,
        "talks_exceed_session",
        "talks",
    )
    assert "61 minutes" in refused.json()["detail"] and "60 minutes" in refused.json()["detail"]
    assert zero.status_code in (400, 422) and "minutes" in zero.text
    async with db_session_for(settings) as db_session:
        assert (await db_session.scalars(select(Talk).where(Talk.program_session_id == UUID(session_id)))).all() == []


async def test_only_accepted_orals_become_talks(client: Client, organizer: dict[str, str], call: CallFixture) -> None:
    first, second, *_ = call.abstracts
    await decide(client, organizer, call, [first], "accepted_oral")
    await decide(client, organizer, call, [second], "accepted_poster")
    session_id = await create_session(client, organizer, call.event)

    poster = await place(client, organizer, call, session_id, [(first, 10), (second, 10)])
    twice = await place(client, organizer, call, session_id, [(first, 10), (first, 10)])
    elsewhere = await client.put(
        f"/api/organizer/events/{call.slug}/abstracts/program/{UUID(int=5)}/talks",
        json={"talks": [{"abstract_id": str(first), "minutes": 10}]},
        headers=organizer,
    )

    assert (poster.status_code, poster.json()["code"], poster.json()["field"]) == (
        409,
        "not_accepted_as_oral",
        "abstract_ids[1]",
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "listed_twice")
    assert (elsewhere.status_code, elsewhere.json()["field"]) == (404, "session_id")


async def test_posters_get_unique_boards_in_a_poster_session(
    client: Client, organizer: dict[str, str], call: CallFixture
) -> None:
    first, second, *_ = call.abstracts
    await decide(client, organizer, call, [first, second], "accepted_poster")
    session_id = await create_session(client, organizer, call.event, kind="poster_session")
    url = f"/api/organizer/events/{call.slug}/abstracts/program/{session_id}/posters"

    placed = await client.put(
        url,
        json={"posters": [{"abstract_id": str(first), "board": "P-01"}, {"abstract_id": str(second), "board": "P-02"}]},
        headers=organizer,
    )
    swapped = await client.put(
        url,
        json={"posters": [{"abstract_id": str(first), "board": "P-02"}, {"abstract_id": str(second), "board": "P-01"}]},
        headers=organizer,
    )
    same_board = await client.put(
        url,
        json={"posters": [{"abstract_id": str(first), "board": "P-03"}, {"abstract_id": str(second), "board": "P-03"}]},
        headers=organizer,
    )
    bad_board = await client.put(
        url, json={"posters": [{"abstract_id": str(first), "board": "<b>"}]}, headers=organizer
    )

    assert placed.status_code == 200, placed.text
    assert [(t["board"], t["minutes"]) for t in placed.json()] == [("P-01", None), ("P-02", None)]
    assert [t["board"] for t in swapped.json()] == ["P-02", "P-01"]
    assert (same_board.status_code, same_board.json()["field"]) == (409, "talks[1].board")
    assert bad_board.status_code in (400, 422) and "board" in bad_board.text


async def test_a_presenter_is_one_speaker_and_double_booking_across_talks_is_flagged(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    call = await build_call(settings, abstracts=2)
    first, second = call.abstracts
    async with db_session_for(settings) as db_session:  # one person presents both, and is on the program already
        for author in (await db_session.scalars(select(AbstractAuthor).where(AbstractAuthor.is_presenting))).all():
            if author.abstract_id in (first, second):
                author.email, author.full_name = "Grace@Lab.test", "Grace Hopper"
        await db_session.commit()
    existing = await client.post(
        f"/api/events/{call.slug}/speakers",
        json={"name": "Dr. G. Hopper", "email": "grace@lab.test"},
        headers=organizer,
    )
    await decide(client, organizer, call, [first, second], "accepted_oral")
    morning = await create_session(client, organizer, call.event, title="Morning")
    overlapping = await create_session(
        client, organizer, call.event, title="Parallel", starts_at=at(1, 9, 30), ends_at=at(1, 10, 30)
    )

    await place(client, organizer, call, morning, [(first, 15)])
    await place(client, organizer, call, overlapping, [(second, 15)])
    conflicts = await client.get(f"/api/events/{call.slug}/conflicts", headers=organizer)

    async with db_session_for(settings) as db_session:
        speakers = (await db_session.scalars(select(Speaker).where(Speaker.event_id == call.event.event_id))).all()
        linked = (await db_session.scalars(select(AbstractAuthor.speaker_id).where(AbstractAuthor.is_presenting))).all()
    assert [s.id for s in speakers] == [UUID(existing.json()["id"])]
    assert UUID(existing.json()["id"]) in linked
    people = [c for c in conflicts.json() if c["kind"] == "person_double_booked"]
    assert len(people) == 1
    assert sorted(people[0]["session_ids"]) == sorted([morning, overlapping])


async def test_an_abstract_without_authors_is_refused_naming_it(
    client: Client, organizer: dict[str, str], call: CallFixture, settings: Settings
) -> None:
    first, second, *_ = call.abstracts
    await decide(client, organizer, call, [first, second], "accepted_oral")
    async with db_session_for(settings) as db_session:
        await db_session.execute(delete(AbstractAuthor).where(AbstractAuthor.abstract_id == second))
        await db_session.commit()
    session_id = await create_session(client, organizer, call.event)

    refused = await place(client, organizer, call, session_id, [(first, 10), (second, 10)])

    assert (refused.status_code, refused.json()["code"], refused.json()["field"]) == (
        409,
        "no_authors",
        "abstract_ids[1]",
    )
