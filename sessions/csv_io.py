"""The organizers' spreadsheet: export the program as CSV and import it back, all or nothing.

Times are wall-clock times in the event's zone (``date`` + ``start``/``end``; an ``end`` on another day is
written ``YYYY-MM-DD HH:MM``). Rooms, tracks and add-ons are named, people are "; "-separated names (unknown
names become new speakers). A row with an ``id`` updates that session, an empty one creates a session. Every
row is checked before anything is written; one bad row (reported with its line and column) or one new
conflict (unless overridden) and nothing is imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event, Room
from events.services import get_event, lock_program
from podium import audit
from podium.db import begin_write, savepoint
from podium.errors import Conflict, FieldError, InvalidInput
from podium.spreadsheet import from_cell, to_cell
from registration.models import AddOn
from sessions.capacity import seat_limit, too_few_seats
from sessions.changes import record_session_change, session_changed_fields, snapshot
from sessions.conflicts import PersonFacts, ProgramConflict, SessionFacts, find_conflicts, new_conflicts
from sessions.models import ProgramSession, SessionKind, SessionStatus, Speaker, SpeakerRole
from sessions.queries import event_facts, facts, load_sessions
from sessions.schemas import CsvImportResult, CsvRowError
from sessions.services import MAX_SESSION_LENGTH, set_people

COLUMNS = (
    "id",
    "title",
    "type",
    "date",
    "start",
    "end",
    "room",
    "track",
    "speakers",
    "chairs",
    "capacity",
    "required_add_on",
    "credit_hours",
    "abstract",
    "status",
)
REQUIRED = ("title", "date", "start", "end")
ALIASES = {
    "day": "date",
    "kind": "type",
    "session_type": "type",
    "room_name": "room",
    "track_name": "track",
    "speaker": "speakers",
    "chair": "chairs",
    "start_time": "start",
    "end_time": "end",
    "add_on": "required_add_on",
    "required_add_on_code": "required_add_on",
    "add_on_code": "required_add_on",
    "credits": "credit_hours",
    "cme": "credit_hours",
}
MAX_BYTES = 2_000_000
# The request bodies that carry a file: the file plus a multipart envelope, so a file just over MAX_BYTES still
# gets the clear answer below and not a bare 413 (the app's JSON limit is smaller).
UPLOAD_BODY_LIMIT = MAX_BYTES + 64 * 1024
MAX_ROWS = 5_000
PEOPLE_SEPARATOR = ";"
TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p")
_HEADER_KEY = re.compile(r"[\s\-]+")


class CsvImportError(InvalidInput):
    """422: the rows that are wrong, each with its line and column; nothing was imported."""

    code = "csv_invalid"

    def __init__(self, rows: Sequence[CsvRowError]) -> None:
        rows = sorted(rows, key=lambda r: (r.line, COLUMNS.index(r.column) if r.column in COLUMNS else 99))
        super().__init__(
            f"{len(rows)} problem(s) in the file; nothing was imported",
            errors=[FieldError(f"line {r.line}: {r.column}", r.message) for r in rows],
        )
        self.rows = list(rows)


class CsvConflicts(Conflict):
    """409: importing would create conflicts (listed with the lines involved); nothing was imported."""

    code = "program_conflicts"

    def __init__(self, messages: Sequence[tuple[str, str]]) -> None:
        super().__init__(
            f"the import would create {len(messages)} conflict(s); nothing was imported "
            "(fix the rows or override explicitly)",
            field="override_conflicts",
            errors=[FieldError(kind, message) for kind, message in messages],
        )
        self.messages = list(messages)


# --- export -----------------------------------------------------------------------------------------------


def _clock(value: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    return value.astimezone(tz)


def render_csv(event: Event, sessions: Sequence[ProgramSession], add_on_codes: dict[UUID, str]) -> str:
    """The spreadsheet for ``sessions``; a pure function so the round trip is easy to test."""
    tz = zoneinfo.ZoneInfo(event.timezone)
    rooms = {r.id: r.name for r in event.rooms}
    tracks = {t.id: t.name for t in event.tracks}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for session in sessions:
        start, end = _clock(session.starts_at, tz), _clock(session.ends_at, tz)
        end_text = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%Y-%m-%d %H:%M")
        people = {
            role: f"{PEOPLE_SEPARATOR} ".join(p.speaker.name for p in session.people if p.role == role)
            for role in (SpeakerRole.SPEAKER, SpeakerRole.CHAIR)
        }
        writer.writerow(
            to_cell(value)
            for value in [
                str(session.id),
                session.title,
                session.kind,
                start.date().isoformat(),
                start.strftime("%H:%M"),
                end_text,
                rooms.get(session.room_id, "") if session.room_id else "",
                tracks.get(session.track_id, "") if session.track_id else "",
                people[SpeakerRole.SPEAKER],
                people[SpeakerRole.CHAIR],
                "" if session.capacity is None else str(session.capacity),
                add_on_codes.get(session.required_add_on_id, "") if session.required_add_on_id else "",
                _hours_text(Decimal(session.credit_hours)),
                session.abstract,
                session.status,
            ]
        )
    return out.getvalue()


def _hours_text(value: Decimal) -> str:
    text = format(value.quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


async def export_csv(db_session: AsyncSession, slug: str) -> str:
    event = await get_event(db_session, slug)
    sessions = await load_sessions(db_session, event.id)
    codes = dict(
        (await db_session.execute(select(AddOn.id, AddOn.code).where(AddOn.event_id == event.id))).tuples().all()
    )
    return render_csv(event, sessions, codes)


# --- import: parsing ---------------------------------------------------------------------------------------


@dataclass
class RowPlan:
    line: int
    session_id: UUID | None
    title: str
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    room_id: UUID | None
    track_id: UUID | None
    speakers: list[str]
    chairs: list[str]
    capacity: int | None
    add_on_id: UUID | None
    credit_hours: Decimal
    abstract: str
    status: str


@dataclass
class Lookups:
    timezone: str
    rooms: dict[str, UUID]
    tracks: dict[str, UUID]
    add_ons: dict[str, UUID]
    sessions: dict[UUID, ProgramSession]


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _header(cells: list[str]) -> tuple[dict[str, int], list[CsvRowError]]:
    positions: dict[str, int] = {}
    errors: list[CsvRowError] = []
    for index, cell in enumerate(cells):
        raw = cell.strip()
        if not raw:
            continue
        key = _HEADER_KEY.sub("_", raw.lower())
        key = ALIASES.get(key, key)
        if key not in COLUMNS:
            errors.append(CsvRowError(line=1, column=raw, message=f"unknown column; use: {', '.join(COLUMNS)}"))
        elif key in positions:
            errors.append(CsvRowError(line=1, column=key, message="the column appears twice"))
        else:
            positions[key] = index
    for name in REQUIRED:
        if name not in positions:
            errors.append(CsvRowError(line=1, column=name, message="this column is required"))
    return positions, errors


def _time(text: str) -> dt.time | None:
    for pattern in TIME_FORMATS:
        try:
            return dt.datetime.strptime(text.strip().upper(), pattern).time()
        except ValueError:
            continue
    return None


def _local_instant(day: dt.date, clock: dt.time, tz: zoneinfo.ZoneInfo) -> dt.datetime | None:
    """The UTC instant of a wall-clock time, or None when that time doesn't exist (clocks jump forward)."""
    local = dt.datetime.combine(day, clock, tz)
    instant = local.astimezone(dt.UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def _names(text: str) -> list[str]:
    return [" ".join(n.split()) for n in text.split(PEOPLE_SEPARATOR) if n.strip()]


Complain = Callable[[str, str], None]  # (column, message): one problem with the row being read
# Which statuses a CSV row may give a session, by the status it has now (None: a new session), and why not.
_STATUS_MOVES: dict[str | None, tuple[set[str], str]] = {
    None: ({"draft", "published"}, "a new session starts as draft or published"),
    "draft": ({"draft", "published"}, "a draft was never announced: delete it instead of cancelling"),
    "published": ({"published", "cancelled"}, "a published session can only be cancelled, not taken back to draft"),
    "cancelled": ({"cancelled", "published"}, "a cancelled session can only be published again"),
}


def parse_row(line: int, cell: dict[str, str], found: Lookups) -> tuple[RowPlan | None, list[CsvRowError]]:
    """One row checked in isolation; every problem is reported, not just the first."""
    errors: list[CsvRowError] = []

    def bad(column: str, message: str) -> None:
        errors.append(CsvRowError(line=line, column=column, message=message))

    session_id = _row_session_id(cell, found, bad)
    title = " ".join(cell["title"].split())
    if not title:
        bad("title", "must not be blank")
    elif len(title) > 300:
        bad("title", "at most 300 characters")
    kind = _HEADER_KEY.sub("_", cell["type"].strip().lower()) or SessionKind.SCIENTIFIC_SESSION.value
    if kind not in {k.value for k in SessionKind}:
        bad("type", f"unknown type {cell['type']!r}; use one of: {', '.join(k.value for k in SessionKind)}")
    starts_at, ends_at = _row_times(cell, found.timezone, bad)
    room_id = _row_reference(
        cell, "room", found.rooms, _key(cell["room"]), bad, "unknown room {}; add it to the event first"
    )
    track_id = _row_reference(
        cell, "track", found.tracks, _key(cell["track"]), bad, "unknown track {}; add it to the event first"
    )
    add_on_id = _row_reference(
        cell,
        "required_add_on",
        found.add_ons,
        cell["required_add_on"].strip().lower(),
        bad,
        "this event sells no add-on with the code {}",
    )
    people = {column: _row_people(cell, column, bad) for column in ("speakers", "chairs")}
    capacity = _row_capacity(cell, bad)
    credit_hours = _row_credit_hours(cell, bad)
    status = _row_status(cell, found.sessions[session_id].status if session_id in found.sessions else None, bad)
    abstract = cell["abstract"]
    if len(abstract) > 20_000:
        bad("abstract", "at most 20,000 characters")
    if errors or starts_at is None or ends_at is None:
        return None, errors
    plan = RowPlan(
        line=line,
        session_id=session_id,
        title=title,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        room_id=room_id,
        track_id=track_id,
        speakers=people["speakers"],
        chairs=people["chairs"],
        capacity=capacity,
        add_on_id=add_on_id,
        credit_hours=credit_hours.quantize(Decimal("0.01")),
        abstract=abstract,
        status=status,
    )
    return plan, errors


def _row_session_id(cell: dict[str, str], found: Lookups, bad: Complain) -> UUID | None:
    if not cell["id"]:
        return None
    try:
        session_id = UUID(cell["id"])
    except ValueError:
        bad("id", "not a session id; leave it empty to create a session")
        return None
    if session_id not in found.sessions:
        bad("id", "no session with this id in this event; leave it empty to create a session")
    return session_id


def _row_times(cell: dict[str, str], timezone: str, bad: Complain) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The start and end as instants; the end may name another day (``YYYY-MM-DD HH:MM``)."""
    tz = zoneinfo.ZoneInfo(timezone)
    day: dt.date | None = None
    try:
        day = dt.date.fromisoformat(cell["date"].strip())
    except ValueError:
        bad("date", f"{cell['date']!r} is not a date (YYYY-MM-DD)")
    starts_at = None
    start_clock = _time(cell["start"])
    if start_clock is None:
        bad("start", f"{cell['start']!r} is not a time (HH:MM, 24-hour)")
    elif day is not None:
        starts_at = _local_instant(day, start_clock, tz)
        if starts_at is None:
            bad("start", f"{cell['start']} does not exist on {day} in {timezone} (the clocks change)")
    ends_at = _row_end(cell, day, tz, bad)
    if starts_at is not None and ends_at is not None:
        if ends_at <= starts_at:
            bad("end", "the session must end after it starts")
        elif ends_at - starts_at > MAX_SESSION_LENGTH:
            bad("end", "a session lasts at most 24 hours")
    return starts_at, ends_at


def _row_end(cell: dict[str, str], day: dt.date | None, tz: zoneinfo.ZoneInfo, bad: Complain) -> dt.datetime | None:
    end_text = cell["end"].strip()
    end_day, end_clock = day, _time(end_text)
    if end_clock is None and " " in end_text:
        day_part, _, clock_part = end_text.partition(" ")
        try:
            end_day, end_clock = dt.date.fromisoformat(day_part), _time(clock_part)
        except ValueError:
            end_clock = None
    if end_clock is None:
        bad("end", f"{cell['end']!r} is not a time (HH:MM, or YYYY-MM-DD HH:MM for another day)")
        return None
    if end_day is None:
        return None
    ends_at = _local_instant(end_day, end_clock, tz)
    if ends_at is None:
        bad("end", f"{end_text} does not exist on {end_day} in {tz.key} (the clocks change)")
    return ends_at


def _row_reference(
    cell: dict[str, str], column: str, known: dict[str, UUID], key: str, bad: Complain, unknown: str
) -> UUID | None:
    """The id a room, track or add-on cell names (matched by ``key``); ``unknown`` words a name not found."""
    if not cell[column].strip():
        return None
    found = known.get(key)
    if found is None:
        bad(column, unknown.format(repr(cell[column].strip())))
    return found


def _row_people(cell: dict[str, str], column: str, bad: Complain) -> list[str]:
    names = _names(cell[column])
    if len({_key(n) for n in names}) != len(names):
        bad(column, "lists someone twice")
    for name in names:
        if len(name) > 200:
            bad(column, "a name has at most 200 characters")
    return names


def _row_capacity(cell: dict[str, str], bad: Complain) -> int | None:
    text = cell["capacity"].strip()
    if not text:
        return None
    try:
        capacity = int(text)
    except ValueError:
        bad("capacity", f"{cell['capacity']!r} is not a whole number (leave it empty for the room's capacity)")
        return None
    if not 0 <= capacity <= 1_000_000:
        bad("capacity", "must be between 0 and 1,000,000")
    return capacity


def _row_credit_hours(cell: dict[str, str], bad: Complain) -> Decimal:
    text = cell["credit_hours"].strip()
    if not text:
        return Decimal("0")
    try:
        credit_hours = Decimal(text)
    except InvalidOperation:
        bad("credit_hours", f"{cell['credit_hours']!r} is not a number")
        return Decimal("0")
    exact = credit_hours.is_finite() and credit_hours == credit_hours.quantize(Decimal("0.01"))
    if not exact or not 0 <= credit_hours <= 99:
        bad("credit_hours", "0 to 99 with at most two decimals")
        return Decimal("0")
    return credit_hours


def _row_status(cell: dict[str, str], current: str | None, bad: Complain) -> str:
    """The status the row asks for (empty: unchanged, or draft for a new session), if it may move there."""
    status = cell["status"].strip().lower() or current or SessionStatus.DRAFT.value
    if status not in {s.value for s in SessionStatus}:
        bad("status", "draft, published or cancelled")
        return status
    allowed, why_not = _STATUS_MOVES[current]
    if status not in allowed:
        bad("status", why_not)
    return status


def _keep_absent(plan: RowPlan, existing: ProgramSession, present: set[str]) -> None:
    """A spreadsheet without a column leaves that field of the sessions it updates alone (a file of just
    id, title, date, start and end must not wipe rooms, people or abstracts)."""
    if "type" not in present:
        plan.kind = existing.kind
    if "room" not in present:
        plan.room_id = existing.room_id
    if "track" not in present:
        plan.track_id = existing.track_id
    if "capacity" not in present:
        plan.capacity = existing.capacity
    if "required_add_on" not in present:
        plan.add_on_id = existing.required_add_on_id
    if "credit_hours" not in present:
        plan.credit_hours = Decimal(existing.credit_hours).quantize(Decimal("0.01"))
    if "abstract" not in present:
        plan.abstract = existing.abstract
    if "speakers" not in present:
        plan.speakers = [p.speaker.name for p in existing.people if p.role == SpeakerRole.SPEAKER]
    if "chairs" not in present:
        plan.chairs = [p.speaker.name for p in existing.people if p.role == SpeakerRole.CHAIR]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_csv(content: bytes, found: Lookups) -> list[RowPlan]:
    """Every row checked; raises ``CsvImportError`` listing all problems at once."""
    reader, header = _open_csv(content)
    positions, errors = _header(header)
    if errors:
        raise CsvImportError(errors)
    plans: list[RowPlan] = []
    seen_ids: dict[UUID, int] = {}
    for row_line, cells in _rows(reader, errors):
        if len(plans) + len(errors) >= MAX_ROWS:
            errors.append(CsvRowError(line=row_line, column="file", message=f"at most {MAX_ROWS} rows per file"))
            break
        plan = _plan_of(row_line, cells, len(header), positions, found, errors)
        if plan is None:
            continue
        if plan.session_id is not None:
            if plan.session_id in seen_ids:
                message = f"the same session is on line {seen_ids[plan.session_id]}"
                errors.append(CsvRowError(line=row_line, column="id", message=message))
                continue
            seen_ids[plan.session_id] = row_line
        plans.append(plan)
    if errors:
        raise CsvImportError(errors)
    return plans


def _open_csv(content: bytes) -> tuple[Iterator[list[str]], list[str]]:
    """A reader over the file's rows (UTF-8, its delimiter guessed from the first line) and its header."""
    if len(content) > MAX_BYTES:
        raise CsvImportError([CsvRowError(line=0, column="file", message="the file is larger than 2 MB")])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvImportError(
            [CsvRowError(line=0, column="file", message="not UTF-8 text (save as CSV UTF-8)")]
        ) from None
    if not text.strip():
        raise CsvImportError([CsvRowError(line=1, column="file", message="the file is empty")])
    first_line = text.splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise CsvImportError([CsvRowError(line=1, column="file", message=f"unreadable CSV: {exc}")]) from exc
    return reader, header


def _rows(reader: Any, errors: list[CsvRowError]) -> Iterator[tuple[int, list[str]]]:
    """Each row that isn't blank, with the line it starts on; a row the csv module can't read ends the file."""
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(CsvRowError(line=line, column="file", message=f"unreadable CSV: {exc}"))
            return
        row_line, line = line, reader.line_num + 1
        if any(c.strip() for c in cells):
            yield row_line, cells


def _plan_of(
    row_line: int,
    cells: list[str],
    columns: int,
    positions: dict[str, int],
    found: Lookups,
    errors: list[CsvRowError],
) -> RowPlan | None:
    """One row read into a plan, or its problems added to ``errors``."""
    if len(cells) > columns:
        errors.append(CsvRowError(line=row_line, column="file", message="more cells than columns"))
        return None
    given = {name: from_cell(cells[i]) if i < len(cells) else "" for name, i in positions.items()}
    cell = {name: given.get(name, "") for name in COLUMNS}
    control = [name for name, value in cell.items() if _CONTROL.search(value)]
    errors.extend(CsvRowError(line=row_line, column=name, message="contains control characters") for name in control)
    if control or any(e.line == row_line for e in errors):
        return None
    plan, row_errors = parse_row(row_line, cell, found)
    errors.extend(row_errors)
    if plan is not None and plan.session_id in found.sessions:
        _keep_absent(plan, found.sessions[plan.session_id], set(positions))
    return plan


# --- import: checking and writing -------------------------------------------------------------------------


def _speaker_key_ids(plans: Sequence[RowPlan], speakers: dict[str, Speaker]) -> dict[str, UUID]:
    """Every name in the file mapped to its speaker's id (a new id for new names, decided now)."""
    ids = {key: s.id for key, s in speakers.items()}
    for plan in plans:
        for name in plan.speakers + plan.chairs:
            ids.setdefault(_key(name), uuid.uuid4())
    return ids


def _conflict_messages(conflicts: Sequence[ProgramConflict], lines: dict[UUID, int]) -> list[tuple[str, str]]:
    messages = []
    for conflict in conflicts:
        where = sorted(lines[i] for i in conflict.session_ids if i in lines)
        label = f"line {where[0]}" if len(where) == 1 else "lines " + ", ".join(str(n) for n in where)
        messages.append((conflict.kind, f"{label}: {conflict.message}"))
    return messages


async def import_csv(
    db_session: AsyncSession, slug: str, content: bytes, *, override: bool, actor: str
) -> CsvImportResult:
    await begin_write(db_session)
    event = await get_event(db_session, slug)
    if event.status == "archived":
        raise Conflict("archived events are read-only", field="status", code="event_archived")
    await lock_program(db_session, event.id)
    sessions = await load_sessions(db_session, event.id)
    add_ons = (await db_session.execute(select(AddOn.id, AddOn.code).where(AddOn.event_id == event.id))).all()
    found = Lookups(
        timezone=event.timezone,
        rooms={_key(r.name): r.id for r in event.rooms},
        tracks={_key(t.name): t.id for t in event.tracks},
        add_ons={code.lower(): add_on_id for add_on_id, code in add_ons},
        sessions={s.id: s for s in sessions},
    )
    plans = parse_csv(content, found)
    speakers = {
        _key(s.name): s for s in (await db_session.scalars(select(Speaker).where(Speaker.event_id == event.id))).all()
    }
    speaker_ids = _speaker_key_ids(plans, speakers)
    if not override:
        _refuse_new_conflicts(event, sessions, plans, speaker_ids, {add_on_id for add_on_id, _ in add_ons})

    counts = {"created": 0, "updated": 0, "unchanged": 0}
    # A session the import would shrink below its reserved seats stops it half-way: the savepoint undoes
    # what it had written, as does a speaker or session another organizer added meanwhile (a unique rule).
    async with savepoint(db_session, Conflict("the program changed while importing; try again", field="file")):
        speakers_created = _add_speakers(db_session, event, plans, speakers, speaker_ids, actor)
        rooms = {r.id: r for r in event.rooms}
        for plan in plans:
            counts[await _write_row(db_session, event, plan, found, speakers, rooms, actor)] += 1
    return CsvImportResult(**counts, speakers_created=speakers_created)


def _refuse_new_conflicts(
    event: Event,
    sessions: Sequence[ProgramSession],
    plans: list[RowPlan],
    speaker_ids: dict[str, UUID],
    add_ons: set[UUID],
) -> None:
    """Raise ``CsvConflicts`` naming the lines whose sessions would bring conflicts the program doesn't have."""
    rooms = {r.id: r for r in event.rooms}
    add_on_events = {add_on_id: event.id for add_on_id in add_ons}
    current = {s.id: facts(s, rooms, add_on_events) for s in sessions}
    planned: dict[UUID, SessionFacts] = {}
    lines: dict[UUID, int] = {}
    for plan in plans:
        plan.session_id = plan.session_id or uuid.uuid4()
        room = rooms.get(plan.room_id) if plan.room_id else None
        persons = [PersonFacts(speaker_ids[_key(n)], n, SpeakerRole.SPEAKER.value) for n in plan.speakers]
        persons += [PersonFacts(speaker_ids[_key(n)], n, SpeakerRole.CHAIR.value) for n in plan.chairs]
        planned[plan.session_id] = SessionFacts(
            id=plan.session_id,
            title=plan.title,
            starts_at=plan.starts_at,
            ends_at=plan.ends_at,
            status=plan.status,
            room_id=plan.room_id,
            room_name=room.name if room else "",
            room_capacity=room.capacity if room else None,
            capacity=plan.capacity,
            required_add_on_id=plan.add_on_id,
            required_add_on_event_id=event.id if plan.add_on_id else None,
            people=tuple(persons),
        )
        lines[plan.session_id] = plan.line
    facts_of_event = event_facts(event)
    before = find_conflicts(facts_of_event, list(current.values()))
    after = find_conflicts(facts_of_event, list({**current, **planned}.values()))
    found_conflicts = new_conflicts(before, after, set(planned))
    if found_conflicts:
        raise CsvConflicts(_conflict_messages(found_conflicts, lines))


def _add_speakers(
    db_session: AsyncSession,
    event: Event,
    plans: list[RowPlan],
    speakers: dict[str, Speaker],
    speaker_ids: dict[str, UUID],
    actor: str,
) -> int:
    """Speakers the file names that the event doesn't have yet, added to ``speakers``; how many."""
    added = 0
    for key, speaker_id in speaker_ids.items():
        if key not in speakers:
            name = next(n for p in plans for n in p.speakers + p.chairs if _key(n) == key)
            speakers[key] = Speaker(id=speaker_id, event_id=event.id, name=name, affiliation="", bio="")
            db_session.add(speakers[key])
            audit.record_created(
                db_session, "speaker", speaker_id, {"name": name}, actor, event_id=event.id, note="CSV import"
            )
            added += 1
    return added


async def _write_row(
    db_session: AsyncSession,
    event: Event,
    plan: RowPlan,
    found: Lookups,
    speakers: dict[str, Speaker],
    rooms: dict[UUID, Room],
    actor: str,
) -> str:
    """One row written: ``created``, ``updated`` or ``unchanged``."""
    plan.session_id = plan.session_id or uuid.uuid4()
    people = [(speakers[_key(n)], SpeakerRole.SPEAKER.value) for n in plan.speakers]
    people += [(speakers[_key(n)], SpeakerRole.CHAIR.value) for n in plan.chairs]
    existing = found.sessions.get(plan.session_id)
    values: dict[str, Any] = {
        "title": plan.title,
        "kind": plan.kind,
        "abstract": plan.abstract,
        "starts_at": plan.starts_at,
        "ends_at": plan.ends_at,
        "room_id": plan.room_id,
        "track_id": plan.track_id,
        "capacity": plan.capacity,
        "required_add_on_id": plan.add_on_id,
        "credit_hours": plan.credit_hours,
        "status": plan.status,
    }
    if existing is None:
        session = ProgramSession(id=plan.session_id, event_id=event.id, seats_taken=0, sequence=0, people=[], **values)
        set_people(session, people)
        db_session.add(session)
        changed = session_changed_fields(None, snapshot(session, [(s.id, r) for s, r in people]))
        await record_session_change(db_session, session, changed, actor=actor, previous_status=None)
        return "created"
    before_state, previous = snapshot(existing), existing.status
    room = rooms.get(plan.room_id) if plan.room_id else None
    limit = seat_limit(plan.capacity, room.capacity if room else None)
    if too_few_seats(limit, existing.seats_taken):
        # Worded before the savepoint's rollback, which expires what it changed (reading it after was a 500).
        column = "capacity" if plan.capacity is not None else "room"
        message = f"{existing.seats_taken} seats are reserved; that leaves {limit}"
        raise CsvImportError([CsvRowError(line=plan.line, column=column, message=message)])
    for name, value in values.items():
        setattr(existing, name, value)
    set_people(existing, people)
    after_state = snapshot(existing, [(s.id, r) for s, r in people])
    changed = session_changed_fields(before_state, after_state)
    if not changed:
        return "unchanged"
    await record_session_change(
        db_session, existing, changed, actor=actor, previous_status=previous, before=before_state, after=after_state
    )
    return "updated"
