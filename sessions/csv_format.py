"""The program's CSV format (columns, names, times, the errors it reports) and the export.

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
import zoneinfo
from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from events.services import get_event
from podium.errors import Conflict, FieldError, InvalidInput
from podium.i18n import N_, gettext, ngettext
from podium.spreadsheet import to_cell
from registration.models import AddOn
from sessions.models import ProgramSession, SpeakerRole
from sessions.queries import load_sessions
from sessions.schemas import CsvRowError

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
HEADER_KEY = re.compile(r"[\s\-]+")


class CsvImportError(InvalidInput):
    """422: the rows that are wrong, each with its line and column; nothing was imported."""

    code = "csv_invalid"

    def __init__(self, rows: Sequence[CsvRowError]) -> None:
        rows = sorted(rows, key=lambda r: (r.line, COLUMNS.index(r.column) if r.column in COLUMNS else 99))
        detail = ngettext(
            "%(num)d problem(s) in the file; nothing was imported",
            "%(num)d problem(s) in the file; nothing was imported",
            len(rows),
        )
        super().__init__(
            detail % {"num": len(rows)},
            errors=[FieldError(f"line {r.line}: {r.column}", r.message) for r in rows],
        )
        self.rows = list(rows)


class CsvConflicts(Conflict):
    """409: importing would create conflicts (listed with the lines involved); nothing was imported."""

    code = "program_conflicts"

    def __init__(self, messages: Sequence[tuple[str, str]]) -> None:
        detail = ngettext(
            "the import would create %(num)d conflict(s); nothing was imported (fix the rows or override explicitly)",
            "the import would create %(num)d conflict(s); nothing was imported (fix the rows or override explicitly)",
            len(messages),
        )
        super().__init__(
            detail % {"num": len(messages)},
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


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def read_header(cells: list[str]) -> tuple[dict[str, int], list[CsvRowError]]:
    positions: dict[str, int] = {}
    errors: list[CsvRowError] = []
    for index, cell in enumerate(cells):
        raw = cell.strip()
        if not raw:
            continue
        key = HEADER_KEY.sub("_", raw.lower())
        key = ALIASES.get(key, key)
        if key not in COLUMNS:
            message = gettext("unknown column; use: %(columns)s") % {"columns": ", ".join(COLUMNS)}
            errors.append(CsvRowError(line=1, column=raw, message=message))
        elif key in positions:
            errors.append(CsvRowError(line=1, column=key, message=N_("the column appears twice")))
        else:
            positions[key] = index
    for name in REQUIRED:
        if name not in positions:
            errors.append(CsvRowError(line=1, column=name, message=N_("this column is required")))
    return positions, errors


def parse_time(text: str) -> dt.time | None:
    for pattern in TIME_FORMATS:
        try:
            return dt.datetime.strptime(text.strip().upper(), pattern).time()
        except ValueError:
            continue
    return None


def local_instant(day: dt.date, clock: dt.time, tz: zoneinfo.ZoneInfo) -> dt.datetime | None:
    """The UTC instant of a wall-clock time, or None when that time doesn't exist (clocks jump forward)."""
    local = dt.datetime.combine(day, clock, tz)
    instant = local.astimezone(dt.UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def split_names(text: str) -> list[str]:
    return [" ".join(n.split()) for n in text.split(PEOPLE_SEPARATOR) if n.strip()]
