"""An event's bank transfer settings: read (defaults until saved, disabled) and replaced whole by organizers.

The IBAN is checked by its ISO 13616 mod-97 digits and the BIC by its ISO 9362 shape, so a typo in the details
printed on every invoice is refused (422 naming the field) rather than sending buyers' money astray."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium import audit
from podium.db import savepoint
from podium.errors import Conflict, FieldError, InvalidInput
from podium.i18n import N_
from registration.bank.schemas import BankDetails, BankTransferSettingsIn, BankTransferSettingsRead
from registration.models import BankTransferSettings

FIELDS = (
    "enabled",
    "beneficiary",
    "iban",
    "bic",
    "bank_name",
    "bank_address",
    "instructions",
    "due_days",
    "latest_days_before_event",
    "max_days_from_order",
)
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def compact(text: str) -> str:
    return re.sub(r"[\s-]+", "", text).upper()


def iban_is_valid(iban: str) -> bool:
    """ISO 13616: country, check digits, then the account; moved to the end, as a number, it leaves 1 mod 97."""
    if not _IBAN.match(iban):
        return False
    return int("".join(str(int(c, 36)) for c in iban[4:] + iban[:4])) % 97 == 1


def bic_is_valid(bic: str) -> bool:
    return bool(_BIC.match(bic))


def default_settings(event: Event) -> BankTransferSettings:
    return BankTransferSettings(
        event_id=event.id,
        enabled=False,
        beneficiary="",
        iban="",
        bic="",
        bank_name="",
        bank_address="",
        instructions="",
        due_days=14,
        latest_days_before_event=7,
        max_days_from_order=30,
    )


async def stored_settings(db_session: AsyncSession, event_id: object) -> BankTransferSettings | None:
    return await db_session.scalar(select(BankTransferSettings).where(BankTransferSettings.event_id == event_id))


async def settings_for(db_session: AsyncSession, event: Event) -> BankTransferSettings:
    """The event's settings, or the defaults (disabled) until an organizer saves some; a read writes nothing."""
    return await stored_settings(db_session, event.id) or default_settings(event)


def settings_read(row: BankTransferSettings) -> BankTransferSettingsRead:
    return BankTransferSettingsRead(**{name: getattr(row, name) for name in FIELDS})


def bank_details(row: BankTransferSettings) -> BankDetails:
    return BankDetails(
        beneficiary=row.beneficiary,
        iban=row.iban,
        bic=row.bic,
        bank_name=row.bank_name,
        bank_address=row.bank_address,
        instructions=row.instructions,
    )


def checked(data: BankTransferSettingsIn) -> dict[str, object]:
    """The values to store, or 422 naming every wrong field at once."""
    values: dict[str, object] = {name: getattr(data, name) for name in FIELDS}
    values["iban"] = iban = compact(data.iban)
    values["bic"] = bic = compact(data.bic)
    values["beneficiary"] = data.beneficiary.strip()
    errors: list[FieldError] = []
    if iban and not iban_is_valid(iban):
        errors.append(FieldError("iban", N_("not a valid IBAN (check the digits)")))
    if bic and not bic_is_valid(bic):
        errors.append(FieldError("bic", N_("not a valid BIC (8 or 11 letters and digits)")))
    if data.enabled and not iban:
        errors.append(FieldError("iban", N_("an IBAN is needed to take bank transfers")))
    if data.enabled and not values["beneficiary"]:
        errors.append(FieldError("beneficiary", N_("the account holder is needed to take bank transfers")))
    if errors:
        raise InvalidInput(errors[0].message, field=errors[0].field, errors=errors)
    return values


async def replace_settings(
    db_session: AsyncSession, event: Event, data: BankTransferSettingsIn
) -> BankTransferSettingsRead:
    """Store the event's settings (all fields); audited like the other settings. The caller commits."""
    values = checked(data)
    row = await stored_settings(db_session, event.id)
    if row is None:
        async with savepoint(db_session, Conflict(N_("settings were created concurrently; retry"), field="event")):
            row = default_settings(event)
            db_session.add(row)
            await db_session.flush()
    before = audit.snapshot(row, FIELDS)
    for name, value in values.items():
        setattr(row, name, value)
    audit.record_updated(
        db_session, "bank_transfer_settings", row.id, before, audit.snapshot(row, FIELDS), None, event_id=event.id
    )
    return settings_read(row)
