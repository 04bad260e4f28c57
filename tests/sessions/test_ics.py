"""iCalendar output read back by independent parsers — ical.js (Thunderbird's) under Node, and the Python
``icalendar`` reader — and checked value by value: UTC instants across a DST change, cancellations,
SEQUENCE, stable UIDs, no private emails; and the program and session feeds over HTTP with 304."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from sessions.ics import IcsCalendar, IcsPerson, IcsSession, render_calendar, render_event, session_uid
from tests.asgi_client import Client
from tests.sessions.factories import ProgramEvent, at, build_program_event

ROOT = Path(__file__).resolve().parents[2]
READER = Path(__file__).with_name("read_ics.cjs")
NY = "America/New_York"
CALENDAR = IcsCalendar(
    name="Spring Meeting",
    timezone=NY,
    venue="Hynes, Boston",
    base_url="https://podium.example",
    slug="spring",
    organizer_name="S",
)
UTC = dt.UTC


def read_with_ical_js(data: bytes) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "ical.js").is_dir():
        if node is None:
            pytest.skip("node (Debian package nodejs/npm) is not installed: can't run ical.js")
        pytest.skip("npm package ical.js is not installed (run npm ci)")
    result = subprocess.run([node, str(READER)], input=data, capture_output=True, check=True, cwd=ROOT, timeout=60)
    return json.loads(result.stdout)


def session(**overrides: Any) -> IcsSession:
    values: dict[str, Any] = {
        "id": uuid.UUID("3f1e4c1a-1111-4222-8333-444455556666"),
        "title": "Ion channels, in depth; really",
        "kind": "symposium",
        "starts_at": dt.datetime(2027, 3, 13, 14, 0, tzinfo=UTC),  # 09:00 EST
        "ends_at": dt.datetime(2027, 3, 13, 15, 30, tzinfo=UTC),
        "status": "published",
        "sequence": 0,
        "created_at": dt.datetime(2027, 1, 1, tzinfo=UTC),
        "last_modified": dt.datetime(2027, 1, 2, tzinfo=UTC),
        "abstract": "Gating, selectivity, and a comma, plus a very long line " * 5,
        "room": "Hall A",
        "track": "Basic Science",
        "people": (IcsPerson("Ada Byron", "Univ. of London"), IcsPerson("Grace Hopper", "Navy", "chair")),
    }
    values.update(overrides)
    return IcsSession(**values)


def test_times_across_the_dst_change_are_the_right_utc_instants() -> None:
    before = session()
    # 15 March 09:00 local is EDT (UTC-4): the same wall-clock time, one hour earlier in UTC.
    after = session(
        id=uuid.uuid4(),
        title="After the change",
        starts_at=dt.datetime(2027, 3, 15, 13, 0, tzinfo=UTC),
        ends_at=dt.datetime(2027, 3, 15, 14, 0, tzinfo=UTC),
    )
    # 14 March 01:30 EST → 03:30 EDT spans the missing hour: 1 hour of real time.
    across = session(
        id=uuid.uuid4(),
        title="Through the night",
        starts_at=dt.datetime(2027, 3, 14, 6, 30, tzinfo=UTC),
        ends_at=dt.datetime(2027, 3, 14, 7, 30, tzinfo=UTC),
    )
    data = render_calendar(CALENDAR, [after, across, before])

    parsed = read_with_ical_js(data)
    by_title = {e["summary"]: e for e in parsed["events"]}
    assert by_title["Ion channels, in depth; really"]["start_utc"] == "2027-03-13T14:00:00.000Z"
    assert by_title["After the change"]["start_utc"] == "2027-03-15T13:00:00.000Z"
    assert by_title["Through the night"]["start_utc"] == "2027-03-14T06:30:00.000Z"
    assert by_title["Through the night"]["end_utc"] == "2027-03-14T07:30:00.000Z"
    assert {e["start_tzid"] for e in parsed["events"]} == {NY}

    # The Python reader agrees, and the wall-clock times are the venue's.
    events = {str(e["SUMMARY"]): e for e in Calendar.from_ical(data).walk("VEVENT")}
    start = events["After the change"].decoded("DTSTART")
    assert (start.hour, start.utcoffset()) == (9, dt.timedelta(hours=-4))
    start = events["Ion channels, in depth; really"].decoded("DTSTART")
    assert (start.hour, start.utcoffset()) == (9, dt.timedelta(hours=-5))
    assert b"BEGIN:VTIMEZONE" in data and b"TZID:America/New_York" in data


@pytest.mark.parametrize(
    ("zone", "first", "second"),
    [
        # New York, 7 November 2027: 01:00-02:00 happens twice (EDT, then EST).
        (NY, dt.datetime(2027, 11, 7, 5, 30, tzinfo=UTC), dt.datetime(2027, 11, 7, 6, 30, tzinfo=UTC)),
        # Sydney, 4 April 2027: 02:00-03:00 happens twice (AEDT, then AEST).
        (
            "Australia/Sydney",
            dt.datetime(2027, 4, 3, 15, 30, tzinfo=UTC),
            dt.datetime(2027, 4, 3, 16, 30, tzinfo=UTC),
        ),
    ],
)
def test_sessions_in_the_repeated_hour_keep_their_instants(zone: str, first: dt.datetime, second: dt.datetime) -> None:
    """A local time that happens twice can't say which time it is with a TZID: those are written in UTC."""
    calendar = CALENDAR._replace(timezone=zone)
    early = session(title="First half-past", starts_at=first, ends_at=first + dt.timedelta(minutes=30))
    late = session(id=uuid.uuid4(), title="Second half-past", starts_at=second, ends_at=second + dt.timedelta(hours=1))
    plain = session(
        id=uuid.uuid4(), title="Noon", starts_at=second + dt.timedelta(hours=8), ends_at=second + dt.timedelta(hours=9)
    )
    data = render_calendar(calendar, [early, late, plain])

    by_title = {e["summary"]: e for e in read_with_ical_js(data)["events"]}
    events = {str(e["SUMMARY"]): e for e in Calendar.from_ical(data).walk("VEVENT")}
    for title, item in (("First half-past", early), ("Second half-past", late), ("Noon", plain)):
        assert by_title[title]["start_utc"] == item.starts_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"), title
        assert by_title[title]["end_utc"] == item.ends_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"), title
        assert events[title].decoded("DTSTART") == item.starts_at, title
        assert events[title].decoded("DTEND") == item.ends_at, title
    assert by_title["Noon"]["start_tzid"] == zone  # ordinary times stay the venue's wall-clock time


def test_every_value_reads_back_and_no_email_is_written() -> None:
    data = render_calendar(CALENDAR, [session()])
    [event] = read_with_ical_js(data)["events"]

    assert event["uid"] == session_uid(session().id, CALENDAR.base_url) == f"session-{session().id}@podium.example"
    assert event["summary"] == "Ion channels, in depth; really"
    assert event["status"] == "CONFIRMED"
    assert event["sequence"] == 0
    assert event["location"] == "Hall A, Hynes, Boston"
    assert event["categories"] == "Basic Science"
    assert event["url"] == f"https://podium.example/events/spring/sessions/{session().id}"
    assert "Chair: Grace Hopper (Navy)" in event["description"]
    assert "Speaker: Ada Byron (Univ. of London)" in event["description"]
    assert event["description"].endswith(session().abstract)
    assert b"@" not in data.replace(b"@podium.example", b"")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))


def test_a_cancelled_session_stays_with_status_cancelled_and_a_higher_sequence() -> None:
    live = render_calendar(CALENDAR, [session()])
    cancelled = render_calendar(
        CALENDAR, [session(status="cancelled", sequence=1, last_modified=dt.datetime(2027, 2, 1, tzinfo=UTC))]
    )
    [was] = read_with_ical_js(live)["events"]
    [now] = read_with_ical_js(cancelled)["events"]

    assert now["uid"] == was["uid"]
    assert (was["status"], now["status"]) == ("CONFIRMED", "CANCELLED")
    assert now["sequence"] > was["sequence"]
    [event] = Calendar.from_ical(cancelled).walk("VEVENT")
    assert event.decoded("LAST-MODIFIED") == dt.datetime(2027, 2, 1, tzinfo=UTC)


def test_an_empty_agenda_is_a_valid_calendar() -> None:
    parsed = read_with_ical_js(render_calendar(CALENDAR, [], title="My agenda"))
    assert parsed == {"name": "My agenda", "events": []}


@pytest.fixture
async def program(settings: Any) -> ProgramEvent:
    return await build_program_event(settings)


async def test_program_feed_over_http_keeps_uids_bumps_sequence_and_answers_304(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    speaker = await client.post(
        f"/api/events/{program.slug}/speakers",
        json={"name": "Rosalind Franklin", "email": "rosalind@private.example"},
        headers=organizer,
    )
    body = {
        "title": "Helices",
        "kind": "keynote",
        "starts_at": at(2, 9),  # 15 March: after the DST change
        "ends_at": at(2, 10),
        "room_id": str(program.rooms["Hall A"]),
        "track_id": str(program.tracks["Basic Science"]),
        "speaker_ids": [speaker.json()["id"]],
        "status": "published",
    }
    created = await client.post(f"/api/events/{program.slug}/sessions", json=body, headers=organizer)
    assert created.status_code == 201, created.text
    session_id = created.json()["id"]
    await client.post(
        f"/api/events/{program.slug}/sessions",
        json={**body, "title": "Secret draft", "status": "draft", "speaker_ids": []},
        headers=organizer,
    )
    url = f"/api/events/{program.slug}/program.ics"

    first = await client.get(url)
    assert first.status_code == 200
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    [event] = read_with_ical_js(first.content)["events"]
    assert event["summary"] == "Helices" and event["start_utc"] == "2027-03-15T13:00:00.000Z"
    assert b"rosalind@private.example" not in first.content and b"Rosalind Franklin" in first.content
    assert (await client.get(url, headers={"If-None-Match": first.headers["etag"]})).status_code == 304
    since = {"If-Modified-Since": first.headers["last-modified"]}
    assert (await client.get(url, headers=since)).status_code == 304

    await client.patch(
        f"/api/sessions/{session_id}", json={"starts_at": at(2, 11), "ends_at": at(2, 12)}, headers=organizer
    )
    await client.post(f"/api/sessions/{session_id}/cancel", headers=organizer)
    second = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200
    [after] = read_with_ical_js(second.content)["events"]
    assert after["uid"] == event["uid"]
    assert after["status"] == "CANCELLED"
    assert after["sequence"] >= 2 > event["sequence"]
    assert after["start_utc"] == "2027-03-15T15:00:00.000Z"

    one = await client.get(f"/api/sessions/{session_id}.ics")
    assert one.status_code == 200 and one.headers["content-type"].startswith("text/calendar")
    assert [e["uid"] for e in read_with_ical_js(one.content)["events"]] == [event["uid"]]
    assert (
        await client.get(f"/api/sessions/{session_id}.ics", headers={"If-None-Match": one.headers["etag"]})
    ).status_code == 304
    assert (await client.get(f"/api/sessions/{uuid.uuid4()}.ics")).status_code == 404
    assert (await client.get("/api/sessions/nonsense.ics")).status_code == 404
    assert (await client.get("/api/events/no-such-event/program.ics")).status_code == 404


async def test_a_draft_events_program_feed_is_not_public(client: Client, settings: Any) -> None:
    draft = await build_program_event(settings, status="draft")
    response = await client.get(f"/api/events/{draft.slug}/program.ics")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_a_sessions_vevent_is_rendered_once_while_it_is_unchanged() -> None:
    """The per-session memo the program feed's speed rests on (the DST change once moved it off by mistake)."""
    item = session(id=uuid.uuid4(), title="Memoised")

    first = render_event(item, CALENDAR)
    again = render_event(item, CALENDAR)
    edited = render_event(item._replace(title="Memoised, moved"), CALENDAR)

    assert again is first
    assert b"SUMMARY:Memoised\\, moved" in edited
