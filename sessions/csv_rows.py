"""Reading the CSV import's rows into plans, every row checked before anything is written."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from podium.errors import at_most_characters
from podium.i18n import N_, gettext
from podium.spreadsheet import from_cell
from sessions.csv_format import (
    COLUMNS,
    HEADER_KEY,
    MAX_BYTES,
    MAX_ROWS,
    CsvImportError,
    local_instant,
    name_key,
    parse_time,
    read_header,
    split_names,
)
from sessions.edits import MAX_SESSION_LENGTH
from sessions.models import ProgramSession, SessionKind, SessionStatus, SpeakerRole
from sessions.schemas import CsvRowError


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


Complain = Callable[[str, str], None]  # (column, message): one problem with the row being read
# Which statuses a CSV row may give a session, by the status it has now (None: a new session), and why not.
_STATUS_MOVES: dict[str | None, tuple[set[str], str]] = {
    None: ({"draft", "published"}, N_("a new session starts as draft or published")),
    "draft": ({"draft", "published"}, N_("a draft was never announced: delete it instead of cancelling")),
    "published": (
        {"published", "cancelled"},
        N_("a published session can only be cancelled, not taken back to draft"),
    ),
    "cancelled": ({"cancelled", "published"}, N_("a cancelled session can only be published again")),
}


def parse_row(line: int, cell: dict[str, str], found: Lookups) -> tuple[RowPlan | None, list[CsvRowError]]:
    """One row checked in isolation; every problem is reported, not just the first."""
    errors: list[CsvRowError] = []

    def bad(column: str, message: str) -> None:
        errors.append(CsvRowError(line=line, column=column, message=message))

    session_id = _row_session_id(cell, found, bad)
    title = " ".join(cell["title"].split())
    if not title:
        bad("title", N_("must not be blank"))
    elif len(title) > 300:
        bad("title", at_most_characters(300))
    kind = HEADER_KEY.sub("_", cell["type"].strip().lower()) or SessionKind.SCIENTIFIC_SESSION.value
    if kind not in {k.value for k in SessionKind}:
        kinds = ", ".join(k.value for k in SessionKind)
        bad(
            "type",
            gettext("unknown type %(type)s; use one of: %(kinds)s") % {"type": repr(cell["type"]), "kinds": kinds},
        )
    starts_at, ends_at = _row_times(cell, found.timezone, bad)
    room_id = _row_reference(
        cell, "room", found.rooms, name_key(cell["room"]), bad, N_("unknown room %(name)s; add it to the event first")
    )
    track_id = _row_reference(
        cell,
        "track",
        found.tracks,
        name_key(cell["track"]),
        bad,
        N_("unknown track %(name)s; add it to the event first"),
    )
    add_on_id = _row_reference(
        cell,
        "required_add_on",
        found.add_ons,
        cell["required_add_on"].strip().lower(),
        bad,
        N_("this event sells no add-on with the code %(name)s"),
    )
    people = {column: _row_people(cell, column, bad) for column in ("speakers", "chairs")}
    capacity = _row_capacity(cell, bad)
    credit_hours = _row_credit_hours(cell, bad)
    status = _row_status(cell, found.sessions[session_id].status if session_id in found.sessions else None, bad)
    abstract = cell["abstract"]
    if len(abstract) > 20_000:
        bad("abstract", at_most_characters(20_000))
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
        bad("id", N_("not a session id; leave it empty to create a session"))
        return None
    if session_id not in found.sessions:
        bad("id", N_("no session with this id in this event; leave it empty to create a session"))
    return session_id


def _row_times(cell: dict[str, str], timezone: str, bad: Complain) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The start and end as instants; the end may name another day (``YYYY-MM-DD HH:MM``)."""
    tz = zoneinfo.ZoneInfo(timezone)
    day: dt.date | None = None
    try:
        day = dt.date.fromisoformat(cell["date"].strip())
    except ValueError:
        bad("date", gettext("%(text)s is not a date (YYYY-MM-DD)") % {"text": repr(cell["date"])})
    starts_at = None
    start_clock = parse_time(cell["start"])
    if start_clock is None:
        bad("start", gettext("%(text)s is not a time (HH:MM, 24-hour)") % {"text": repr(cell["start"])})
    elif day is not None:
        starts_at = local_instant(day, start_clock, tz)
        if starts_at is None:
            bad("start", _skipped_clock(cell["start"], day, timezone))
    ends_at = _row_end(cell, day, tz, bad)
    if starts_at is not None and ends_at is not None:
        if ends_at <= starts_at:
            bad("end", N_("the session must end after it starts"))
        elif ends_at - starts_at > MAX_SESSION_LENGTH:
            bad("end", N_("a session lasts at most 24 hours"))
    return starts_at, ends_at


def _row_end(cell: dict[str, str], day: dt.date | None, tz: zoneinfo.ZoneInfo, bad: Complain) -> dt.datetime | None:
    end_text = cell["end"].strip()
    end_day, end_clock = day, parse_time(end_text)
    if end_clock is None and " " in end_text:
        day_part, _, clock_part = end_text.partition(" ")
        try:
            end_day, end_clock = dt.date.fromisoformat(day_part), parse_time(clock_part)
        except ValueError:
            end_clock = None
    if end_clock is None:
        bad(
            "end",
            gettext("%(text)s is not a time (HH:MM, or YYYY-MM-DD HH:MM for another day)")
            % {"text": repr(cell["end"])},
        )
        return None
    if end_day is None:
        return None
    ends_at = local_instant(end_day, end_clock, tz)
    if ends_at is None:
        bad("end", _skipped_clock(end_text, end_day, tz.key))
    return ends_at


def _skipped_clock(clock: str, day: dt.date, timezone: str) -> str:
    """A local time the clocks skip on ``day`` (spring forward), in the request's language."""
    wording = gettext("%(clock)s does not exist on %(day)s in %(zone)s (the clocks change)")
    return wording % {"clock": clock, "day": day.isoformat(), "zone": timezone}


def _row_reference(
    cell: dict[str, str], column: str, known: dict[str, UUID], key: str, bad: Complain, unknown: str
) -> UUID | None:
    """The id a room, track or add-on cell names (matched by ``key``); ``unknown`` words a name not found (a
    message marked ``N_`` with ``%(name)s``, translated here)."""
    if not cell[column].strip():
        return None
    found = known.get(key)
    if found is None:
        bad(column, gettext(unknown) % {"name": repr(cell[column].strip())})
    return found


def _row_people(cell: dict[str, str], column: str, bad: Complain) -> list[str]:
    names = split_names(cell[column])
    if len({name_key(n) for n in names}) != len(names):
        bad(column, N_("lists someone twice"))
    for name in names:
        if len(name) > 200:
            bad(column, N_("a name has at most 200 characters"))
    return names


def _row_capacity(cell: dict[str, str], bad: Complain) -> int | None:
    text = cell["capacity"].strip()
    if not text:
        return None
    try:
        capacity = int(text)
    except ValueError:
        wording = gettext("%(text)s is not a whole number (leave it empty for the room's capacity)")
        bad("capacity", wording % {"text": repr(cell["capacity"])})
        return None
    if not 0 <= capacity <= 1_000_000:
        bad("capacity", N_("must be between 0 and 1,000,000"))
    return capacity


def _row_credit_hours(cell: dict[str, str], bad: Complain) -> Decimal:
    text = cell["credit_hours"].strip()
    if not text:
        return Decimal("0")
    try:
        credit_hours = Decimal(text)
    except InvalidOperation:
        bad("credit_hours", gettext("%(text)s is not a number") % {"text": repr(cell["credit_hours"])})
        return Decimal("0")
    exact = credit_hours.is_finite() and credit_hours == credit_hours.quantize(Decimal("0.01"))
    if not exact or not 0 <= credit_hours <= 99:
        bad("credit_hours", N_("0 to 99 with at most two decimals"))
        return Decimal("0")
    return credit_hours


def _row_status(cell: dict[str, str], current: str | None, bad: Complain) -> str:
    """The status the row asks for (empty: unchanged, or draft for a new session), if it may move there."""
    status = cell["status"].strip().lower() or current or SessionStatus.DRAFT.value
    if status not in {s.value for s in SessionStatus}:
        bad("status", N_("draft, published or cancelled"))
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
    positions, errors = read_header(header)
    if errors:
        raise CsvImportError(errors)
    plans: list[RowPlan] = []
    seen_ids: dict[UUID, int] = {}
    for row_line, cells in _rows(reader, errors):
        if len(plans) + len(errors) >= MAX_ROWS:
            message = gettext("at most %(num)d rows per file") % {"num": MAX_ROWS}
            errors.append(CsvRowError(line=row_line, column="file", message=message))
            break
        plan = _plan_of(row_line, cells, len(header), positions, found, errors)
        if plan is None:
            continue
        if plan.session_id is not None:
            if plan.session_id in seen_ids:
                message = gettext("the same session is on line %(line)d") % {"line": seen_ids[plan.session_id]}
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
        raise CsvImportError([CsvRowError(line=0, column="file", message=N_("the file is larger than 2 MB"))])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvImportError(
            [CsvRowError(line=0, column="file", message=N_("not UTF-8 text (save as CSV UTF-8)"))]
        ) from None
    if not text.strip():
        raise CsvImportError([CsvRowError(line=1, column="file", message=N_("the file is empty"))])
    first_line = text.splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error:
        raise CsvImportError([CsvRowError(line=1, column="file", message=_UNREADABLE)]) from None
    return reader, header


# Our words, not the csv module's (its text is Python's English). With ``newline=""`` and the default dialect,
# the one thing it refuses is a cell past its field limit.
_UNREADABLE = N_("unreadable CSV: this line can't be read as rows and columns (is a cell longer than 128 KiB?)")


def _rows(reader: Any, errors: list[CsvRowError]) -> Iterator[tuple[int, list[str]]]:
    """Each row that isn't blank, with the line it starts on; a row the csv module can't read ends the file."""
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            errors.append(CsvRowError(line=line, column="file", message=_UNREADABLE))
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
        errors.append(CsvRowError(line=row_line, column="file", message=N_("more cells than columns")))
        return None
    given = {name: from_cell(cells[i]) if i < len(cells) else "" for name, i in positions.items()}
    cell = {name: given.get(name, "") for name in COLUMNS}
    control = [name for name, value in cell.items() if _CONTROL.search(value)]
    errors.extend(
        CsvRowError(line=row_line, column=name, message=N_("contains control characters")) for name in control
    )
    if control or any(e.line == row_line for e in errors):
        return None
    plan, row_errors = parse_row(row_line, cell, found)
    errors.extend(row_errors)
    if plan is not None and plan.session_id in found.sessions:
        _keep_absent(plan, found.sessions[plan.session_id], set(positions))
    return plan
