"""Recording scans: decide the answer, store it with the scan, in one transaction per scan.

Exactly once, twice over: a scan is keyed by (device id, device sequence number), so a device re-uploading
its queue gets the first answer back and nothing is recorded again (``replayed``); and "admitted" is
handed out by conditional writes on ``CheckinPresence`` (``badges.presence``: insert-if-absent, else flip
``inside`` if the scan is newer by device time), so of two devices scanning one badge at the same
moment exactly one gets ``admitted`` and the other ``already_admitted``, on SQLite and PostgreSQL alike.

The order of checks is the one an offline scanner follows too (``badges.schemas``): the token itself, the
event, the badge's version, the registration, then (for ``in`` scans) the checkpoint's rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import noload

from badges import keys, presence, tokens
from badges.models import (
    Badge,
    Checkin,
    CheckinPresence,
    CheckinSettings,
    Checkpoint,
    CheckpointKind,
    Direction,
    ScanReason,
)
from badges.schemas import (
    AttendeeBrief,
    CheckinBatch,
    CheckinResults,
    CheckinSettingsIO,
    FirstAdmission,
    ScanIn,
    ScanResult,
)
from badges.services import admission_status
from events.models import Event, Room
from podium.db import begin_write
from podium.errors import Conflict, FieldError, InvalidInput
from registration.models import AddOn, Category, Order, Registration, RegistrationAddOn, RegistrationStatus
from sessions.models import ProgramSession, SessionStatus

LEVELS = {ScanReason.ADMITTED: "ok", ScanReason.CHECKED_OUT: "ok", ScanReason.ALREADY_ADMITTED: "warn"}


@dataclass
class Place:
    """A checkpoint with what its answers need: the event's name and zone, the room's name, its rules."""

    checkpoint: Checkpoint
    event_name: str
    zone: ZoneInfo
    doors_open: dt.timedelta
    room_name: str | None = None


@dataclass
class Decision:
    reason: ScanReason
    message: str
    badge: Badge | None = None
    registration: Registration | None = None
    attendee: AttendeeBrief | None = None
    session: ProgramSession | None = None
    first: FirstAdmission | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _local(moment: dt.datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def _local_day(moment: dt.datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %H:%M")


async def places_for(db_session: AsyncSession, checkpoint_ids: set[UUID]) -> dict[UUID, Place]:
    """The checkpoints a batch names, each with its event's name, zone and doors-open time (one query)."""
    default_doors = CheckinSettingsIO().doors_open_minutes
    rows = (
        await db_session.execute(
            select(Checkpoint, Event.name, Event.timezone, Room.name, CheckinSettings.doors_open_minutes)
            .join(Event, Event.id == Checkpoint.event_id)
            .outerjoin(Room, Room.id == Checkpoint.room_id)
            .outerjoin(CheckinSettings, CheckinSettings.event_id == Checkpoint.event_id)
            .where(Checkpoint.id.in_(checkpoint_ids))
        )
    ).all()
    return {
        checkpoint.id: Place(
            checkpoint,
            event_name,
            ZoneInfo(timezone),
            dt.timedelta(minutes=default_doors if doors is None else doors),
            room_name=room_name,
        )
        for checkpoint, event_name, timezone, room_name, doors in rows
    }


def _validate(batch: CheckinBatch, places: dict[UUID, Place]) -> None:
    """Malformed scans refuse the whole batch before anything is written (a 422 naming the scan's field)."""
    errors: list[FieldError] = []
    for index, scan in enumerate(batch.scans):
        if scan.checkpoint_id not in places:
            errors.append(FieldError(f"scans[{index}].checkpoint_id", "no such checkpoint"))
        if (scan.token is None) == (scan.serial is None):
            errors.append(FieldError(f"scans[{index}].token", "send either the token or the serial"))
    if errors:
        raise InvalidInput(errors[0].message, field=errors[0].field, errors=errors)


async def record_scans(db_session: AsyncSession, batch: CheckinBatch, *, actor: str) -> CheckinResults:
    """Each scan's answer, in order; scans recorded before get their first answer back."""
    places = await places_for(db_session, {s.checkpoint_id for s in batch.scans})
    _validate(batch, places)
    results = [
        await record_scan(db_session, scan, places[scan.checkpoint_id], actor=actor, index=index)
        for index, scan in enumerate(batch.scans)
    ]
    return CheckinResults(results=results)


def _same_scan(earlier: Checkin, scan: ScanIn) -> bool:
    """A re-upload carries the same place, direction and moment; anything else reused the sequence number
    (a reinstalled app counting from zero again, say), and replaying someone else's answer would be wrong."""
    return (
        earlier.checkpoint_id == scan.checkpoint_id
        and earlier.direction == scan.direction
        and abs(earlier.device_time - scan.device_time) < dt.timedelta(seconds=1)
    )


def _reused(scan: ScanIn, index: int) -> Conflict:
    return Conflict(
        f"device {scan.device_id} already sent a different scan numbered {scan.device_seq}: number scans anew "
        "(or use a new device id after a reinstall)",
        field=f"scans[{index}].device_seq",
        code="sequence_reused",
    )


async def _recorded(db_session: AsyncSession, scan: ScanIn) -> Checkin | None:
    return await db_session.scalar(
        select(Checkin).where(Checkin.device_id == scan.device_id, Checkin.device_seq == scan.device_seq)
    )


async def record_scan(
    db_session: AsyncSession, scan: ScanIn, place: Place, *, actor: str, index: int = 0
) -> ScanResult:
    try:
        # The replay check sits inside the write transaction: on SQLite no concurrent upload can slip in
        # between; on PostgreSQL one still can, and the unique constraint catches it below.
        await begin_write(db_session)
        earlier = await _recorded(db_session, scan)
        if earlier is not None:
            answer = await replay(db_session, earlier) if _same_scan(earlier, scan) else None
            await db_session.rollback()  # nothing was written; ends the transaction (SQLite's write lock)
            if answer is None:
                raise _reused(scan, index)
            return answer
        decision = await decide(db_session, scan, place)
        row = Checkin(
            id=uuid4(),
            event_id=place.checkpoint.event_id,
            checkpoint_id=place.checkpoint.id,
            badge_id=decision.badge.id if decision.badge else None,
            registration_id=decision.registration.id if decision.registration else None,
            session_id=decision.session.id if decision.session else None,
            badge_version=decision.extra.get("version"),
            direction=scan.direction,
            device_id=scan.device_id,
            device_seq=scan.device_seq,
            device_time=scan.device_time,
            reason=decision.reason.value,
            message=decision.message[:300],
            actor=actor,
        )
        db_session.add(row)
        await db_session.commit()
    except IntegrityError:
        # The same (device, sequence) was recorded by a concurrent upload: its answer is the answer.
        await db_session.rollback()
        earlier = await _recorded(db_session, scan)
        if earlier is None:
            raise
        if not _same_scan(earlier, scan):
            raise _reused(scan, index) from None
        return await replay(db_session, earlier)
    return _result(row, decision, replayed=False)


def _result(row: Checkin, decision: Decision, *, replayed: bool) -> ScanResult:
    return ScanResult(
        device_id=row.device_id,
        device_seq=row.device_seq,
        reason=cast(Any, row.reason),
        level=cast(Any, LEVELS.get(ScanReason(row.reason), "stop")),
        message=row.message,
        replayed=replayed,
        recorded_at=row.created_at,
        attendee=decision.attendee,
        first_admission=decision.first,
        session_id=decision.session.id if decision.session else None,
        session_title=decision.session.title if decision.session else None,
    )


async def replay(db_session: AsyncSession, row: Checkin) -> ScanResult:
    """The answer a recorded scan got, rebuilt from what was stored."""
    decision = Decision(ScanReason(row.reason), row.message)
    if row.badge_id is not None:
        found = await _badge_rows(db_session, Badge.id == row.badge_id)
        if found is not None:
            decision.badge, decision.registration, _, category = found
            decision.attendee = _brief(decision.badge, decision.registration, category)
    if row.session_id is not None:
        decision.session = await db_session.get(ProgramSession, row.session_id)
    if row.reason == ScanReason.ALREADY_ADMITTED and row.badge_id is not None:
        if row.session_id is not None:
            zone = f"session:{row.session_id}"
        else:
            zone = _fixed_zone(await db_session.get_one(Checkpoint, row.checkpoint_id))
        decision.first = await _first_admission(db_session, row.badge_id, zone)
    return _result(row, decision, replayed=True)


async def _badge_rows(db_session: AsyncSession, *where: Any) -> tuple[Badge, Registration, str, str] | None:
    found = (
        await db_session.execute(
            select(Badge, Registration, Order.status, Category.name)
            .join(Registration, Registration.id == Badge.registration_id)
            .join(Order, Order.id == Registration.order_id)
            .join(Category, Category.id == Registration.category_id)
            .where(*where)
            .options(noload(Registration.add_ons))
        )
    ).first()
    return None if found is None else cast(tuple[Badge, Registration, str, str], tuple(found))


def _brief(badge: Badge, registration: Registration, category: str) -> AttendeeBrief:
    return AttendeeBrief(
        name=f"{registration.first_name} {registration.last_name}",
        affiliation=registration.affiliation,
        category=category,
        serial=badge.serial,
    )


async def decide(db_session: AsyncSession, scan: ScanIn, place: Place) -> Decision:
    """The answer to one scan, with the presence change it implies already made (in the caller's transaction)."""
    checkpoint = place.checkpoint
    version: int | None = None
    if scan.token is not None:
        try:
            claims, signed, signature = tokens.parse(scan.token)
        except tokens.TokenError:
            return Decision(ScanReason.INVALID, "Not a badge code: unreadable or altered.")
        key = await keys.key_for_kid(db_session, claims.kid)
        if key is None or not tokens.verify_signature(key.public_key, signed, signature):
            return Decision(ScanReason.INVALID, "Not a genuine badge: the signature does not match.")
        if key.event_id != checkpoint.event_id:
            other = await db_session.scalar(select(Event.name).where(Event.id == key.event_id))
            if other is None:  # a key remembered from an event deleted since
                return Decision(ScanReason.INVALID, "Not a badge of any current event.")
            return Decision(ScanReason.WRONG_EVENT, f"This badge is for another event ({other}).")
        serial, version = claims.serial_text, claims.version
    else:
        try:
            serial = tokens.serial_to_text(tokens.serial_from_text(scan.serial or ""))
        except ValueError:
            return Decision(ScanReason.INVALID, "No badge has this number.")
    found = await _badge_rows(db_session, Badge.event_id == checkpoint.event_id, Badge.serial == serial)
    if found is None:
        return Decision(ScanReason.INVALID, "Unknown badge.")
    badge, registration, order_status, category = found
    decision = Decision(
        ScanReason.INVALID,
        "",
        badge=badge,
        registration=registration,
        attendee=_brief(badge, registration, category),
        extra={"version": version or badge.version},
    )
    name = decision.attendee.name if decision.attendee else ""
    if version is not None and version != badge.version:
        if version > badge.version:
            decision.message = "This badge version was never issued."
            return decision
        decision.reason = ScanReason.REVOKED
        decision.message = f"Badge replaced: {name} has a newer badge (this is print {version} of {badge.version})."
        return decision
    status = admission_status(registration.status, order_status)
    if status == "cancelled":
        decision.reason = ScanReason.CANCELLED
        decision.message = f"Registration of {name} is {registration.status}."
        return decision
    if status == "not_paid":
        decision.reason = ScanReason.NOT_PAID
        decision.message = (
            f"{name}: registration awaiting verification."
            if registration.status == RegistrationStatus.AWAITING_VERIFICATION
            else f"{name}: registration not paid."
        )
        return decision
    if scan.direction == Direction.OUT:
        return await _check_out(db_session, scan, place, decision)
    return await _check_in(db_session, scan, place, decision)


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
    checkpoint = place.checkpoint
    assert decision.badge is not None
    zone: str | None
    if checkpoint.kind == CheckpointKind.ROOM and checkpoint.room_id is not None:
        decision.session = await _room_session(
            db_session, checkpoint.room_id, scan.device_time, place.doors_open, place.doors_open
        )
        zone = f"session:{decision.session.id}" if decision.session else None
    elif checkpoint.kind == CheckpointKind.SESSION and checkpoint.session_id is not None:
        decision.session = await db_session.get(ProgramSession, checkpoint.session_id)
        zone = f"session:{checkpoint.session_id}"
    else:
        zone = _fixed_zone(checkpoint)
    if zone is not None:
        await presence.leave(db_session, decision.badge.id, zone, scan.device_time)
    decision.reason = ScanReason.CHECKED_OUT
    decision.message = f"Checked out: {decision.attendee.name if decision.attendee else ''}."
    return decision


def _fixed_zone(checkpoint: Checkpoint) -> str:
    if checkpoint.kind == CheckpointKind.ADD_ON:
        return f"add_on:{checkpoint.add_on_id}"
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


async def _check_in(db_session: AsyncSession, scan: ScanIn, place: Place, decision: Decision) -> Decision:
    checkpoint, moment, local = place.checkpoint, scan.device_time, place.zone
    assert decision.badge is not None and decision.registration is not None
    if not checkpoint.is_active:
        return _closed(decision, checkpoint.name)
    required: UUID | None = None
    if checkpoint.kind == CheckpointKind.ROOM and checkpoint.room_id is not None:
        session = await _room_session(db_session, checkpoint.room_id, moment, place.doors_open, dt.timedelta(0))
        if session is None:
            decision.reason = ScanReason.OUTSIDE_WINDOW
            decision.message = await _no_session_message(db_session, place, moment)
            return decision
        decision.session, required, zone = session, session.required_add_on_id, f"session:{session.id}"
    elif checkpoint.kind == CheckpointKind.SESSION and checkpoint.session_id is not None:
        session = await db_session.get(ProgramSession, checkpoint.session_id)
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
        required, zone = checkpoint.add_on_id, _fixed_zone(checkpoint)
        if checkpoint.opens_at is not None and moment < checkpoint.opens_at:
            decision.reason = ScanReason.OUTSIDE_WINDOW
            decision.message = f"{checkpoint.name} opens {_local_day(checkpoint.opens_at, local)}."
            return decision
        if checkpoint.closes_at is not None and moment >= checkpoint.closes_at:
            decision.reason = ScanReason.OUTSIDE_WINDOW
            decision.message = f"{checkpoint.name} closed {_local_day(checkpoint.closes_at, local)}."
            return decision
    if required is not None and not await _has_add_on(db_session, decision.registration.id, required):
        add_on = await db_session.scalar(select(AddOn.name).where(AddOn.id == required))
        decision.reason = ScanReason.NO_ACCESS
        decision.message = f"{decision.attendee.name if decision.attendee else ''} has no ticket for {add_on}."
        return decision
    if await _enter(db_session, decision.badge.id, zone, scan, checkpoint):
        decision.reason = ScanReason.ADMITTED
        where = f" to “{decision.session.title}”" if decision.session else ""
        decision.message = f"Admitted{where}: {decision.attendee.name if decision.attendee else ''}."
        return decision
    decision.reason = ScanReason.ALREADY_ADMITTED
    decision.first = await _first_admission(db_session, decision.badge.id, zone)
    first = decision.first
    decision.message = (
        f"Already admitted at {_local_day(first.at, local)} ({first.checkpoint_name})."
        if first
        else "Already admitted."
    )
    return decision


def _closed(decision: Decision, checkpoint_name: str) -> Decision:
    """A checkpoint the organizers deactivated admits nobody (``out`` scans are still recorded)."""
    decision.reason = ScanReason.OUTSIDE_WINDOW
    decision.message = f"{checkpoint_name} is closed: the organizers deactivated this checkpoint."
    return decision


async def _no_session_message(db_session: AsyncSession, place: Place, moment: dt.datetime) -> str:
    checkpoint = place.checkpoint
    upcoming = await db_session.scalar(
        select(ProgramSession)
        .where(
            ProgramSession.room_id == checkpoint.room_id,
            ProgramSession.status == SessionStatus.PUBLISHED,
            ProgramSession.starts_at > moment,
        )
        .order_by(ProgramSession.starts_at)
        .limit(1)
    )
    room = place.room_name or checkpoint.name
    if upcoming is None:
        return f"No more sessions in {room}."
    opens = _local_day(upcoming.starts_at - place.doors_open, place.zone)
    return f"No session in {room} now; doors open {opens} for “{upcoming.title}”."


async def _enter(db_session: AsyncSession, badge_id: UUID, zone: str, scan: ScanIn, checkpoint: Checkpoint) -> bool:
    """The conditional write that admits, ordered by device time (``badges.presence``)."""
    return await presence.enter(db_session, badge_id, zone, scan.device_time, checkpoint.id, scan.device_id)


async def _first_admission(db_session: AsyncSession, badge_id: UUID, zone: str | None) -> FirstAdmission | None:
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
