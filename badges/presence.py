"""Whether a badge is inside a zone, ordered by the scanners' clocks rather than by arrival.

Offline scanners upload late, so an ``in`` recorded at 09:00 may arrive after an ``out`` at 10:00 or after a
later ``in``. Each presence row keeps the device time of the change that set ``inside`` (``last_change_at``):
a scan changes ``inside`` only if it is at least as recent, so an old scan uploaded late is recorded (the
scan log, and attendance from it, keep every scan) without flipping anyone back. The first admission is the
earliest ``in`` by device time, whenever it arrives.

Every write is one conditional statement on the row, so of two devices scanning the same badge at the
same moment exactly one is admitted, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from badges.models import CheckinPresence
from podium.rows import rows_changed


def _insert(db_session: AsyncSession) -> Any:
    bind = db_session.bind
    return postgresql.insert if bind is not None and bind.dialect.name == "postgresql" else sqlite.insert


async def enter(
    db_session: AsyncSession, badge_id: UUID, zone: str, at: dt.datetime, checkpoint_id: UUID, device_id: str
) -> bool:
    """Record an ``in`` at device time ``at``; ``True`` when it admits: the badge's first ``in`` here (the row
    is new, or only ``out`` scans were seen so far), or a re-entry newer than the latest ``out``."""
    row = CheckinPresence.__table__.c
    insert = _insert(db_session)(CheckinPresence).values(
        badge_id=badge_id,
        zone=zone,
        inside=True,
        last_change_at=at,
        first_at=at,
        first_checkpoint_id=checkpoint_id,
        first_device_id=device_id,
    )
    flipped = await db_session.execute(
        insert.on_conflict_do_update(
            index_elements=["badge_id", "zone"],
            set_={"inside": True, "last_change_at": insert.excluded.last_change_at},
            where=row.inside.is_(False) & (row.last_change_at <= insert.excluded.last_change_at),
        )
    )
    admitted = cast(CursorResult[Any], flipped).rowcount == 1
    first = {"first_at": at, "first_checkpoint_id": checkpoint_id, "first_device_id": device_id}
    here = (CheckinPresence.badge_id == badge_id, CheckinPresence.zone == zone)
    # No ``in`` seen before (the row came from a late-arriving ``out``): this one is the first admission.
    if await rows_changed(db_session, update(CheckinPresence).where(*here, row.first_at.is_(None)).values(**first)):
        return True
    # An ``in`` older than the first one known, uploaded late: it is the first admission, but the badge was
    # already admitted (once) for this stay, so the answer stays as it was.
    await rows_changed(
        db_session,
        update(CheckinPresence).where(*here, row.first_at > at).values(**first),
    )
    return admitted


async def leave(db_session: AsyncSession, badge_id: UUID, zone: str, at: dt.datetime) -> None:
    """Record an ``out`` at device time ``at``: the badge is outside unless a newer scan says otherwise. An
    ``out`` that arrives before the ``in`` it follows keeps a row without a first admission, so that ``in``
    admits without putting the badge back inside."""
    row = CheckinPresence.__table__.c
    insert = _insert(db_session)(CheckinPresence).values(badge_id=badge_id, zone=zone, inside=False, last_change_at=at)
    await db_session.execute(
        insert.on_conflict_do_update(
            index_elements=["badge_id", "zone"],
            set_={"inside": False, "last_change_at": insert.excluded.last_change_at},
            where=row.last_change_at <= insert.excluded.last_change_at,
        )
    )
