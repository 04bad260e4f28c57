"""Who is inside: whether a badge is inside a zone, ordered by the scanners' clocks rather than by arrival.

Offline scanners upload late, so an ``in`` recorded at 09:00 may arrive after an ``out`` at 10:00 or after a
later ``in``. Each presence row keeps the device time of the change that set ``inside`` (``last_change_at``):
a scan changes ``inside`` only if it is at least as recent, so an old scan uploaded late is recorded (the
scan log, and attendance from it, keep every scan) without flipping anyone back. The first admission is the
earliest ``in`` by device time, whenever it arrives.

Every write is one conditional statement on the row, so of two devices scanning the same badge at the
same moment exactly one is admitted, on SQLite and PostgreSQL alike. The admitting write is defined once
(``ENTER``, a Core statement per dialect): ``enter`` runs it in a transaction, and the scan's PostgreSQL fast
path (``badges.scan_queries``) wraps the same statement with the scan's row, so a column or rule of presence
is written here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from badges.models import CheckinPresence, Checkpoint, CheckpointKind
from badges.schemas import FirstAdmission
from podium.rows import rows_changed

ENTRANCE = "entrance"
_row = cast(Table, CheckinPresence.__table__).c


def fixed_zone(kind: str, add_on_id: UUID | None) -> str:
    """The zone of a checkpoint that doesn't follow the program: the entrance, or one add-on's door."""
    if kind == CheckpointKind.ADD_ON:
        return f"add_on:{add_on_id}"
    return ENTRANCE


SESSION_ZONE = "session:"  # a program session's zone: the prefix and the session's id


def session_zone(session_id: UUID) -> str:
    return f"{SESSION_ZONE}{session_id}"


def _enter(insert: Callable[[Table], Any]) -> Any:
    """An ``in`` at device time ``:device_time``: the row is new (admitted), or it was outside and this scan is
    at least as recent as its last change (admitted again); a row kept by an early ``out`` gets its first
    admission here. Anything else changes nothing: its row count (0 or 1) is the answer."""
    statement = insert(cast(Table, CheckinPresence.__table__)).values(
        badge_id=bindparam("badge_id", type_=_row.badge_id.type),
        zone=bindparam("zone", type_=_row.zone.type),
        inside=True,
        last_change_at=bindparam("device_time", type_=_row.last_change_at.type),
        first_at=bindparam("device_time", type_=_row.first_at.type),
        first_checkpoint_id=bindparam("checkpoint_id", type_=_row.first_checkpoint_id.type),
        first_device_id=bindparam("device_id", type_=_row.first_device_id.type),
    )
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[_row.badge_id, _row.zone],
        set_={
            "inside": True,
            "last_change_at": new.last_change_at,
            "first_at": func.coalesce(_row.first_at, new.first_at),
            "first_checkpoint_id": func.coalesce(_row.first_checkpoint_id, new.first_checkpoint_id),
            "first_device_id": func.coalesce(_row.first_device_id, new.first_device_id),
        },
        where=_row.inside.is_(False) & (_row.last_change_at <= new.last_change_at),
    )


# The admitting write, per dialect (both speak ``INSERT … ON CONFLICT DO UPDATE … WHERE``).
ENTER: dict[str, Any] = {"postgresql": _enter(postgresql.insert), "sqlite": _enter(sqlite.insert)}


def _dialect(db_session: AsyncSession) -> str:
    bind = db_session.bind
    return "postgresql" if bind is not None and bind.dialect.name == "postgresql" else "sqlite"


async def enter(
    db_session: AsyncSession, badge_id: UUID, zone: str, at: dt.datetime, checkpoint_id: UUID, device_id: str
) -> bool:
    """Record an ``in`` at device time ``at``; ``True`` when it admits: the badge's first ``in`` here (the row
    is new, or only ``out`` scans were seen so far), or a re-entry newer than the latest ``out``."""
    params = {"badge_id": badge_id, "zone": zone, "device_time": at, "checkpoint_id": checkpoint_id}
    written = await db_session.execute(ENTER[_dialect(db_session)], {**params, "device_id": device_id})
    if cast(CursorResult[Any], written).rowcount == 1:
        return True
    first = {"first_at": at, "first_checkpoint_id": checkpoint_id, "first_device_id": device_id}
    here = (_row.badge_id == badge_id, _row.zone == zone)
    # Only ``out`` scans seen, the latest newer than this ``in``: this one is the first admission, though the
    # badge stays outside.
    if await rows_changed(db_session, update(CheckinPresence).where(*here, _row.first_at.is_(None)).values(**first)):
        return True
    # An ``in`` older than the first one known, uploaded late: it is the first admission, but the badge was
    # already admitted (once) for this stay, so the answer stays as it was.
    await rows_changed(db_session, update(CheckinPresence).where(*here, _row.first_at > at).values(**first))
    return False


def inside_already(inside: bool | None, first_at: dt.datetime | None, at: dt.datetime) -> bool | None:
    """What a presence row read before writing says of an ``in`` at ``at``: ``True``, the badge is inside and
    its first admission stands (already admitted, nothing to write); ``False``, ``ENTER`` decides; ``None``, an
    older scan uploaded late moves the first admission, which only ``enter`` does."""
    if not inside:
        return False
    if first_at is None or first_at > at:
        return None
    return True


async def leave(db_session: AsyncSession, badge_id: UUID, zone: str, at: dt.datetime) -> None:
    """Record an ``out`` at device time ``at``: the badge is outside unless a newer scan says otherwise. An
    ``out`` that arrives before the ``in`` it follows keeps a row without a first admission, so that ``in``
    admits without putting the badge back inside."""
    insert = postgresql.insert if _dialect(db_session) == "postgresql" else sqlite.insert
    statement = insert(CheckinPresence).values(badge_id=badge_id, zone=zone, inside=False, last_change_at=at)
    await db_session.execute(
        statement.on_conflict_do_update(
            index_elements=["badge_id", "zone"],
            set_={"inside": False, "last_change_at": statement.excluded.last_change_at},
            where=_row.last_change_at <= statement.excluded.last_change_at,
        )
    )


async def first_admission(db_session: AsyncSession, badge_id: UUID, zone: str | None) -> FirstAdmission | None:
    """Where and when the badge first got into ``zone`` (None: never, or no zone)."""
    if zone is None:
        return None
    found = (
        await db_session.execute(
            select(CheckinPresence, Checkpoint.name)
            .join(Checkpoint, Checkpoint.id == CheckinPresence.first_checkpoint_id)
            .where(CheckinPresence.badge_id == badge_id, CheckinPresence.zone == zone)
        )
    ).first()
    if found is None:
        return None
    row, checkpoint_name = found
    return first_from(row, checkpoint_name)


def first_from(row: Any, checkpoint_name: str) -> FirstAdmission:
    """The first admission a presence row (or the scan lookup's columns of it) records."""
    return FirstAdmission(
        at=row.first_at,
        checkpoint_id=row.first_checkpoint_id,
        checkpoint_name=checkpoint_name,
        device_id=row.first_device_id,
    )
