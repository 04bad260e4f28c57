"""The check-in dashboard: who got in where, who is in each room now, and how fast people arrive.

Computed from the scan log and the presence table on every request (a few grouped queries), so every
worker shows the same figures; the page polls it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from uuid import UUID

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from badges import presence
from badges.models import Checkin, CheckinPresence, Checkpoint, CheckpointKind, Direction, ScanReason
from events.models import Event, Room
from podium.i18n import current_locale
from podium.schema import Struct
from podium.translated import localized
from registration.models import Category, Registration
from sessions.models import ProgramSession

BUCKET_MINUTES = 10


class CheckpointCount(Struct):
    checkpoint: str
    kind: str
    category: str
    admitted: int


class RoomOccupancy(Struct):
    room: str
    capacity: int
    inside: int


class ArrivalBucket(Struct):
    starts_at: str  # local wall-clock time in the event's zone, e.g. "2027-04-14 08:30"
    arrivals: int


class Dashboard(Struct):
    event: str
    timezone: str
    checked_in: int
    refused: int
    by_checkpoint: list[CheckpointCount]
    occupancy: list[RoomOccupancy]
    arrivals: list[ArrivalBucket]


async def dashboard(db_session: AsyncSession, event: Event) -> Dashboard:
    """The figures, with category names in the reader's language where the organizer gave them."""
    admitted = (
        (Checkin.event_id == event.id) & (Checkin.reason == ScanReason.ADMITTED) & (Checkin.direction == Direction.IN)
    )
    per_checkpoint = (
        await db_session.execute(
            select(Checkpoint.name, Checkpoint.kind, Registration.category_id, func.count())
            .select_from(Checkin)
            .join(Checkpoint, Checkpoint.id == Checkin.checkpoint_id)
            .join(Registration, Registration.id == Checkin.registration_id)
            .where(admitted)
            .group_by(Checkpoint.name, Checkpoint.kind, Registration.category_id)
        )
    ).all()
    names = await _category_names(db_session, {row[2] for row in per_checkpoint})
    counts = sorted(
        (CheckpointCount(name, kind, names[category_id], count) for name, kind, category_id, count in per_checkpoint),
        key=lambda c: (c.kind, c.checkpoint, c.category),
    )
    refused = await db_session.scalar(
        select(func.count()).where(
            Checkin.event_id == event.id,
            Checkin.reason.not_in([ScanReason.ADMITTED, ScanReason.ALREADY_ADMITTED, ScanReason.CHECKED_OUT]),
        )
    )
    return Dashboard(
        event=event.slug,
        timezone=event.timezone,
        checked_in=sum(c.admitted for c in counts if c.kind == CheckpointKind.ENTRANCE),
        refused=int(refused or 0),
        by_checkpoint=counts,
        occupancy=await _occupancy(db_session, event.id),
        arrivals=await _arrivals(db_session, admitted, zoneinfo.ZoneInfo(event.timezone)),
    )


async def _category_names(db_session: AsyncSession, ids: set[UUID]) -> dict[UUID, str]:
    if not ids:
        return {}
    rows = await db_session.execute(
        select(Category.id, Category.name, Category.translations).where(Category.id.in_(ids))
    )
    locale = current_locale()
    return {row.id: localized(row.name, row.translations, "name", locale) for row in rows}


async def _arrivals(
    db_session: AsyncSession, admitted: ColumnElement[bool], tz: zoneinfo.ZoneInfo
) -> list[ArrivalBucket]:
    """Admissions at the entrance per ten minutes of the event's local time."""
    entrance = await db_session.scalars(
        select(Checkin.device_time)
        .join(Checkpoint, Checkpoint.id == Checkin.checkpoint_id)
        .where(admitted, Checkpoint.kind == CheckpointKind.ENTRANCE)
    )
    buckets: Counter[dt.datetime] = Counter()
    for moment in entrance.all():
        local = moment.astimezone(tz)
        buckets[local.replace(minute=local.minute - local.minute % BUCKET_MINUTES, second=0, microsecond=0)] += 1
    return [ArrivalBucket(k.strftime("%Y-%m-%d %H:%M"), v) for k, v in sorted(buckets.items())]


async def _occupancy(db_session: AsyncSession, event_id: UUID) -> list[RoomOccupancy]:
    """Each room of the event with the badges inside its sessions now (presence in a session's zone)."""
    inside = dict(
        (
            await db_session.execute(
                select(CheckinPresence.zone, func.count())
                .where(CheckinPresence.inside.is_(True), CheckinPresence.zone.startswith(presence.SESSION_ZONE))
                .group_by(CheckinPresence.zone)
            )
        )
        .tuples()
        .all()
    )
    rooms = (await db_session.execute(select(Room.id, Room.name, Room.capacity).where(Room.event_id == event_id))).all()
    session_rooms: dict[str, UUID] = {}
    if inside:
        ids = [UUID(zone.removeprefix(presence.SESSION_ZONE)) for zone in inside]
        found = await db_session.execute(
            select(ProgramSession.id, ProgramSession.room_id).where(
                ProgramSession.id.in_(ids), ProgramSession.event_id == event_id
            )
        )
        session_rooms = {presence.session_zone(sid): room_id for sid, room_id in found.all() if room_id is not None}
    per_room: Counter[UUID] = Counter()
    for zone, count in inside.items():
        if zone in session_rooms:
            per_room[session_rooms[zone]] += count
    return [
        RoomOccupancy(room=name, capacity=capacity, inside=per_room.get(room_id, 0))
        for room_id, name, capacity in sorted(rooms, key=lambda r: r[1])
    ]
