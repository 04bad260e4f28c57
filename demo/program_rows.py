"""Seeding a demo event's program: read the event's rooms, tracks and add-on seats, plan the sessions (the plan
lives in ``demo.program``) and bulk-insert speakers, sessions and their speaker links.

Ids derive from the event's slug and the session's index, so a re-seed gives the same URLs.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from demo.program import AFFILIATIONS, DISTINGUISHED, TOPICS, Planned, annual_program, stable_id, summit_program
from events.models import Event, Room, Track
from podium.db import utcnow
from registration.models import AddOn, Quota
from sessions.models import ProgramSession, SessionSpeaker, Speaker


async def seed_program(db_session: AsyncSession, event: Event) -> str:
    """Insert the event's program (published); returns a one-line summary."""
    rooms = (await db_session.scalars(select(Room).where(Room.event_id == event.id).order_by(Room.name))).all()
    tracks = (await db_session.scalars(select(Track).where(Track.event_id == event.id).order_by(Track.name))).all()
    add_on_rows = (await db_session.scalars(select(AddOn).where(AddOn.event_id == event.id))).all()
    seats = await _add_on_seats(db_session, add_on_rows)
    room_order = [(r.name, r.capacity) for r in sorted(rooms, key=_room_order)]
    track_names = [t.name for t in sorted(tracks, key=lambda t: t.created_at)]
    if event.kind == "annual_meeting":
        plan = annual_program(room_order, [t for t in TOPICS if t in track_names] or track_names, seats)
    elif event.kind == "policy_summit":
        plan = summit_program(track_names)
    else:
        plan = _day_workshops(event, room_order[0][0] if room_order else None)
    return await _insert(db_session, event, plan, rooms, tracks, add_on_rows)


async def _add_on_seats(db_session: AsyncSession, add_ons: Sequence[AddOn]) -> dict[str, int]:
    """Each add-on's seat count (its capacity quota's size, 0 without one): workshops are sized by it."""
    seats: dict[str, int] = {}
    for add_on in add_ons:
        size = None
        if add_on.capacity_quota_id is not None:
            size = await db_session.scalar(select(Quota.size).where(Quota.id == add_on.capacity_quota_id))
        seats[add_on.code] = size or 0
    return seats


def _day_workshops(event: Event, room: str | None) -> list[Planned]:
    """A workshop or training event: one all-day session per day in its one room."""
    return [
        Planned(
            event.name.split(": ", 1)[-1],
            "workshop",
            day,
            (9, 0),
            (17, 0),
            room,
            abstract=event.description,
            speakers=[DISTINGUISHED[(len(event.slug) + day) % len(DISTINGUISHED)]],
            credit_hours=Decimal("6"),
        )
        for day in range((event.end_date - event.start_date).days + 1)
    ]


def _room_order(room: Room) -> tuple[int, str]:
    """Named halls first, then numbered rooms in number order (not text order: 'Room 1001' after 'Room 201')."""
    name = room.name
    if name.startswith("Room ") and name[5:].isdigit():
        return 1, f"{int(name[5:]):08d}"
    return 0, name


@dataclass
class _Rows:
    """The rows for one event's program, collected before the bulk inserts; speakers are added on first use."""

    event: Event
    room_ids: dict[str, uuid.UUID]
    track_ids: dict[str, uuid.UUID]
    add_on_ids: dict[str, uuid.UUID]
    # Row timestamps are the seeding time, not a fixed date: caches compare them with later edits' "now".
    now: dt.datetime = field(default_factory=utcnow)
    speakers: dict[str, uuid.UUID] = field(default_factory=dict)
    speaker_rows: list[dict[str, object]] = field(default_factory=list)
    session_rows: list[dict[str, object]] = field(default_factory=list)
    link_rows: list[dict[str, object]] = field(default_factory=list)

    @property
    def stamp(self) -> dict[str, object]:
        return {"created_at": self.now, "updated_at": self.now}

    def person(self, name: str) -> uuid.UUID:
        """The speaker's id, adding their row the first time the name appears (affiliation by arrival order)."""
        if name not in self.speakers:
            self.speakers[name] = stable_id(self.event.slug, "speaker", name)
            n = len(self.speaker_rows)
            email = name.lower().replace(" ", ".").replace("'", "")
            self.speaker_rows.append(
                {
                    "id": self.speakers[name],
                    "event_id": self.event.id,
                    "name": name,
                    "affiliation": AFFILIATIONS[n % len(AFFILIATIONS)],
                    "bio": f"{name} works at {AFFILIATIONS[n % len(AFFILIATIONS)]}.",
                    "email": f"{email}@speakers.podium.example",
                    **self.stamp,
                }
            )
        return self.speakers[name]

    def add_session(self, index: int, item: Planned, tz: zoneinfo.ZoneInfo) -> None:
        """The plan's index-th session row, then its speakers' and chairs' links in that order."""
        day = self.event.start_date + dt.timedelta(days=item.day)
        session_id = stable_id(self.event.slug, "session", index)
        self.session_rows.append(
            {
                "id": session_id,
                "event_id": self.event.id,
                "kind": item.kind,
                "title": item.title,
                "abstract": item.abstract,
                "track_id": self.track_ids.get(item.track) if item.track else None,
                "room_id": self.room_ids.get(item.room) if item.room else None,
                "starts_at": dt.datetime.combine(day, dt.time(*item.start), tz).astimezone(dt.UTC),
                "ends_at": dt.datetime.combine(day, dt.time(*item.end), tz).astimezone(dt.UTC),
                "capacity": item.capacity,
                "seats_taken": 0,
                "required_add_on_id": self.add_on_ids.get(item.add_on) if item.add_on else None,
                "credit_hours": item.credit_hours,
                "status": "published",
                "sequence": 0,
                "changed_at": self.now,
                **self.stamp,
            }
        )
        people = [(n, "speaker") for n in item.speakers] + [(n, "chair") for n in item.chairs]
        for position, (name, role) in enumerate(people):
            self.link_rows.append(
                {
                    "id": stable_id(session_id, role, name),
                    "session_id": session_id,
                    "speaker_id": self.person(name),
                    "role": role,
                    "position": position,
                    **self.stamp,
                }
            )


async def _insert(
    db_session: AsyncSession,
    event: Event,
    plan: list[Planned],
    rooms: Sequence[Room],
    tracks: Sequence[Track],
    add_ons: Sequence[AddOn],
) -> str:
    """Build every row first, then insert in chunks of 1000: speakers before the sessions their links need."""
    tz = zoneinfo.ZoneInfo(event.timezone)
    rows = _Rows(
        event,
        room_ids={r.name: r.id for r in rooms},
        track_ids={t.name: t.id for t in tracks},
        add_on_ids={a.code: a.id for a in add_ons},
    )
    for index, item in enumerate(plan):
        rows.add_session(index, item, tz)
    for model, batch in (
        (Speaker, rows.speaker_rows),
        (ProgramSession, rows.session_rows),
        (SessionSpeaker, rows.link_rows),
    ):
        for start in range(0, len(batch), 1000):
            await db_session.execute(insert(model), batch[start : start + 1000])
    return f"{len(rows.session_rows)} sessions, {len(rows.speaker_rows)} speakers"
