"""iCalendar (RFC 5545) rendering of program sessions: a pure function from plain data to bytes.

Times are written as local times with a TZID and a VTIMEZONE for the event's zone covering only the program's
span, so calendar apps show the session at the venue's wall-clock time and convert it right across a DST
change (times in the hour a change repeats are written in UTC, see ``_when``). Cancelled sessions stay in the
feed with STATUS:CANCELLED and a higher SEQUENCE: a subscribed calendar only removes an event it is told
about. Speakers and chairs appear by name and affiliation in the DESCRIPTION, not as ATTENDEE: their emails
are private, and attendees in a published feed make calendar apps treat each session as a meeting invitation
(RFC 5546 PUBLISH carries no ATTENDEE).
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Sequence
from typing import NamedTuple
from uuid import UUID

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from sessions.models import KIND_LABELS

PRODID = "-//Podium//Program feed//EN"


# Named tuples rather than frozen dataclasses: a 600-session feed builds ~4,000 of them per render and the
# per-session memo (``render_event``) hashes and compares each one; tuples do both in C, which took ~5 ms of
# CPU off an uncached program feed (measured here).
class IcsPerson(NamedTuple):
    name: str
    affiliation: str = ""
    role: str = "speaker"


class IcsTalk(NamedTuple):
    """A talk (``starts_at``) or poster (``board``) public after its embargo, for the session's description."""

    title: str
    presenter: str
    starts_at: dt.datetime | None = None
    board: str | None = None
    authors: str = ""


class IcsSession(NamedTuple):
    id: UUID
    title: str
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    sequence: int
    created_at: dt.datetime
    last_modified: dt.datetime
    abstract: str = ""
    room: str | None = None
    track: str | None = None
    people: tuple[IcsPerson, ...] = ()
    talks: tuple[IcsTalk, ...] = ()


class IcsCalendar(NamedTuple):
    """What a feed is about: one event's program (or a part of it)."""

    name: str
    timezone: str
    venue: str
    base_url: str
    slug: str = ""
    organizer_name: str = ""
    description: str = ""


def session_uid(session_id: UUID, base_url: str) -> str:
    """Stable for the session's lifetime: edits, moves and cancellation keep it, so calendars update in place."""
    host = base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "podium"
    return f"session-{session_id}@{host}"


@functools.lru_cache(maxsize=64)
def _vtimezone(tzid: str, first: dt.date, last: dt.date) -> Timezone:
    """The zone's rules for the span the feed needs (a few transitions rather than decades of them)."""
    return Timezone.from_tzid(tzid, first_date=first, last_date=last)


def _talk_lines(session: IcsSession, tz: zoneinfo.ZoneInfo) -> list[str]:
    """The talks in order with their local start, the posters with their boards, each with its presenter."""
    lines: list[str] = []
    for talk in session.talks:
        where = talk.starts_at.astimezone(tz).strftime("%H:%M") if talk.starts_at else f"Board {talk.board}"
        lines.append(f"{where} {talk.title} ({talk.presenter})" if talk.presenter else f"{where} {talk.title}")
    return lines


def _description(session: IcsSession, tz: zoneinfo.ZoneInfo) -> str:
    parts = [KIND_LABELS.get(session.kind, session.kind)]
    speakers = [p for p in session.people if p.role == "speaker"]
    chairs = [p for p in session.people if p.role == "chair"]

    def names(people: Sequence[IcsPerson]) -> str:
        return "; ".join(f"{p.name} ({p.affiliation})" if p.affiliation else p.name for p in people)

    if chairs:
        parts.append(f"Chair{'s' if len(chairs) > 1 else ''}: {names(chairs)}")
    if speakers:
        parts.append(f"Speaker{'s' if len(speakers) > 1 else ''}: {names(speakers)}")
    if session.abstract:
        parts.append(session.abstract)
    if session.talks:
        heading = "Posters" if all(t.board for t in session.talks) else "Talks"
        parts.append(heading + ":\n" + "\n".join(_talk_lines(session, tz)))
    if session.status == "cancelled":
        parts.insert(0, "CANCELLED")
    return "\n\n".join(parts)


def _when(moment: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """The venue's wall-clock time, except in the hour a DST change repeats: a local time that happens twice
    is ambiguous with a TZID (RFC 5545 means the first, ical.js reads the second), so it is written in UTC."""
    local = moment.astimezone(tz)
    if local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
        return moment.astimezone(dt.UTC)
    return local


@functools.lru_cache(maxsize=8192)
def render_event(session: IcsSession, calendar: IcsCalendar) -> bytes:
    """One VEVENT, memoised: icalendar spends most of its time folding lines, and a session's text only
    changes when the session does (the cache key is the whole frozen session, so an edit is a new entry).
    Without METHOD, DTSTAMP is the revision time (RFC 5545 3.8.7.2), which keeps the output reproducible."""
    tz = zoneinfo.ZoneInfo(calendar.timezone)
    item = Event()
    item.add("uid", session_uid(session.id, calendar.base_url))
    item.add("dtstamp", session.last_modified.astimezone(dt.UTC))
    item.add("created", session.created_at.astimezone(dt.UTC))
    item.add("last-modified", session.last_modified.astimezone(dt.UTC))
    item.add("sequence", session.sequence)
    item.add("summary", session.title)
    item.add("dtstart", _when(session.starts_at, tz))
    item.add("dtend", _when(session.ends_at, tz))
    item.add("status", "CANCELLED" if session.status == "cancelled" else "CONFIRMED")
    item.add("transp", "TRANSPARENT" if session.kind == "break" else "OPAQUE")
    location = ", ".join(part for part in (session.room, calendar.venue) if part)
    if location:
        item.add("location", location)
    item.add("description", _description(session, tz))
    item.add("url", f"{calendar.base_url}/events/{calendar.slug}/sessions/{session.id}")
    if session.track:
        item.add("categories", [session.track])
    if calendar.organizer_name:
        # RFC 5545 wants a cal-address (any URI); the organizers' own mailbox is not ours to publish.
        organizer = vCalAddress(f"{calendar.base_url}/events/{calendar.slug}")
        organizer.params["cn"] = vText(calendar.organizer_name)
        item.add("organizer", organizer)
    return item.to_ical()


@functools.lru_cache(maxsize=256)
def _head(calendar: IcsCalendar, name: str, span: tuple[dt.date, dt.date] | None) -> bytes:
    """The VCALENDAR's own lines and its VTIMEZONE, memoised like ``render_event``: icalendar took ~1.5 ms to
    write them, most of a 20-session agenda feed, and they change only with the calendar, title and span."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("name", name)
    cal.add("x-wr-timezone", calendar.timezone)
    if calendar.description:
        cal.add("x-wr-caldesc", calendar.description)
    cal.add("refresh-interval", dt.timedelta(hours=1), parameters={"value": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    if span:
        cal.add_component(_vtimezone(calendar.timezone, *span))
    head = cal.to_ical()
    end = b"END:VCALENDAR\r\n"
    assert head.endswith(end)
    return head[: -len(end)]


def render_calendar(calendar: IcsCalendar, sessions: Sequence[IcsSession], *, title: str | None = None) -> bytes:
    """The sessions as one VCALENDAR, with the VTIMEZONE their span needs."""
    ordered = sorted(sessions, key=lambda s: (s.starts_at, s.title, s.id))
    span = None
    if ordered:
        tz = zoneinfo.ZoneInfo(calendar.timezone)
        first = min(s.starts_at for s in ordered).astimezone(tz).date() - dt.timedelta(days=1)
        last = max(s.ends_at for s in ordered).astimezone(tz).date() + dt.timedelta(days=1)
        span = (first, last)
    head = _head(calendar, title or calendar.name, span)
    return b"".join([head, *(render_event(s, calendar) for s in ordered), b"END:VCALENDAR\r\n"])
