"""What the program's pages share: the event's days, sessions grouped by time."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from typing import Any


def event_days(event: Any) -> list[dt.date]:
    return [event.start_date + dt.timedelta(days=i) for i in range((event.end_date - event.start_date).days + 1)]


def by_time(sessions: list[Any], timezone: str) -> list[tuple[dt.date, list[tuple[str, list[Any]]]]]:
    """Sessions grouped by local day, then by local start time, for headings a screen reader can jump between."""
    tz = zoneinfo.ZoneInfo(timezone)
    days: dict[dt.date, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for session in sessions:
        start = session.starts_at.astimezone(tz)
        days[start.date()][start.strftime("%H:%M")].append(session)
    return [(day, sorted(slots.items())) for day, slots in sorted(days.items())]


def clock_text(value: dt.datetime, timezone: str) -> str:
    return value.astimezone(zoneinfo.ZoneInfo(timezone)).strftime("%H:%M")
