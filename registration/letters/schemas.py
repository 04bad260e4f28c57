"""Letters on the wire. The attendee's answer shows the passport number masked and nothing else of the passport;
only ``PassportRead`` (organizers, audited) carries the passport data."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec

from podium.schema import Struct
from registration.models import LetterStatus, RevokedBecause

_Field = Annotated[str, msgspec.Meta(max_length=400)]


class LetterRequest(Struct):
    """Every field is checked by the service, all at once, so a form shows every mistake together."""

    passport_name: _Field = ""
    nationality: _Field = ""
    passport_number: _Field = ""
    date_of_birth: _Field = ""
    embassy_city: _Field = ""


class LetterRead(Struct):
    """The attendee's view of their letter."""

    id: UUID
    status: LetterStatus
    code: str
    embassy_city: str
    passport_number: str | None  # masked: the last three characters only; None once erased
    requested_at: dt.datetime
    issued_at: dt.datetime | None
    revoked_at: dt.datetime | None
    erased: bool
    note: str
    verify_url: str
    # organizer, cancelled, transferred (the registration went to someone else) or expired (its hold ended)
    revoked_because: RevokedBecause | None = None


class LetterListItem(Struct):
    """One row of the organizers' list (no passport data: that is one audited request away)."""

    id: UUID
    registration_id: UUID
    attendee: str
    email: str
    status: LetterStatus
    code: str
    embassy_city: str
    requested_at: dt.datetime
    issued_at: dt.datetime | None
    revoked_at: dt.datetime | None
    erased_at: dt.datetime | None


class PassportRead(Struct):
    letter_id: UUID
    erased: bool
    passport_name: str | None = None
    nationality: str | None = None
    passport_number: str | None = None
    date_of_birth: dt.date | None = None


class LetterDecision(Struct):
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class LetterSettingsIn(Struct):
    review_first: bool
    allow_unconfirmed: bool = False
    erase_after_days: Annotated[int, msgspec.Meta(ge=0, le=3650)] = 30


class LetterSettingsRead(Struct):
    review_first: bool
    allow_unconfirmed: bool
    erase_after_days: int
    signatory: str
    has_signature: bool
    signatory_title: str = ""
