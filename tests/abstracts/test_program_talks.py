"""Talks in the public program: before the call's embargo no trace of them on any public surface (session and
program JSON, the session and program pages, the program, session and agenda feeds); after it each session
shows its talks in order, timed from its start, with presenter, authors and a link to the abstract, and posters
with their boards; every cached answer and ETag moves when the embargo passes or the talks change."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

import pytest
from icalendar import Calendar
from sqlalchemy import select, update

from abstracts.models import Abstract, AbstractAuthor, CallForAbstracts
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from sessions.models import ProgramSession, SessionSpeaker, Talk
from sessions.talks import set_visible_from
from tests.abstracts.decision_factories import CallFixture, build_call
from tests.abstracts.test_scheduling import decide
from tests.asgi_client import Client
from tests.registration.factories import db_session_for
from tests.sessions.factories import at, confirmed_attendees, create_session
from tests.sessions.test_agenda import secret_of

HTML = {"Accept": "text/html"}
TITLE = "Abstract number {} on lipid rafts"


@dataclass(frozen=True)
class Scheduled:
    call: CallFixture
    talks_session: str  # 09:00-10:00 local: abstract 2 (20 min), then abstract 1 (15 min)
    posters_session: str  # abstract 3 on board P-07
    agenda_path: str  # an attendee's feed with both sessions


async def move_embargo(settings: Settings, call_id: UUID, embargo: dt.datetime) -> None:
    """The call's embargo moves (straight in the database, the call's own rules aside) and its talks follow,
    as ``abstracts.calls.put_call`` makes them."""
    async with db_session_for(settings) as db_session:
        await db_session.execute(
            update(CallForAbstracts)
            .where(CallForAbstracts.id == call_id)
            .values(
                embargo_until=embargo,
                closes_at=embargo - dt.timedelta(days=1),
                opens_at=embargo - dt.timedelta(days=2),
            )
        )
        await set_visible_from(db_session, select(Abstract.id).where(Abstract.call_id == call_id), embargo)
        await db_session.commit()


@pytest.fixture
async def scheduled(client: Client, organizer: dict[str, str], settings: Settings) -> Scheduled:
    call = await build_call(settings, abstracts=4, embargo_until=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    first, second, third, _ = call.abstracts
    await decide(client, organizer, call, [first, second], "accepted_oral")
    await decide(client, organizer, call, [third], "accepted_poster")
    talks_session = await create_session(client, organizer, call.event)
    posters_session = await create_session(
        client, organizer, call.event, title="Posters", kind="poster_session", starts_at=at(1, 12), ends_at=at(1, 13)
    )
    base = f"/api/organizer/events/{call.slug}/abstracts/program"
    placed = await client.put(
        f"{base}/{talks_session}/talks",
        json={"talks": [{"abstract_id": str(second), "minutes": 20}, {"abstract_id": str(first), "minutes": 15}]},
        headers=organizer,
    )
    assert placed.status_code == 200, placed.text
    boards = await client.put(
        f"{base}/{posters_session}/posters",
        json={"posters": [{"abstract_id": str(third), "board": "P-07"}]},
        headers=organizer,
    )
    assert boards.status_code == 200, boards.text
    [person] = await confirmed_attendees(settings, call.event.event_id, 1)
    for session_id in (talks_session, posters_session):
        picked = await client.post(
            f"/api/registrations/{person}/agenda", json={"session_id": session_id}, headers=secret_of(settings, person)
        )
        assert picked.status_code == 200, picked.text
    feed_url = picked.json()["feed"]["url"]
    return Scheduled(call, talks_session, posters_session, "/" + feed_url.split("/", 3)[3])


def surfaces(s: Scheduled) -> dict[str, tuple[str, dict[str, str]]]:
    slug = s.call.slug
    return {
        "session_json": (f"/api/sessions/{s.talks_session}", {}),
        "program_json": (f"/api/events/{slug}/sessions", {}),
        "session_page": (f"/events/{slug}/sessions/{s.talks_session}", HTML),
        "poster_page": (f"/events/{slug}/sessions/{s.posters_session}", HTML),
        "program_page": (f"/events/{slug}/program?day=2027-03-14", HTML),
        "program_ics": (f"/api/events/{slug}/program.ics", {}),
        "session_ics": (f"/api/sessions/{s.talks_session}.ics", {}),
        "agenda_ics": (s.agenda_path, {}),
    }


def description(body: bytes, session_id: str) -> str:
    [entry] = [e for e in Calendar.from_ical(body).walk("VEVENT") if session_id in str(e["UID"])]
    return str(entry["DESCRIPTION"])


async def test_talks_leave_no_trace_before_the_embargo(client: Client, scheduled: Scheduled) -> None:
    answers = {name: await client.get(url, headers=headers) for name, (url, headers) in surfaces(scheduled).items()}

    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 200)
    for name, response in answers.items():
        assert "lipid rafts" not in response.text, name
        assert "Presenting Author" not in response.text, name
        assert "P-07" not in response.text, name
        assert "accepted-abstracts" not in response.text, name
    assert answers["session_json"].json()["talks"] == []
    assert [s["talks"] for s in answers["program_json"].json()] == [[], []]
    assert "Talks:" not in description(answers["session_ics"].content, scheduled.talks_session)


async def test_talks_show_in_order_with_times_after_the_embargo(
    client: Client, scheduled: Scheduled, settings: Settings
) -> None:
    first, second, third, _ = scheduled.call.abstracts
    before = {name: await client.get(url, headers=headers) for name, (url, headers) in surfaces(scheduled).items()}

    await move_embargo(settings, scheduled.call.call_id, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    after = {name: await client.get(url, headers=headers) for name, (url, headers) in surfaces(scheduled).items()}
    revalidated = {
        name: await client.get(url, headers={**headers, "If-None-Match": before[name].headers["etag"]})
        for name, (url, headers) in surfaces(scheduled).items()
        if "etag" in before[name].headers
    }

    talks = after["session_json"].json()["talks"]
    slug = scheduled.call.slug
    timed = [(t["position"], t["title"], t["presenter"], t["local_start"], t["local_end"], t["minutes"]) for t in talks]
    assert timed == [
        (0, TITLE.format(2), "Presenting Author 2", "2027-03-14T09:00", "2027-03-14T09:20", 20),
        (1, TITLE.format(1), "Presenting Author 1", "2027-03-14T09:20", "2027-03-14T09:35", 15),
    ]
    assert [(t["authors"], t["affiliation"], t["link"]) for t in talks] == [
        ("First Author 2, Presenting Author 2", "Institute of Examples", f"/events/{slug}/accepted-abstracts/{second}"),
        ("First Author 1, Presenting Author 1", "Institute of Examples", f"/events/{slug}/accepted-abstracts/{first}"),
    ]
    listed = {s["title"]: s["talks"] for s in after["program_json"].json()}
    assert [t["title"] for t in listed["Mitochondria"]] == [TITLE.format(2), TITLE.format(1)]
    assert [(t["board"], t["title"], t["starts_at"]) for t in listed["Posters"]] == [("P-07", TITLE.format(3), None)]
    page = after["session_page"].text
    assert page.index(TITLE.format(2)) < page.index(TITLE.format(1))
    assert ">09:20</time>" in page and f'href="/events/{scheduled.call.slug}/accepted-abstracts/{first}"' in page
    assert "Board P-07" in after["poster_page"].text and TITLE.format(3) in after["poster_page"].text
    assert TITLE.format(2) in after["program_page"].text
    for feed in ("program_ics", "session_ics", "agenda_ics"):
        text = description(after[feed].content, scheduled.talks_session)
        assert text.split("Talks:\n", 1)[1] == (
            f"09:00 {TITLE.format(2)} (Presenting Author 2)\n09:20 {TITLE.format(1)} (Presenting Author 1)"
        ), feed
    assert description(after["agenda_ics"].content, scheduled.posters_session).endswith(
        f"Posters:\nBoard P-07 {TITLE.format(3)} (Presenting Author 3)"
    )
    assert {name: r.status_code for name, r in revalidated.items()} == dict.fromkeys(revalidated, 200)
    assert third in [UUID(t["link"].rsplit("/", 1)[1]) for t in listed["Posters"]]


async def test_moving_the_embargo_back_hides_the_talks_again(
    client: Client, scheduled: Scheduled, settings: Settings
) -> None:
    url = f"/api/sessions/{scheduled.talks_session}"
    page_url = f"/events/{scheduled.call.slug}/sessions/{scheduled.talks_session}"
    await move_embargo(settings, scheduled.call.call_id, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    shown = await client.get(url)
    shown_page = await client.get(page_url, headers=HTML)

    await move_embargo(settings, scheduled.call.call_id, dt.datetime.now(dt.UTC) + dt.timedelta(days=3))
    hidden = await client.get(url)
    hidden_page = await client.get(page_url, headers=HTML)

    assert len(shown.json()["talks"]) == 2 and TITLE.format(1) in shown_page.text
    assert hidden.json()["talks"] == []
    assert TITLE.format(1) not in hidden_page.text
    assert hidden.headers["etag"] != shown.headers["etag"]


async def test_moving_a_session_moves_its_talks(
    client: Client, organizer: dict[str, str], scheduled: Scheduled, settings: Settings
) -> None:
    await move_embargo(settings, scheduled.call.call_id, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))

    moved = await client.patch(
        f"/api/sessions/{scheduled.talks_session}",
        json={"starts_at": at(2, 14), "ends_at": at(2, 15)},
        headers=organizer,
    )
    talks = (await client.get(f"/api/sessions/{scheduled.talks_session}")).json()["talks"]

    assert moved.status_code == 200, moved.text
    assert [(t["local_start"], t["local_end"]) for t in talks] == [
        ("2027-03-15T14:00", "2027-03-15T14:20"),
        ("2027-03-15T14:20", "2027-03-15T14:35"),
    ]


async def test_an_abstract_page_opens_after_the_embargo_only(
    client: Client, scheduled: Scheduled, settings: Settings
) -> None:
    first, *_ = scheduled.call.abstracts
    url = f"/events/{scheduled.call.slug}/accepted-abstracts/{first}"
    rejected = f"/events/{scheduled.call.slug}/accepted-abstracts/{scheduled.call.abstracts[3]}"

    before = await client.get(url, headers=HTML)
    await move_embargo(settings, scheduled.call.call_id, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    after = await client.get(url, headers=HTML)
    never = await client.get(rejected, headers=HTML)

    assert before.status_code == 404 and "lipid rafts" not in before.text
    assert after.status_code == 200 and f'<h1 id="abstract-{first}">1. {TITLE.format(1)}</h1>' in after.text
    assert never.status_code == 404


async def session_changes(settings: Settings, session_id: str) -> tuple[int, int]:
    """The session's SEQUENCE and the number of change mails queued for it."""
    async with db_session_for(settings) as db_session:
        sequence = await db_session.scalar(select(ProgramSession.sequence).where(ProgramSession.id == UUID(session_id)))
        mails = await db_session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key.startswith(f"session-change:{session_id}:"))
        )
        assert sequence is not None
        return sequence, len(mails.all())


async def test_a_rejected_abstract_leaves_its_session_and_agenda_holders_are_told(
    client: Client, organizer: dict[str, str], scheduled: Scheduled, settings: Settings
) -> None:
    first, second, *_ = scheduled.call.abstracts
    await move_embargo(settings, scheduled.call.call_id, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    sequence_before, mails_before = await session_changes(settings, scheduled.talks_session)
    shown = await client.get(f"/api/sessions/{scheduled.talks_session}")

    await decide(client, organizer, scheduled.call, [second], "rejected")
    await decide(client, organizer, scheduled.call, [second], "rejected")  # a retry changes nothing more
    after = await client.get(f"/api/sessions/{scheduled.talks_session}")
    revalidated = await client.get(
        f"/api/sessions/{scheduled.talks_session}", headers={"If-None-Match": shown.headers["etag"]}
    )

    talks = after.json()["talks"]
    assert [(t["position"], t["title"], t["local_start"]) for t in talks] == [(0, TITLE.format(1), "2027-03-14T09:00")]
    assert [p["name"] for p in after.json()["people"]] == ["Presenting Author 1"]
    assert await session_changes(settings, scheduled.talks_session) == (sequence_before + 1, mails_before + 1)
    assert revalidated.status_code == 200
    async with db_session_for(settings) as db_session:
        abstract = await db_session.get_one(Abstract, second)
        assert (abstract.session_id, abstract.talk_position) == (None, None)
        assert (await db_session.scalars(select(Talk).where(Talk.source_id == second))).all() == []
    assert first in [UUID(t["link"].rsplit("/", 1)[1]) for t in talks]


async def test_a_withdrawn_abstract_under_embargo_leaves_without_a_mail(
    client: Client, organizer: dict[str, str], scheduled: Scheduled, settings: Settings
) -> None:
    _, _, third, _ = scheduled.call.abstracts
    before = await session_changes(settings, scheduled.posters_session)

    await decide(client, organizer, scheduled.call, [third], "withdrawn")

    assert await session_changes(settings, scheduled.posters_session) == before
    async with db_session_for(settings) as db_session:
        assert (await db_session.scalars(select(Talk).where(Talk.source_id == third))).all() == []
        speakers = await db_session.scalars(
            select(SessionSpeaker).where(SessionSpeaker.session_id == UUID(scheduled.posters_session))
        )
        assert speakers.all() == []


async def test_a_session_too_short_for_its_talks_is_refused_naming_the_field(
    client: Client, organizer: dict[str, str], scheduled: Scheduled
) -> None:
    url = f"/api/sessions/{scheduled.talks_session}"

    shortened = await client.patch(url, json={"ends_at": at(1, 9, 30)}, headers=organizer)  # the talks take 35
    late_start = await client.patch(url, json={"starts_at": at(1, 9, 40)}, headers=organizer)
    enough = await client.patch(url, json={"ends_at": at(1, 9, 35)}, headers=organizer)

    assert (shortened.status_code, shortened.json()["code"], shortened.json()["field"]) == (
        409,
        "talks_exceed_session",
        "ends_at",
    )
    assert (late_start.status_code, late_start.json()["field"]) == (409, "starts_at")
    assert enough.status_code == 200, enough.text


async def test_a_presenter_in_two_rooms_at_once_is_reported(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    call = await build_call(settings, abstracts=2)
    first, second = call.abstracts
    async with db_session_for(settings) as db_session:  # one person presents both abstracts
        for author in (await db_session.scalars(select(AbstractAuthor).where(AbstractAuthor.is_presenting))).all():
            if author.abstract_id in (first, second):
                author.email, author.full_name = "ada@lab.test", "Ada Lovelace"
        await db_session.commit()
    await decide(client, organizer, call, [first, second], "accepted_oral")
    hall = await create_session(client, organizer, call.event, title="Hall", room_id=str(call.event.rooms["Hall A"]))
    room = await create_session(client, organizer, call.event, title="Room", room_id=str(call.event.rooms["Room 101"]))
    base = f"/api/organizer/events/{call.slug}/abstracts/program"

    for session_id, abstract_id in ((hall, first), (room, second)):
        placed = await client.put(
            f"{base}/{session_id}/talks",
            json={"talks": [{"abstract_id": str(abstract_id), "minutes": 15}]},
            headers=organizer,
        )
        assert placed.status_code == 200, placed.text
    conflicts = await client.get(f"/api/events/{call.slug}/conflicts", headers=organizer)

    [person] = [c for c in conflicts.json() if c["kind"] == "person_double_booked"]
    assert sorted(person["session_ids"]) == sorted([hall, room])
    assert "Ada Lovelace" in person["message"]
