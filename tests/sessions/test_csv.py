"""CSV import and export: a good spreadsheet, bad ones (every problem with its line and column, nothing
half-imported), conflicts between rows, updates by id, and the export that imports back unchanged."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from podium.settings import Settings
from tests.asgi_client import Client
from tests.sessions.factories import ProgramEvent, build_program_event

HEADER = "title,type,date,start,end,room,track,speakers,chairs,capacity,required_add_on,credit_hours,abstract,status"
GOOD = f"""{HEADER}
State of the field,keynote,2027-03-14,08:00,09:15,Hall A,,Ada Lovelace,Marie Curie,,,1.25,"Year, in brief",published
Grant writing,workshop,2027-03-14,10:00,12:00,Room 101,,Grace Hopper; Ada Lovelace,,30,workshop-grants,2,Hands-on.,draft
Coffee,break,2027-03-14,09:15,10:00,,,,,,,,,published
Policy now,symposium,2027-03-15,09:00,10:30,hall a,health policy,Emmy Noether,Ada Lovelace,,,1.5,,
"""


@pytest.fixture
async def program(settings: Settings) -> ProgramEvent:
    return await build_program_event(settings)


async def upload(
    client: Client, organizer: dict[str, str], program: ProgramEvent, text: str | bytes, **params: str
) -> httpx.Response:
    content = text.encode() if isinstance(text, str) else text
    return await client.post(
        f"/api/events/{program.slug}/sessions.csv",
        content=content,
        params=params,
        headers={**organizer, "Content-Type": "text/csv"},
    )


async def everything(client: Client, organizer: dict[str, str], program: ProgramEvent) -> tuple[list[Any], list[Any]]:
    sessions = await client.get(f"/api/organizer/events/{program.slug}/sessions", headers=organizer)
    speakers = await client.get(f"/api/events/{program.slug}/speakers", headers=organizer)
    return sessions.json(), speakers.json()


async def test_good_file_creates_sessions_and_speakers_in_local_time(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    response = await upload(client, organizer, program, GOOD)
    sessions, speakers = await everything(client, organizer, program)

    assert response.json() == {"created": 4, "updated": 0, "unchanged": 0, "speakers_created": 4}
    by_title = {s["title"]: s for s in sessions}
    keynote = by_title["State of the field"]
    assert (keynote["starts_at"], keynote["local_start"], keynote["status"]) == (
        "2027-03-14T12:00:00Z",
        "2027-03-14T08:00",
        "published",
    )
    assert [(p["name"], p["role"]) for p in keynote["people"]] == [
        ("Ada Lovelace", "speaker"),
        ("Marie Curie", "chair"),
    ]
    workshop = by_title["Grant writing"]
    assert [p["name"] for p in workshop["people"]] == ["Grace Hopper", "Ada Lovelace"]
    assert (workshop["capacity"], workshop["required_add_on_id"], workshop["credit_hours"]) == (
        30,
        str(program.workshop_add_on),
        2.0,
    )
    assert (by_title["Policy now"]["room"], by_title["Policy now"]["track"]) == ("Hall A", "Health Policy")
    assert by_title["Policy now"]["status"] == "draft"
    assert by_title["Coffee"]["room"] is None
    assert sorted(s["name"] for s in speakers) == ["Ada Lovelace", "Emmy Noether", "Grace Hopper", "Marie Curie"]


BAD_ROWS = [
    ("Talk,scientific_session,2027-03-14,09:00,10:00,Atlantis,,,,,,,,", [("line 2: room", "unknown room 'Atlantis'")]),
    ("Talk,scientific_session,2027-03-14,9 o'clock,10:00,,,,,,,,,", [("line 2: start", "is not a time")]),
    ("Talk,scientific_session,2027-03-14,02:30,03:30,,,,,,,,,", [("line 2: start", "does not exist")]),
    ("Talk,scientific_session,2027-03-14,10:00,09:00,,,,,,,,,", [("line 2: end", "must end after it starts")]),
    ("Talk,scientific_session,14/03/2027,10:00,11:00,,,,,,,,,", [("line 2: date", "is not a date")]),
    ("Talk,party,2027-03-14,10:00,11:00,,,,,,,,,", [("line 2: type", "unknown type 'party'")]),
    ("Talk,,2027-03-14,10:00,11:00,,Astrology,,,,,,,", [("line 2: track", "unknown track")]),
    ("Talk,,2027-03-14,10:00,11:00,,,,,lots,,,,", [("line 2: capacity", "not a whole number")]),
    ("Talk,,2027-03-14,10:00,11:00,,,,,,elsewhere,,,", [("line 2: required_add_on", "no add-on")]),
    ("Talk,,2027-03-14,10:00,11:00,,,,,,,1.234,,", [("line 2: credit_hours", "two decimals")]),
    ("Talk,,2027-03-14,10:00,11:00,,,,,,,,,cancelled", [("line 2: status", "starts as draft or published")]),
    ("Talk,,2027-03-14,10:00,11:00,,,A; a,,,,,,", [("line 2: speakers", "twice")]),
    (",,2027-03-14,10:00,11:00,,,,,,,,,", [("line 2: title", "blank")]),
    (
        "Talk,,2027-03-14,25:00,11:00,Atlantis,,,,,,,,",
        [("line 2: start", "is not a time"), ("line 2: room", "unknown room")],
    ),
]


@pytest.mark.parametrize(("row", "expected"), BAD_ROWS)
async def test_a_bad_row_is_reported_with_line_and_column_and_nothing_is_imported(
    client: Client, organizer: dict[str, str], program: ProgramEvent, row: str, expected: list[tuple[str, str]]
) -> None:
    good_rows = GOOD.strip().splitlines()[1:]
    text = "\n".join([HEADER, good_rows[0], row.replace("line 2", ""), good_rows[1]]) + "\n"

    response = await upload(client, organizer, program, text)
    sessions, speakers = await everything(client, organizer, program)

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "csv_invalid"
    got = [(e["field"], e["message"]) for e in problem["errors"]]
    assert [field for field, _ in got] == [field.replace("line 2", "line 3") for field, _ in expected]
    for (_, message), (_, fragment) in zip(got, expected, strict=True):
        assert fragment in message
    assert (sessions, speakers) == ([], [])


@pytest.mark.parametrize(
    ("header", "field", "fragment"),
    [
        ("title,date,start", "line 1: end", "required"),
        ("title,date,start,end,colour", "line 1: colour", "unknown column"),
        ("title,date,start,end,title", "line 1: title", "twice"),
    ],
)
async def test_bad_headers_are_reported_on_line_one(
    client: Client, organizer: dict[str, str], program: ProgramEvent, header: str, field: str, fragment: str
) -> None:
    response = await upload(client, organizer, program, f"{header}\nTalk,2027-03-14,10:00,11:00,x\n")

    problem = response.json()
    assert response.status_code == 422
    assert problem["errors"][0]["field"] == field and fragment in problem["errors"][0]["message"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"", "empty"), (b"title,date\xff\xfe,start,end\n", "UTF-8"), (b"x" * 2_000_001, "2 MB")],
)
async def test_unreadable_files_are_refused(
    client: Client, organizer: dict[str, str], program: ProgramEvent, content: bytes, fragment: str
) -> None:
    response = await upload(client, organizer, program, content)

    assert response.status_code == 422
    assert fragment in response.json()["errors"][0]["message"]


async def test_overlapping_rows_are_refused_with_their_lines_unless_overridden(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    text = f"""{HEADER}
First,,2027-03-14,09:00,10:00,Hall A,,Ada Lovelace,,,,,,draft
Touching,,2027-03-14,10:00,11:00,Hall A,,Ada Lovelace,,,,,,draft
Clash,,2027-03-14,10:30,11:30,Hall A,,,,,,,,draft
Elsewhere,,2027-03-14,10:45,11:15,Room 101,,Ada Lovelace,,,,,,draft
"""

    refused = await upload(client, organizer, program, text)
    sessions, _ = await everything(client, organizer, program)
    forced = await upload(client, organizer, program, text, override_conflicts="true")

    problem = refused.json()
    assert refused.status_code == 409
    assert [(e["field"], e["message"].split(":")[0]) for e in problem["errors"]] == [
        ("room_double_booked", "lines 3, 4"),
        ("person_double_booked", "lines 3, 5"),
    ]
    assert sessions == []
    assert forced.json()["created"] == 4


async def test_rows_clashing_with_the_existing_program_are_refused(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    await upload(client, organizer, program, GOOD)

    response = await upload(
        client, organizer, program, f"{HEADER}\nLate arrival,,2027-03-14,09:00,09:30,Hall A,,,,,,,,\n"
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["message"].startswith("line 2: Hall A is double-booked")


async def test_export_imports_back_unchanged_and_into_another_event_identically(
    client: Client, organizer: dict[str, str], program: ProgramEvent, settings: Settings
) -> None:
    await upload(client, organizer, program, GOOD)
    exported = await client.get(f"/api/events/{program.slug}/sessions.csv", headers=organizer)

    again = await upload(client, organizer, program, exported.content)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    for row in rows:
        row["id"] = ""
    copy = io.StringIO()
    writer = csv.DictWriter(copy, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    twin = await build_program_event(settings)
    into_twin = await upload(client, organizer, twin, copy.getvalue())

    assert exported.headers["content-type"].startswith("text/csv")
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 4, "speakers_created": 0}
    assert into_twin.json()["created"] == 4

    def comparable(sessions: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return sorted(
            (s["title"], s["kind"], s["starts_at"], s["ends_at"], s["room"], s["track"], s["capacity"], s["status"],
             s["credit_hours"], s["abstract"], [(p["name"], p["role"]) for p in s["people"]])
            for s in sessions
        )  # fmt: skip

    original, _ = await everything(client, organizer, program)
    copied, _ = await everything(client, organizer, twin)
    assert comparable(copied) == comparable(original)
    assert {s["sequence"] for s in original} == {0}


async def test_updating_by_id_moves_and_cancels_with_sequence_bumps(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    await upload(client, organizer, program, GOOD)
    exported = (await client.get(f"/api/events/{program.slug}/sessions.csv", headers=organizer)).text
    rows = list(csv.DictReader(io.StringIO(exported)))
    for row in rows:
        if row["title"] == "State of the field":
            row["start"], row["end"] = "07:45", "09:00"
        if row["title"] == "Coffee":
            row["status"] = "cancelled"
        if row["title"] == "Grant writing":
            row["status"] = "cancelled"
    edited = io.StringIO()
    writer = csv.DictWriter(edited, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)

    refused = await upload(client, organizer, program, edited.getvalue())
    for row in rows:
        if row["title"] == "Grant writing":
            row["status"] = "draft"
    edited = io.StringIO()
    writer = csv.DictWriter(edited, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    accepted = await upload(client, organizer, program, edited.getvalue())
    sessions, _ = await everything(client, organizer, program)

    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == [
        f"line {rows.index(next(r for r in rows if r['title'] == 'Grant writing')) + 2}: status"
    ]
    assert accepted.json() == {"created": 0, "updated": 2, "unchanged": 2, "speakers_created": 0}
    by_title = {s["title"]: s for s in sessions}
    assert (by_title["State of the field"]["local_start"], by_title["State of the field"]["sequence"]) == (
        "2027-03-14T07:45",
        1,
    )
    assert (by_title["Coffee"]["status"], by_title["Coffee"]["sequence"]) == ("cancelled", 1)


async def test_excel_style_semicolons_and_byte_order_mark_are_read(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    text = (
        "\ufeffTitle;Day;Start Time;End Time;Room Name;Speakers\nTalk;2027-03-14;9:00 AM;10:00;Room 101;Ada Lovelace\n"
    )

    response = await upload(client, organizer, program, text.encode("utf-8"))
    sessions, _ = await everything(client, organizer, program)

    assert response.json()["created"] == 1
    assert (sessions[0]["local_start"], sessions[0]["room"], sessions[0]["status"]) == (
        "2027-03-14T09:00",
        "Room 101",
        "draft",
    )


async def test_csv_routes_are_for_organizers(client: Client, staff: dict[str, str], program: ProgramEvent) -> None:
    exported = await client.get(f"/api/events/{program.slug}/sessions.csv", headers=staff)
    imported = await upload(client, {}, program, GOOD)

    assert (exported.status_code, imported.status_code) == (403, 401)


async def test_columns_left_out_keep_their_values_on_update(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    await upload(client, organizer, program, GOOD)
    before, _ = await everything(client, organizer, program)
    keynote = next(s for s in before if s["title"] == "State of the field")

    response = await upload(
        client,
        organizer,
        program,
        f"id,title,date,start,end\n{keynote['id']},State of the field,2027-03-14,07:30,08:45\n",
    )
    after, _ = await everything(client, organizer, program)

    moved = next(s for s in after if s["id"] == keynote["id"])
    assert response.json() == {"created": 0, "updated": 1, "unchanged": 0, "speakers_created": 0}
    assert moved["local_start"] == "2027-03-14T07:30"
    for field in ("kind", "room", "track", "capacity", "credit_hours", "abstract", "status", "people"):
        assert moved[field] == keynote[field], field


async def test_export_neutralises_formulas_and_imports_them_back_as_text(
    client: Client, organizer: dict[str, str], program: ProgramEvent
) -> None:
    formulas = f"""{HEADER}
"=HYPERLINK(""http://evil.example"",""x"")",keynote,2027-03-14,08:00,09:00,,,@Mallory,,,,,+1 cmd,
"""
    await upload(client, organizer, program, formulas)

    exported = await client.get(f"/api/events/{program.slug}/sessions.csv", headers=organizer)
    again = await upload(client, organizer, program, exported.content)

    row = next(csv.DictReader(io.StringIO(exported.text)))
    assert (row["title"], row["speakers"], row["abstract"]) == (
        '\'=HYPERLINK("http://evil.example","x")',
        "'@Mallory",
        "'+1 cmd",
    )
    assert row["date"] == "2027-03-14"
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 1, "speakers_created": 0}
    sessions, speakers = await everything(client, organizer, program)
    assert [s["title"] for s in sessions] == ['=HYPERLINK("http://evil.example","x")']
    assert [s["name"] for s in speakers] == ["@Mallory"]


@pytest.mark.parametrize(
    ("locale", "opening"),
    [("en", "unreadable CSV: this line can't be read"), ("fr", "CSV illisible")],
)
async def test_a_cell_past_the_csv_limit_is_refused_on_its_line_in_the_organizers_language(
    client: Client, organizer: dict[str, str], program: ProgramEvent, locale: str, opening: str
) -> None:
    """The csv module refuses a cell over 128 KiB; the organizer reads our words, not Python's English."""
    huge = '"' + "x" * 140_000 + '"'
    in_header = await upload(client, {**organizer, "Accept-Language": locale}, program, f"title,{huge}\n")
    in_row = await upload(
        client, {**organizer, "Accept-Language": locale}, program, f"{HEADER}\nTalk,{huge},2027-03-14\n"
    )
    sessions, _ = await everything(client, organizer, program)

    for response, line in ((in_header, 1), (in_row, 2)):
        error = response.json()["errors"][0]
        assert response.status_code == 422
        assert error["field"] == f"line {line}: file"
        assert error["message"].startswith(opening) and "field limit" not in error["message"]
    assert sessions == []
