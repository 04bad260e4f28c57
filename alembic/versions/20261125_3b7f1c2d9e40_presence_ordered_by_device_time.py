"""badges: presence ordered by device time (last_change_at; no first admission while only an out arrived)

Revision ID: 3b7f1c2d9e40
Revises: 5d1e0c3a9b27
Create Date: 2026-11-25 09:00:00+00:00

Existing rows get the device time of the latest scan that moved the badge in their zone (an admitted or
already admitted ``in``, or an ``out``), or their first admission when no such scan is found.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "3b7f1c2d9e40"
down_revision: str | None = "5d1e0c3a9b27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

presence = sa.table(
    "checkin_presence",
    sa.column("badge_id", GUID(length=16)),
    sa.column("zone", sa.String(60)),
    sa.column("first_at", DateTimeUTC(timezone=True)),
    sa.column("last_change_at", DateTimeUTC(timezone=True)),
)
checkin = sa.table(
    "checkin",
    sa.column("badge_id", GUID(length=16)),
    sa.column("checkpoint_id", GUID(length=16)),
    sa.column("session_id", GUID(length=16)),
    sa.column("device_time", DateTimeUTC(timezone=True)),
    sa.column("reason", sa.String(20)),
)
checkpoint = sa.table(
    "checkpoint",
    sa.column("id", GUID(length=16)),
    sa.column("kind", sa.String(10)),
    sa.column("add_on_id", GUID(length=16)),
)


def _zone(kind: str, add_on_id: object, session_id: object) -> str | None:
    """The zone a scan moved the badge in, as ``badges.checkin`` names it."""
    if kind == "add_on":
        return f"add_on:{add_on_id}"
    if kind in ("room", "session"):
        return f"session:{session_id}" if session_id is not None else None
    return "entrance"


def _fill() -> None:
    bind = op.get_bind()
    latest: dict[tuple[object, str], object] = {}
    scans = bind.execute(
        sa.select(
            checkin.c.badge_id, checkin.c.session_id, checkin.c.device_time, checkpoint.c.kind, checkpoint.c.add_on_id
        )
        .join(checkpoint, checkpoint.c.id == checkin.c.checkpoint_id)
        .where(checkin.c.badge_id.is_not(None), checkin.c.reason.in_(["admitted", "already_admitted", "checked_out"]))
    )
    for badge_id, session_id, device_time, kind, add_on_id in scans:
        zone = _zone(kind, add_on_id, session_id)
        if zone is not None:
            key = (badge_id, zone)
            latest[key] = max(device_time, latest.get(key, device_time))
    rows = bind.execute(sa.select(presence.c.badge_id, presence.c.zone, presence.c.first_at)).all()
    for badge_id, zone, first_at in rows:
        last = max(first_at, latest.get((badge_id, zone), first_at))
        bind.execute(
            presence.update()
            .where(presence.c.badge_id == badge_id, presence.c.zone == zone)
            .values(last_change_at=last)
        )


def upgrade() -> None:
    with op.batch_alter_table("checkin_presence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_change_at", DateTimeUTC(timezone=True), nullable=True))
    _fill()
    with op.batch_alter_table("checkin_presence", schema=None) as batch_op:
        batch_op.alter_column("last_change_at", existing_type=DateTimeUTC(timezone=True), nullable=False)
        batch_op.alter_column("first_at", existing_type=DateTimeUTC(timezone=True), nullable=True)
        batch_op.alter_column("first_checkpoint_id", existing_type=GUID(length=16), nullable=True)
        batch_op.alter_column("first_device_id", existing_type=sa.String(length=100), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM checkin_presence WHERE first_at IS NULL")
    with op.batch_alter_table("checkin_presence", schema=None) as batch_op:
        batch_op.alter_column("first_device_id", existing_type=sa.String(length=100), nullable=False)
        batch_op.alter_column("first_checkpoint_id", existing_type=GUID(length=16), nullable=False)
        batch_op.alter_column("first_at", existing_type=DateTimeUTC(timezone=True), nullable=False)
        batch_op.drop_column("last_change_at")
