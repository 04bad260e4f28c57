"""Checkpoints: the event entrance, each session room's door, each workshop desk, and one-off session doors.

``sync_checkpoints`` derives them from the event's rooms and workshop add-ons; running it again adds what
is new and leaves the rest (and any organizer edits) alone: inserts are ``ON CONFLICT DO NOTHING`` on the
checkpoint code, so two organizers syncing at once make each checkpoint once.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, cast
from uuid import UUID, uuid4

import msgspec
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from badges.models import Checkpoint, CheckpointKind
from badges.schemas import CheckpointIn, CheckpointRead, CheckpointUpdate
from events.models import Event, Room
from events.services import get_event
from podium import audit
from podium.db import begin_write, savepoint, utcnow
from podium.errors import Conflict, InvalidInput, NotFound
from podium.i18n import N_, gettext
from registration.models import AddOn
from sessions.models import ProgramSession

WORKSHOP_KINDS = ("workshop", "training")


# What the audit trail keeps of a checkpoint.
CHECKPOINT_FIELDS = ("code", "name", "kind", "room_id", "session_id", "add_on_id", "opens_at", "closes_at", "is_active")


def code_for(prefix: str, name: str) -> str:
    """``room``, ``Room 201 (Level 2)`` → ``room-room-201-level-2``: stable, readable, URL-safe."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-") or "x"
    return f"{prefix}-{slug}"[:64].rstrip("-")


async def _add_ons(db_session: AsyncSession, event_id: UUID) -> dict[UUID, str]:
    rows = await db_session.execute(select(AddOn.id, AddOn.code).where(AddOn.event_id == event_id))
    return dict(rows.tuples().all())


def to_read(checkpoint: Checkpoint, add_on_codes: dict[UUID, str]) -> CheckpointRead:
    return CheckpointRead(
        id=checkpoint.id,
        code=checkpoint.code,
        name=checkpoint.name,
        kind=cast(Any, checkpoint.kind),
        room_id=checkpoint.room_id,
        session_id=checkpoint.session_id,
        add_on=add_on_codes.get(checkpoint.add_on_id) if checkpoint.add_on_id else None,
        opens_at=checkpoint.opens_at,
        closes_at=checkpoint.closes_at,
        is_active=checkpoint.is_active,
    )


async def list_checkpoints(db_session: AsyncSession, event_slug: str) -> list[CheckpointRead]:
    event = await get_event(db_session, event_slug, with_children=False)
    return await _read_all(db_session, event)


async def _read_all(db_session: AsyncSession, event: Event) -> list[CheckpointRead]:
    rows = await db_session.scalars(
        select(Checkpoint).where(Checkpoint.event_id == event.id).order_by(Checkpoint.kind, Checkpoint.name)
    )
    codes = await _add_ons(db_session, event.id)
    return [to_read(row, codes) for row in rows.all()]


async def sync_checkpoints(db_session: AsyncSession, event_slug: str) -> list[CheckpointRead]:
    """Make the entrance, a door per room and a desk per workshop/training add-on, where missing."""
    event = await get_event(db_session, event_slug, with_children=False)
    rooms = (await db_session.scalars(select(Room).where(Room.event_id == event.id).order_by(Room.name))).all()
    workshops = (
        await db_session.scalars(
            select(AddOn).where(AddOn.event_id == event.id, AddOn.kind.in_(WORKSHOP_KINDS)).order_by(AddOn.code)
        )
    ).all()
    wanted: list[dict[str, Any]] = [{"code": "entrance", "name": "Entrance", "kind": CheckpointKind.ENTRANCE.value}]
    wanted += [
        {"code": code_for("room", room.name), "name": room.name, "kind": CheckpointKind.ROOM.value, "room_id": room.id}
        for room in rooms
    ]
    wanted += [
        {
            "code": code_for("add-on", add_on.code),
            "name": add_on.name,
            "kind": CheckpointKind.ADD_ON.value,
            "add_on_id": add_on.id,
        }
        for add_on in workshops
    ]
    bind = db_session.bind
    insert = postgresql.insert if bind is not None and bind.dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    await begin_write(db_session)
    for values in wanted:
        await db_session.execute(
            insert(Checkpoint)
            .values(id=uuid4(), event_id=event.id, is_active=True, created_at=now, updated_at=now, **values)
            .on_conflict_do_nothing(index_elements=["event_id", "code"])
        )
    return await _read_all(db_session, event)


async def create_checkpoint(db_session: AsyncSession, event_slug: str, data: CheckpointIn) -> CheckpointRead:
    """An organizer's own checkpoint (a side door, a one-off session door, a reception desk)."""
    event = await get_event(db_session, event_slug, with_children=False)
    codes = await _add_ons(db_session, event.id)
    add_on_id: UUID | None = None
    if data.add_on is not None:
        add_on_id = next((i for i, c in codes.items() if c == data.add_on), None)
        if add_on_id is None:
            raise InvalidInput(
                gettext("no add-on %(code)s at this event") % {"code": repr(data.add_on)}, field="add_on"
            )
    if data.kind == CheckpointKind.ADD_ON and add_on_id is None:
        raise InvalidInput(N_("an add-on checkpoint names its add-on"), field="add_on")
    if data.kind == CheckpointKind.ROOM:
        room = await db_session.get(Room, data.room_id) if data.room_id else None
        if room is None or room.event_id != event.id:
            raise InvalidInput(N_("a room checkpoint names a room of this event"), field="room_id")
    if data.kind == CheckpointKind.SESSION:
        session = await db_session.get(ProgramSession, data.session_id) if data.session_id else None
        if session is None or session.event_id != event.id:
            raise InvalidInput(N_("a session checkpoint names a session of this event"), field="session_id")
    if data.opens_at and data.closes_at and data.closes_at <= data.opens_at:
        raise InvalidInput(N_("closes before it opens"), field="closes_at")
    await begin_write(db_session)
    row = Checkpoint(
        id=uuid4(),  # known before the flush, for its audit entry
        event_id=event.id,
        code=data.code,
        name=data.name.strip(),
        kind=data.kind,
        room_id=data.room_id if data.kind == CheckpointKind.ROOM else None,
        session_id=data.session_id if data.kind == CheckpointKind.SESSION else None,
        add_on_id=add_on_id,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        is_active=data.is_active,
    )
    taken = Conflict(gettext("there is a checkpoint %(code)s already") % {"code": repr(data.code)}, field="code")
    async with savepoint(db_session, taken):
        db_session.add(row)
        audit.record_created(
            db_session, "checkpoint", row.id, audit.snapshot(row, CHECKPOINT_FIELDS), None, event_id=event.id
        )
    return to_read(row, codes)


async def update_checkpoint(
    db_session: AsyncSession, event_slug: str, checkpoint_id: UUID, data: CheckpointUpdate
) -> CheckpointRead:
    """Rename a checkpoint, change its window, or deactivate it (its ``in`` scans are then refused)."""
    event = await get_event(db_session, event_slug, with_children=False)
    await begin_write(db_session)
    row = await db_session.get(Checkpoint, checkpoint_id)
    if row is None or row.event_id != event.id:
        raise NotFound(N_("no such checkpoint at this event"), field="checkpoint_id")
    before = audit.snapshot(row, CHECKPOINT_FIELDS)
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        if not changes["name"]:
            raise InvalidInput(N_("a checkpoint needs a name"), field="name")
    for name, value in changes.items():
        setattr(row, name, value)
    if row.opens_at and row.closes_at and row.closes_at <= row.opens_at:
        raise InvalidInput(N_("closes before it opens"), field="closes_at")
    after = audit.snapshot(row, CHECKPOINT_FIELDS)
    audit.record_updated(db_session, "checkpoint", row.id, before, after, None, event_id=event.id)
    return to_read(row, await _add_ons(db_session, event.id))
