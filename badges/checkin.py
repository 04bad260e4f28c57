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
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import Row, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from badges import keys, presence, scan_queries, tokens
from badges.models import (
    Checkin,
    CheckinPresence,
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
from events.models import Event
from podium.db import begin_write, utcnow
from podium.errors import Conflict, FieldError, InvalidInput
from registration.models import AddOn, RegistrationAddOn, RegistrationStatus
from sessions.models import ProgramSession, SessionStatus

LEVELS = {ScanReason.ADMITTED: "ok", ScanReason.CHECKED_OUT: "ok", ScanReason.ALREADY_ADMITTED: "warn"}
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
    is_active: bool
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
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
        is_active=row.is_active,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        event_name=row.event_name,
        zone=ZoneInfo(row.timezone),
        doors_open=DEFAULT_DOORS_OPEN
        if row.doors_open_minutes is None
        else dt.timedelta(minutes=row.doors_open_minutes),
        room_name=row.room_name,
    )


async def _validate(db_session: AsyncSession, batch: CheckinBatch) -> None:
    """Malformed scans refuse the whole batch before anything is written (a 422 naming the scan's field).

    A lone well-formed scan skips the checkpoint query: its own lookup finds the checkpoint or refuses it
    before writing (``record_scan``)."""
    malformed = [(scan.token is None) == (scan.serial is None) for scan in batch.scans]
    if len(batch.scans) == 1 and not malformed[0]:
        return
    connection = await db_session.connection()
    existing = await scan_queries.existing_checkpoints(connection, {s.checkpoint_id for s in batch.scans})
    errors: list[FieldError] = []
    for index, scan in enumerate(batch.scans):
        if scan.checkpoint_id not in existing:
            errors.append(_no_checkpoint(index))
        if malformed[index]:
            errors.append(FieldError(f"scans[{index}].token", "send either the token or the serial"))
    if errors:
        raise InvalidInput(errors[0].message, field=errors[0].field, errors=errors)


def _no_checkpoint(index: int) -> FieldError:
    return FieldError(f"scans[{index}].checkpoint_id", "no such checkpoint")


async def record_scans(db_session: AsyncSession, batch: CheckinBatch, *, actor: str) -> CheckinResults:
    """Each scan's answer, in order; scans recorded before get their first answer back."""
    await _validate(db_session, batch)
    results = [await record_scan(db_session, scan, actor=actor, index=index) for index, scan in enumerate(batch.scans)]
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


async def _replay_or_refuse(db_session: AsyncSession, scan: ScanIn, index: int) -> ScanResult:
    """The answer the device's earlier scan with this number got (nothing is written)."""
    earlier = await _recorded(db_session, scan)
    answer = await replay(db_session, earlier) if earlier is not None and _same_scan(earlier, scan) else None
    await db_session.rollback()  # ends the transaction (SQLite's write lock)
    if earlier is None:
        raise RuntimeError("the scan was recorded and is gone again")
    if answer is None:
        raise _reused(scan, index)
    return answer


async def record_scan(db_session: AsyncSession, scan: ScanIn, *, actor: str, index: int = 0) -> ScanResult:
    code = await read_code(db_session, scan)
    try:
        if scan.direction == Direction.IN and await _begin_autocommit(db_session):
            answer = await _record_in_autocommit(db_session, scan, code, actor=actor, index=index)
            if answer is not None:
                return answer
            await db_session.commit()  # back to transactions: the badge got in meanwhile, answer with care
        return await _record_in_transaction(db_session, scan, code, actor=actor, index=index)
    except IntegrityError:
        # The same (device, sequence) was recorded by a concurrent upload: its answer is the answer.
        await db_session.rollback()
        earlier = await _recorded(db_session, scan)
        if earlier is None:
            raise
        if not _same_scan(earlier, scan):
            raise _reused(scan, index) from None
        return await replay(db_session, earlier)


async def _begin_autocommit(db_session: AsyncSession) -> bool:
    """PostgreSQL: the session's next statements each commit on their own (no BEGIN and COMMIT round trips)."""
    bind = db_session.bind
    if bind is None or bind.dialect.name != "postgresql":
        return False
    if db_session.in_transaction():
        await db_session.commit()
    await db_session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return True


async def _look_up(
    db_session: AsyncSession, scan: ScanIn, code: Code, index: int
) -> tuple[Row[Any], Place] | ScanResult:
    """The lookup row and the place, or the earlier answer when this device sent this scan before."""
    row = await scan_queries.lookup(
        await db_session.connection(), scan.checkpoint_id, code.serial, scan.device_id, scan.device_seq
    )
    if row is None:
        await db_session.rollback()
        error = _no_checkpoint(index)
        raise InvalidInput(error.message, field=error.field, errors=[error])
    if row.prior_id is not None:
        return await _replay_or_refuse(db_session, scan, index)
    return row, place_of(row)


async def _record_in_autocommit(
    db_session: AsyncSession, scan: ScanIn, code: Code, *, actor: str, index: int
) -> ScanResult | None:
    """An ``in`` scan on PostgreSQL in two statements: the lookup, then one write that is atomic by itself.

    None when the badge got inside between the two (nothing was written): the caller answers again in a
    transaction, which reads when and where it was first admitted."""
    found = await _look_up(db_session, scan, code, index)
    if isinstance(found, ScanResult):
        return found
    row, place = found
    decision = await decide(db_session, scan, place, code, row)
    connection = await db_session.connection()
    if decision.zone is not None and row.inside and decision.zone == place.kind:
        if row.first_at is None or row.first_at > scan.device_time:
            return None  # an older scan uploaded late moves the first admission: done in a transaction
        decision.reason, decision.first = ScanReason.ALREADY_ADMITTED, _first_from(row)
        _say_already(decision, place)
    values = _checkin_values(scan, place, decision, actor)
    if decision.reason == ScanReason.ADMITTED:
        if not await scan_queries.admit(connection, cast(str, decision.zone), values):
            return None
    else:
        await scan_queries.insert_checkin(connection, values)
    await db_session.commit()
    return _result(scan.device_id, scan.device_seq, decision.reason, values["message"], values["created_at"], decision)


async def _record_in_transaction(
    db_session: AsyncSession, scan: ScanIn, code: Code, *, actor: str, index: int
) -> ScanResult:
    # The replay check sits inside the write transaction: on SQLite no concurrent upload can slip in
    # between; on PostgreSQL one still can, and the unique constraint catches it (``record_scan``).
    await begin_write(db_session)
    found = await _look_up(db_session, scan, code, index)
    if isinstance(found, ScanResult):
        return found
    row, place = found
    decision = await decide(db_session, scan, place, code, row)
    connection = await db_session.connection()
    if decision.zone is not None:
        assert decision.badge_id is not None
        entered = await presence.enter(
            db_session, decision.badge_id, decision.zone, scan.device_time, place.checkpoint_id, scan.device_id
        )
        if not entered:
            await _already_admitted(db_session, decision, place)
    values = _checkin_values(scan, place, decision, actor)
    await scan_queries.insert_checkin(connection, values)
    await db_session.commit()
    return _result(scan.device_id, scan.device_seq, decision.reason, values["message"], values["created_at"], decision)


def _checkin_values(scan: ScanIn, place: Place, decision: Decision, actor: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": uuid4(),
        "event_id": place.event_id,
        "checkpoint_id": place.checkpoint_id,
        "badge_id": decision.badge_id,
        "registration_id": decision.registration_id,
        "session_id": decision.session.id if decision.session else None,
        "badge_version": decision.version,
        "direction": scan.direction,
        "device_id": scan.device_id,
        "device_seq": scan.device_seq,
        "device_time": scan.device_time,
        "reason": decision.reason.value,
        "message": decision.message[:300],
        "actor": actor,
        "created_at": now,
        "updated_at": now,
    }


def _first_from(row: Row[Any]) -> FirstAdmission:
    return FirstAdmission(
        at=row.first_at,
        checkpoint_id=row.first_checkpoint_id,
        checkpoint_name=row.first_checkpoint_name,
        device_id=row.first_device_id,
    )


def _result(
    device_id: str,
    device_seq: int,
    reason: str,
    message: str,
    recorded_at: dt.datetime,
    decision: Decision,
    *,
    replayed: bool = False,
) -> ScanResult:
    return ScanResult(
        device_id=device_id,
        device_seq=device_seq,
        reason=cast(Any, reason),
        level=cast(Any, LEVELS.get(ScanReason(reason), "stop")),
        message=message,
        replayed=replayed,
        recorded_at=recorded_at,
        attendee=decision.attendee,
        first_admission=decision.first,
        session_id=decision.session.id if decision.session else None,
        session_title=decision.session.title if decision.session else None,
    )


async def replay(db_session: AsyncSession, row: Checkin) -> ScanResult:
    """The answer a recorded scan got, rebuilt from what was stored."""
    decision = Decision(ScanReason(row.reason), row.message)
    if row.badge_id is not None:
        found = await scan_queries.badge_by_id(await db_session.connection(), row.badge_id)
        if found is not None:
            decision.attendee = _brief(found)
    if row.session_id is not None:
        decision.session = await db_session.get(ProgramSession, row.session_id)
    if row.reason == ScanReason.ALREADY_ADMITTED and row.badge_id is not None:
        if row.session_id is not None:
            zone = f"session:{row.session_id}"
        else:
            checkpoint = await db_session.get_one(Checkpoint, row.checkpoint_id)
            zone = _fixed_zone(checkpoint.kind, checkpoint.add_on_id)
        decision.first = await _first_admission(db_session, row.badge_id, zone)
    return _result(row.device_id, row.device_seq, row.reason, row.message, row.created_at, decision, replayed=True)


def _brief(row: Row[Any]) -> AttendeeBrief:
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
        attendee=_brief(row),
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
        zone = _fixed_zone(place.kind, place.add_on_id)
    if zone is not None:
        await presence.leave(db_session, decision.badge_id, zone, scan.device_time)
    decision.reason = ScanReason.CHECKED_OUT
    decision.message = f"Checked out: {decision.attendee.name if decision.attendee else ''}."
    return decision


def _fixed_zone(kind: str, add_on_id: UUID | None) -> str:
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
        required, zone = place.add_on_id, _fixed_zone(place.kind, place.add_on_id)
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


async def _already_admitted(db_session: AsyncSession, decision: Decision, place: Place) -> None:
    assert decision.badge_id is not None
    decision.reason = ScanReason.ALREADY_ADMITTED
    decision.first = await _first_admission(db_session, decision.badge_id, decision.zone)
    _say_already(decision, place)


def _say_already(decision: Decision, place: Place) -> None:
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
