"""The answer to one scan, from what the lookup read: the rules of the token, the badge, the registration and
the checkpoint, in the order an offline scanner follows too (``badges.schemas``): the token itself, the
event, the badge's version, the registration, then (for ``in`` scans) the checkpoint's rule.

``decide`` writes nothing for ``in`` scans: an answer that passed every rule carries the presence zone, and
the recorder (``badges.checkin``) makes the single conditional write that turns it into ``admitted`` or
``already_admitted``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import Row, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from badges import keys, presence, tokens
from badges.models import CheckinPresence, Checkpoint, CheckpointKind, Direction, ScanReason
from badges.schemas import AttendeeBrief, CheckinSettingsIO, FirstAdmission, ScanIn
from badges.services import admission_status
from events.models import Event
from registration.models import AddOn, RegistrationAddOn, RegistrationStatus
from sessions.models import ProgramSession, SessionStatus

DEFAULT_DOORS_OPEN = dt.timedelta(minutes=CheckinSettingsIO().doors_open_minutes)


@dataclass(frozen=True, slots=True)
class Place:
    """A checkpoint with what its answers need: its rules, the event's name and zone, the room's name."""

    checkpoint_id: UUID
    event_id: UUID
    name: str
    kind: str
    room_id: UUID | None
    session_id: UUID | None
    add_on_id: UUID | None
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    is_active: bool
    event_name: str
    zone: ZoneInfo
    doors_open: dt.timedelta
    room_name: str | None


@dataclass
class Decision:
    reason: ScanReason
    message: str
    badge_id: UUID | None = None
    registration_id: UUID | None = None
    version: int | None = None
    attendee: AttendeeBrief | None = None
    session: ProgramSession | None = None
    first: FirstAdmission | None = None
    # Set on an ``in`` scan that passed every rule: the presence write in this zone decides admitted or not.
    zone: str | None = None


@dataclass(frozen=True, slots=True)
class Code:
    """What the scanned code says before the database is asked: the serial and printing it names, or the
    answer already (an unreadable or forged token), and the key that signed it."""

    serial: str | None
    version: int | None = None
    key: keys.KnownKey | None = None
    refused: Decision | None = None


def _local(moment: dt.datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def _local_day(moment: dt.datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %H:%M")


def place_of(row: Row[Any]) -> Place:
    return Place(
        checkpoint_id=row.checkpoint_id,
        event_id=row.event_id,
        name=row.checkpoint_name,
        kind=row.kind,
        room_id=row.room_id,
        session_id=row.session_id,
        add_on_id=row.add_on_id,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        is_active=row.is_active,
        event_name=row.event_name,
        zone=ZoneInfo(row.timezone),
        doors_open=DEFAULT_DOORS_OPEN
        if row.doors_open_minutes is None
        else dt.timedelta(minutes=row.doors_open_minutes),
        room_name=row.room_name,
    )


def first_from(row: Row[Any]) -> FirstAdmission:
    return FirstAdmission(
        at=row.first_at,
        checkpoint_id=row.first_checkpoint_id,
        checkpoint_name=row.first_checkpoint_name,
        device_id=row.first_device_id,
    )


def brief(row: Row[Any]) -> AttendeeBrief:
    return AttendeeBrief(
        name=f"{row.first_name} {row.last_name}", affiliation=row.affiliation, category=row.category, serial=row.serial
    )


async def read_code(db_session: AsyncSession, scan: ScanIn) -> Code:
    """Parse and verify the token (or read the typed serial) before any transaction starts."""
    if scan.token is None:
        try:
            return Code(tokens.serial_to_text(tokens.serial_from_text(scan.serial or "")))
        except ValueError:
            return Code(None, refused=Decision(ScanReason.INVALID, "No badge has this number."))
    try:
        claims, signed, signature = tokens.parse(scan.token)
    except tokens.TokenError:
        return Code(None, refused=Decision(ScanReason.INVALID, "Not a badge code: unreadable or altered."))
    key = await keys.key_for_kid(db_session, claims.kid)
    if key is None or not tokens.verify_signature(key.public_key, signed, signature):
        return Code(None, refused=Decision(ScanReason.INVALID, "Not a genuine badge: the signature does not match."))
    return Code(claims.serial_text, claims.version, key)


async def decide(db_session: AsyncSession, scan: ScanIn, place: Place, code: Code, row: Row[Any]) -> Decision:
    """The answer to one scan, with the presence change it implies already made (in the caller's transaction)."""
    if code.refused is not None:
        return code.refused
    if code.key is not None and code.key.event_id != place.event_id:
        other = await db_session.scalar(select(Event.name).where(Event.id == code.key.event_id))
        if other is None:  # a key remembered from an event deleted since
            return Decision(ScanReason.INVALID, "Not a badge of any current event.")
        return Decision(ScanReason.WRONG_EVENT, f"This badge is for another event ({other}).")
    if row.badge_id is None:
        return Decision(ScanReason.INVALID, "Unknown badge.")
    version = code.version
    decision = Decision(
        ScanReason.INVALID,
        "",
        badge_id=row.badge_id,
        registration_id=row.registration_id,
        version=version or row.version,
        attendee=brief(row),
    )
    name = decision.attendee.name if decision.attendee else ""
    if version is not None and version != row.version:
        if version > row.version:
            decision.message = "This badge version was never issued."
            return decision
        decision.reason = ScanReason.REVOKED
        decision.message = f"Badge replaced: {name} has a newer badge (this is print {version} of {row.version})."
        return decision
    status = admission_status(row.registration_status, row.order_status)
    if status == "cancelled":
        decision.reason = ScanReason.CANCELLED
        decision.message = f"Registration of {name} is {row.registration_status}."
        return decision
    if status == "not_paid":
        decision.reason = ScanReason.NOT_PAID
        decision.message = (
            f"{name}: registration awaiting verification."
            if row.registration_status == RegistrationStatus.AWAITING_VERIFICATION
            else f"{name}: registration not paid."
        )
        return decision
    if scan.direction == Direction.OUT:
        return await _check_out(db_session, scan, place, decision)
    return await _check_in(db_session, scan, place, decision, bool(row.has_add_on))


async def _room_session(
    db_session: AsyncSession, room_id: UUID, moment: dt.datetime, before: dt.timedelta, after: dt.timedelta
) -> ProgramSession | None:
    """The session a room door scan belongs to: the latest-starting published one whose doors are open."""
    return await db_session.scalar(
        select(ProgramSession)
        .where(
            ProgramSession.room_id == room_id,
            ProgramSession.status == SessionStatus.PUBLISHED,
            ProgramSession.starts_at <= moment + before,
            ProgramSession.ends_at > moment - after,
        )
        .order_by(ProgramSession.starts_at.desc())
        .limit(1)
    )


async def _check_out(db_session: AsyncSession, scan: ScanIn, place: Place, decision: Decision) -> Decision:
    assert decision.badge_id is not None
    zone: str | None
    if place.kind == CheckpointKind.ROOM and place.room_id is not None:
        decision.session = await _room_session(
            db_session, place.room_id, scan.device_time, place.doors_open, place.doors_open
        )
        zone = f"session:{decision.session.id}" if decision.session else None
    elif place.kind == CheckpointKind.SESSION and place.session_id is not None:
        decision.session = await db_session.get(ProgramSession, place.session_id)
        zone = f"session:{place.session_id}"
    else:
        zone = fixed_zone(place.kind, place.add_on_id)
    if zone is not None:
        await presence.leave(db_session, decision.badge_id, zone, scan.device_time)
    decision.reason = ScanReason.CHECKED_OUT
    decision.message = f"Checked out: {decision.attendee.name if decision.attendee else ''}."
    return decision


def fixed_zone(kind: str, add_on_id: UUID | None) -> str:
    if kind == CheckpointKind.ADD_ON:
        return f"add_on:{add_on_id}"
    return "entrance"


async def _has_add_on(db_session: AsyncSession, registration_id: UUID, add_on_id: UUID) -> bool:
    return bool(
        await db_session.scalar(
            select(
                exists().where(
                    RegistrationAddOn.registration_id == registration_id, RegistrationAddOn.add_on_id == add_on_id
                )
            )
        )
    )


async def _check_in(
    db_session: AsyncSession,
    scan: ScanIn,
    place: Place,
    decision: Decision,
    has_place_add_on: bool,
) -> Decision:
    """``has_place_add_on``: whether the registration bought the checkpoint's own add-on (from the lookup)."""
    moment, local = scan.device_time, place.zone
    assert decision.badge_id is not None and decision.registration_id is not None
    if not place.is_active:
        return _closed(decision, place.name)
    required: UUID | None = None
    if place.kind == CheckpointKind.ROOM and place.room_id is not None:
        session = await _room_session(db_session, place.room_id, moment, place.doors_open, dt.timedelta(0))
        if session is None:
            decision.reason = ScanReason.OUTSIDE_WINDOW
            decision.message = await _no_session_message(db_session, place, moment)
            return decision
        decision.session, required, zone = session, session.required_add_on_id, f"session:{session.id}"
    elif place.kind == CheckpointKind.SESSION and place.session_id is not None:
        session = await db_session.get(ProgramSession, place.session_id)
        assert session is not None
        decision.session, required, zone = session, session.required_add_on_id, f"session:{session.id}"
        if session.status != SessionStatus.PUBLISHED:
            decision.reason = ScanReason.OUTSIDE_WINDOW
            decision.message = f"“{session.title}” is {session.status}."
            return decision
        if moment < session.starts_at - place.doors_open:
            decision.reason = ScanReason.OUTSIDE_WINDOW
            opens = _local_day(session.starts_at - place.doors_open, local)
            decision.message = f"Doors for “{session.title}” open {opens}."
            return decision
        if moment >= session.ends_at:
            decision.reason = ScanReason.OUTSIDE_WINDOW
            decision.message = f"“{session.title}” ended at {_local_day(session.ends_at, local)}."
            return decision
    else:
        required, zone = place.add_on_id, fixed_zone(place.kind, place.add_on_id)
        if place.opens_at is not None and moment < place.opens_at:
            decision.reason = ScanReason.OUTSIDE_WINDOW
            decision.message = f"{place.name} opens {_local_day(place.opens_at, local)}."
            return decision
        if place.closes_at is not None and moment >= place.closes_at:
            decision.reason = ScanReason.OUTSIDE_WINDOW
            decision.message = f"{place.name} closed {_local_day(place.closes_at, local)}."
            return decision
    if required is not None and not (
        has_place_add_on
        if required == place.add_on_id
        else await _has_add_on(db_session, decision.registration_id, required)
    ):
        add_on = await db_session.scalar(select(AddOn.name).where(AddOn.id == required))
        decision.reason = ScanReason.NO_ACCESS
        decision.message = f"{decision.attendee.name if decision.attendee else ''} has no ticket for {add_on}."
        return decision
    decision.reason, decision.zone = ScanReason.ADMITTED, zone
    where = f" to “{decision.session.title}”" if decision.session else ""
    decision.message = f"Admitted{where}: {decision.attendee.name if decision.attendee else ''}."
    return decision


def _closed(decision: Decision, checkpoint_name: str) -> Decision:
    """A checkpoint the organizers deactivated admits nobody (``out`` scans are still recorded)."""
    decision.reason = ScanReason.OUTSIDE_WINDOW
    decision.message = f"{checkpoint_name} is closed: the organizers deactivated this checkpoint."
    return decision


async def answer_already_admitted(db_session: AsyncSession, decision: Decision, place: Place) -> None:
    assert decision.badge_id is not None
    decision.reason = ScanReason.ALREADY_ADMITTED
    decision.first = await first_admission(db_session, decision.badge_id, decision.zone)
    say_already(decision, place)


def say_already(decision: Decision, place: Place) -> None:
    first = decision.first
    decision.message = (
        f"Already admitted at {_local_day(first.at, place.zone)} ({first.checkpoint_name})."
        if first
        else "Already admitted."
    )


async def _no_session_message(db_session: AsyncSession, place: Place, moment: dt.datetime) -> str:
    upcoming = await db_session.scalar(
        select(ProgramSession)
        .where(
            ProgramSession.room_id == place.room_id,
            ProgramSession.status == SessionStatus.PUBLISHED,
            ProgramSession.starts_at > moment,
        )
        .order_by(ProgramSession.starts_at)
        .limit(1)
    )
    room = place.room_name or place.name
    if upcoming is None:
        return f"No more sessions in {room}."
    opens = _local_day(upcoming.starts_at - place.doors_open, place.zone)
    return f"No session in {room} now; doors open {opens} for “{upcoming.title}”."


async def first_admission(db_session: AsyncSession, badge_id: UUID, zone: str | None) -> FirstAdmission | None:
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
    presence, checkpoint_name = found
    return FirstAdmission(
        at=presence.first_at,
        checkpoint_id=presence.first_checkpoint_id,
        checkpoint_name=checkpoint_name,
        device_id=presence.first_device_id,
    )
