"""The statements a scan runs, built once at import and compiled once per dialect by SQLAlchemy's cache.

A scan is the hottest request on the first morning of a meeting, so it talks to the database in Core
statements (no ORM entity loading, no statement building per request): one
``lookup`` that reads the checkpoint with its event and rules, the badge with its registration, order status
and category, whether the registration bought the checkpoint's add-on and whether this device already sent
this scan; then the single conditional presence write that decides ``admitted`` (``badges.presence.ENTER``,
the statement the transaction path runs too); then the scan's row.
Everything that can change (a checkpoint's hours, doors-open minutes, a badge's version, a payment) is read
fresh on every scan, so several workers always agree. The lookup, the admission write and the scan's row are
``Prebuilt``: on PostgreSQL outside a transaction they go straight to asyncpg (``podium.db_prebuilt``).
"""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from sqlalchemy import Row, Table, and_, bindparam, exists, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from badges import presence
from badges.models import Badge, Checkin, CheckinPresence, CheckinSettings, Checkpoint, CheckpointKind
from events.models import Event, Room
from podium.db_prebuilt import Prebuilt, Runner
from registration.models import Category, Order, Registration, RegistrationAddOn
from sessions import models as _sessions_models  # noqa: F401 - see _SCAN_ROW

_checkpoint = cast(Table, Checkpoint.__table__)
_event = cast(Table, Event.__table__)
_room = cast(Table, Room.__table__)
_settings = cast(Table, CheckinSettings.__table__)
_badge = cast(Table, Badge.__table__)
_registration = cast(Table, Registration.__table__)
_order = cast(Table, Order.__table__)
_category = cast(Table, Category.__table__)
_registration_add_on = cast(Table, RegistrationAddOn.__table__)
_checkin = cast(Table, Checkin.__table__)
_presence = cast(Table, CheckinPresence.__table__)

_PLACE_COLUMNS = (
    _checkpoint.c.id.label("checkpoint_id"),
    _checkpoint.c.event_id,
    _checkpoint.c.name.label("checkpoint_name"),
    _checkpoint.c.kind,
    _checkpoint.c.room_id,
    _checkpoint.c.session_id,
    _checkpoint.c.add_on_id,
    _checkpoint.c.is_active,
    _checkpoint.c.opens_at,
    _checkpoint.c.closes_at,
    _event.c.name.label("event_name"),
    _event.c.timezone,
    _room.c.name.label("room_name"),
    _settings.c.doors_open_minutes,
)
_BADGE_COLUMNS = (
    _badge.c.id.label("badge_id"),
    _badge.c.serial,
    _badge.c.version,
    _registration.c.id.label("registration_id"),
    _registration.c.status.label("registration_status"),
    _registration.c.first_name,
    _registration.c.last_name,
    _registration.c.affiliation,
    _order.c.status.label("order_status"),
    _category.c.name.label("category"),
    _category.c.translations.label("category_translations"),
)


def _with_badge(base: Any, on: Any) -> Any:
    """Badge → registration → order → category, left-joined so a missing badge still returns the place."""
    return (
        base.outerjoin(_badge, on)
        .outerjoin(_registration, _registration.c.id == _badge.c.registration_id)
        .outerjoin(_order, _order.c.id == _registration.c.order_id)
        .outerjoin(_category, _category.c.id == _registration.c.category_id)
    )


_has_add_on = (
    exists()
    .where(
        _registration_add_on.c.registration_id == _registration.c.id,
        _registration_add_on.c.add_on_id == _checkpoint.c.add_on_id,
    )
    .label("has_add_on")
)
_prior = (
    select(_checkin.c.id)
    .where(_checkin.c.device_id == bindparam("device_id"), _checkin.c.device_seq == bindparam("device_seq"))
    .scalar_subquery()
    .label("prior_id")
)
_places = (
    _checkpoint.join(_event, _event.c.id == _checkpoint.c.event_id)
    .outerjoin(_room, _room.c.id == _checkpoint.c.room_id)
    .outerjoin(_settings, _settings.c.event_id == _checkpoint.c.event_id)
)
_first_checkpoint = _checkpoint.alias("first_checkpoint")
# At the entrance (the zone is the checkpoint's kind) the badge's presence comes along: a badge already
# inside is answered without a write.
_PRESENCE_COLUMNS = (
    _presence.c.inside,
    _presence.c.first_at,
    _presence.c.first_checkpoint_id,
    _presence.c.first_device_id,
    _first_checkpoint.c.name.label("first_checkpoint_name"),
)
LOOKUP = (
    select(*_PLACE_COLUMNS, *_BADGE_COLUMNS, _has_add_on, _prior, *_PRESENCE_COLUMNS)
    .select_from(
        _with_badge(_places, and_(_badge.c.event_id == _checkpoint.c.event_id, _badge.c.serial == bindparam("serial")))
        .outerjoin(
            _presence,
            and_(
                _presence.c.badge_id == _badge.c.id,
                _checkpoint.c.kind == CheckpointKind.ENTRANCE.value,
                _presence.c.zone == presence.ENTRANCE,
            ),
        )
        .outerjoin(_first_checkpoint, _first_checkpoint.c.id == _presence.c.first_checkpoint_id)
    )
    .where(_checkpoint.c.id == bindparam("checkpoint_id"))
)
BADGE_BY_ID = (
    select(*_BADGE_COLUMNS)
    .select_from(
        _badge.join(_registration, _registration.c.id == _badge.c.registration_id)
        .join(_order, _order.c.id == _registration.c.order_id)
        .join(_category, _category.c.id == _registration.c.category_id)
    )
    .where(_badge.c.id == bindparam("badge_id"))
)
EXISTING_CHECKPOINTS = select(_checkpoint.c.id).where(_checkpoint.c.id.in_(bindparam("ids", expanding=True)))


_INSERT_CHECKIN = Prebuilt(insert(_checkin))
# The scan's row: every column but advanced-alchemy's insert sentinel, which only the ORM's bulk inserts fill.
# (Its ``session_id`` takes its type from ``program_session``, loaded above: the fast path casts each parameter
# to its column's type.)
_SCAN_ROW = tuple(column for column in _checkin.c if column.key != "sa_orm_sentinel")
_entered = presence.ENTER["postgresql"].returning(literal_column("1")).cte("entered")
# PostgreSQL, in autocommit: the presence write (``badges.presence.ENTER``, the same statement a transaction
# runs) and the scan's row in one statement, so both happen or neither (a repeated (device, sequence) fails the
# whole statement). The row is written only if the presence write admitted; otherwise nothing at all is
# written and the caller answers in a transaction.
ADMIT_POSTGRESQL = (
    insert(_checkin)
    .from_select(
        _SCAN_ROW, select(*(bindparam(c.key, type_=c.type) for c in _SCAN_ROW)).where(exists().select_from(_entered))
    )
    .add_cte(_entered)
)
_LOOKUP = Prebuilt(LOOKUP)
_ADMIT_POSTGRESQL = Prebuilt(ADMIT_POSTGRESQL)


async def lookup(connection: Runner, checkpoint_id: UUID, serial: str | None, device_id: str, device_seq: int) -> Any:
    """The checkpoint's place and rules with the badge (if ``serial`` names one at its event), a row read by
    attribute; None when the checkpoint doesn't exist."""
    params = {"checkpoint_id": checkpoint_id, "serial": serial, "device_id": device_id, "device_seq": device_seq}
    return await _LOOKUP.first(connection, params)


async def badge_by_id(connection: AsyncConnection, badge_id: UUID) -> Row[Any] | None:
    return (await connection.execute(BADGE_BY_ID, {"badge_id": badge_id})).first()


async def existing_checkpoints(connection: AsyncConnection, ids: set[UUID]) -> set[UUID]:
    return set((await connection.execute(EXISTING_CHECKPOINTS, {"ids": list(ids)})).scalars())


async def insert_checkin(connection: Runner, values: dict[str, Any]) -> None:
    await _INSERT_CHECKIN.rowcount(connection, values)


async def admit(connection: Runner, zone: str, values: dict[str, Any]) -> bool:
    """PostgreSQL only: the conditional presence write and the scan row (``values``) together; False when the
    badge was inside already, and then nothing was written."""
    return await _ADMIT_POSTGRESQL.rowcount(connection, {**values, "zone": zone}) == 1
