"""An event's registration settings: hold time and the equitable-access discounts (percent off the fee by
World Bank income group). One row per event, written the first time an organizer saves."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from events.services import editable_event, get_event
from podium import audit
from podium.db import savepoint
from podium.errors import Conflict
from podium.i18n import N_
from registration.catalog import schemas as s
from registration.catalog.rows import SettingsRows, changes
from registration.models import RegistrationSettings

_SETTINGS_FIELDS = (
    "hold_minutes",
    "low_income_discount_pct",
    "lower_middle_income_discount_pct",
    "upper_middle_income_discount_pct",
)


def default_settings(event: Event) -> RegistrationSettings:
    """What an event without saved settings runs on."""
    return RegistrationSettings(
        event_id=event.id,
        hold_minutes=15,
        low_income_discount_pct=0,
        lower_middle_income_discount_pct=0,
        upper_middle_income_discount_pct=0,
    )


async def stored_settings(db_session: AsyncSession, event: Event) -> RegistrationSettings | None:
    return await SettingsRows(db_session).get_one_or_none(event_id=event.id)


async def _settings_row(db_session: AsyncSession, event: Event) -> RegistrationSettings:
    row = await stored_settings(db_session, event)
    if row is None:
        async with savepoint(db_session, Conflict(N_("settings were created concurrently; retry"), field="event")):
            row = await SettingsRows(db_session).add(default_settings(event))
    return row


def _settings_read(row: RegistrationSettings) -> s.RegistrationSettingsRead:
    return s.RegistrationSettingsRead(
        hold_minutes=row.hold_minutes,
        low_income_discount_pct=row.low_income_discount_pct,
        lower_middle_income_discount_pct=row.lower_middle_income_discount_pct,
        upper_middle_income_discount_pct=row.upper_middle_income_discount_pct,
    )


async def get_settings(db_session: AsyncSession, slug: str) -> s.RegistrationSettingsRead:
    """The event's settings, or the defaults until an organizer saves some (a read writes nothing)."""
    event = await get_event(db_session, slug)
    return _settings_read(await stored_settings(db_session, event) or default_settings(event))


async def update_settings(
    db_session: AsyncSession, slug: str, data: s.RegistrationSettingsUpdate
) -> s.RegistrationSettingsRead:
    row = await _settings_row(db_session, await editable_event(db_session, slug))
    before = audit.snapshot(row, _SETTINGS_FIELDS)
    for name, value in changes(data).items():
        setattr(row, name, value)
    after = audit.snapshot(row, _SETTINGS_FIELDS)
    audit.record_updated(db_session, "registration_settings", row.id, before, after, None, event_id=row.event_id)
    return _settings_read(row)
