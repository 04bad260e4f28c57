"""Recording scans: decide the answer (``badges.scan_rules``) and store it with the scan, atomically.

Exactly once, twice over: a scan is keyed by (device id, device sequence number), so a device re-uploading
its queue gets the first answer back and nothing is recorded again (``replayed``); and "admitted" is
handed out by a single conditional write on ``CheckinPresence`` (``badges.presence.ENTER``: insert-if-absent,
else ``UPDATE … SET inside = true WHERE inside = false``), so of two devices scanning one badge at the same
moment exactly one gets ``admitted`` and the other ``already_admitted``, on SQLite and PostgreSQL alike.

On PostgreSQL an ``in`` scan runs in autocommit: the lookup, then one statement that is atomic by itself
(the scan's row alone, or that same presence write and the row together), so no BEGIN and COMMIT round trips, each
on a connection lent straight from the pool (``podium.db_prebuilt.pooled``: no ORM session around them);
everything else (``out`` scans, a badge that got in between lookup and write, SQLite) runs in a transaction.
One scan is one unit of work: the caller (``badges.controllers.CheckinController``) commits after each, so a
later scan of a batch that is refused keeps what the earlier ones recorded, as the autocommit path does anyway.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from uuid import uuid4

from sqlalchemy import Row, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from badges import presence, scan_queries
from badges.models import (
    Badge,
    Checkin,
    Checkpoint,
    CheckpointKind,
    Direction,
    ScanReason,
)
from badges.scan_rules import (
    Code,
    Decision,
    Place,
    answer_already_admitted,
    brief,
    decide,
    place_of,
    read_code,
    say_already,
)
from badges.schemas import (
    CheckinBatch,
    ScanIn,
    ScanResult,
)
from podium.db import begin_autocommit, begin_write, end_reads, utcnow
from podium.db_prebuilt import pooled
from podium.errors import Conflict, FieldError, InvalidInput
from podium.i18n import N_, gettext
from sessions.models import ProgramSession

LEVELS = {ScanReason.ADMITTED: "ok", ScanReason.CHECKED_OUT: "ok", ScanReason.ALREADY_ADMITTED: "warn"}


async def check_batch(db_session: AsyncSession, batch: CheckinBatch) -> None:
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
            errors.append(FieldError(f"scans[{index}].token", N_("send either the token or the serial")))
    if errors:
        raise InvalidInput(errors[0].message, field=errors[0].field, errors=errors)


def _no_checkpoint(index: int) -> FieldError:
    return FieldError(f"scans[{index}].checkpoint_id", N_("no such checkpoint"))


async def _same_scan(db_session: AsyncSession, earlier: Checkin, scan: ScanIn, code: Code) -> bool:
    """A re-upload carries the same place, direction, moment and badge; anything else reused the sequence
    number (a reinstalled app counting from zero again, say), and replaying someone else's answer would be
    wrong. (A code that named no badge then or names none now has no badge to compare.)"""
    if not (
        earlier.checkpoint_id == scan.checkpoint_id
        and earlier.direction == scan.direction
        and abs(earlier.device_time - scan.device_time) < dt.timedelta(seconds=1)
    ):
        return False
    if earlier.badge_id is None or code.serial is None:
        return True
    return await db_session.scalar(select(Badge.serial).where(Badge.id == earlier.badge_id)) == code.serial


def _reused(scan: ScanIn, index: int) -> Conflict:
    return Conflict(
        gettext(
            "device %(device)s already sent a different scan numbered %(seq)d: number scans anew "
            "(or use a new device id after a reinstall)"
        )
        % {"device": scan.device_id, "seq": scan.device_seq},
        field=f"scans[{index}].device_seq",
        code="sequence_reused",
    )


async def _recorded(db_session: AsyncSession, scan: ScanIn) -> Checkin | None:
    return await db_session.scalar(
        select(Checkin).where(Checkin.device_id == scan.device_id, Checkin.device_seq == scan.device_seq)
    )


async def _replay_or_refuse(db_session: AsyncSession, scan: ScanIn, code: Code, index: int) -> ScanResult:
    """The answer the device's earlier scan with this number got (nothing is written)."""
    earlier = await _recorded(db_session, scan)
    same = earlier is not None and await _same_scan(db_session, earlier, scan, code)
    answer = await replay(db_session, earlier) if earlier is not None and same else None
    if earlier is None:
        raise RuntimeError("the scan was recorded and is gone again")
    if answer is None:
        raise _reused(scan, index)
    return answer


async def record_scan(db_session: AsyncSession, scan: ScanIn, *, actor: str, index: int = 0) -> ScanResult:
    """The scan's answer, recorded once; a scan recorded before gets its first answer back. The caller commits."""
    code = await read_code(db_session, scan)
    try:
        if scan.direction == Direction.IN and _on_postgresql(db_session):
            answer = await _record_in_autocommit(db_session, scan, code, actor=actor, index=index)
            if answer is not None:
                return answer
            # Back to a transaction: the badge got in meanwhile, answer with care.
        return await _record_in_transaction(db_session, scan, code, actor=actor, index=index)
    except IntegrityError:
        # The same (device, sequence) was recorded by a concurrent upload: its answer is the answer. Nothing of
        # this scan was written (a savepoint, or the autocommit path's one statement), so the session reads on.
        earlier = await _recorded(db_session, scan)
        if earlier is None:
            raise
        if not await _same_scan(db_session, earlier, scan, code):
            raise _reused(scan, index) from None
        return await replay(db_session, earlier)


def _on_postgresql(db_session: AsyncSession) -> bool:
    return db_session.bind is not None and db_session.bind.dialect.name == "postgresql"


async def _look_up(
    db_session: AsyncSession, scan: ScanIn, code: Code, index: int
) -> tuple[Row[Any], Place] | ScanResult:
    """The lookup row and the place, or the earlier answer when this device sent this scan before."""
    row = await scan_queries.lookup(
        await db_session.connection(), scan.checkpoint_id, code.serial, scan.device_id, scan.device_seq
    )
    found = await _place_or_earlier(db_session, row, scan, code, index)
    return found if isinstance(found, ScanResult) else (row, found)


async def _place_or_earlier(
    db_session: AsyncSession, row: Any, scan: ScanIn, code: Code, index: int
) -> Place | ScanResult:
    """What the lookup row says first, on both paths: no such checkpoint (a 422), this device's earlier
    answer for this number, or the place to decide at."""
    if row is None:
        error = _no_checkpoint(index)
        raise InvalidInput(error.message, field=error.field, errors=[error])
    if row.prior_id is not None:
        return await _replay_or_refuse(db_session, scan, code, index)
    return place_of(row)


async def _look_up_and_decide(
    db_session: AsyncSession, scan: ScanIn, code: Code, index: int
) -> tuple[Row[Any], Place, Decision] | ScanResult:
    """The transaction path's start: the lookup and the answer its rules give (or an earlier answer)."""
    found = await _look_up(db_session, scan, code, index)
    if isinstance(found, ScanResult):
        return found
    row, place = found
    return row, place, await decide(db_session, scan, place, code, row)


async def _record_in_autocommit(
    db_session: AsyncSession, scan: ScanIn, code: Code, *, actor: str, index: int
) -> ScanResult | None:
    """An ``in`` scan on PostgreSQL in two statements: the lookup, then one write that is atomic by itself.

    None when the badge got inside between the two, or when an older scan uploaded late moves the first
    admission (nothing was written): the caller answers again in a transaction, where ``badges.presence``
    orders it by device time."""
    # Hand the session's connection back before taking a pooled one: a request never holds two, so a full pool
    # can't leave every request waiting for a second connection (the token's key, read through the session on
    # a worker's first scan).
    await end_reads(db_session)
    engine = cast(AsyncEngine, db_session.bind)
    async with pooled(engine) as connection:
        row = await scan_queries.lookup(connection, scan.checkpoint_id, code.serial, scan.device_id, scan.device_seq)
    place = await _place_or_earlier(db_session, row, scan, code, index)
    if isinstance(place, ScanResult):
        return place
    if place.kind in (CheckpointKind.ROOM, CheckpointKind.SESSION):
        await begin_autocommit(db_session)  # deciding reads the program: no BEGIN and COMMIT around those reads
    decision = await decide(db_session, scan, place, code, row)
    await end_reads(db_session)
    if decision.zone == presence.ENTRANCE == place.kind:  # the lookup read the badge's presence at the entrance
        inside = presence.inside_already(row.inside, row.first_at, scan.device_time)
        if inside is None:
            return None  # an older scan uploaded late moves the first admission: done in a transaction
        if inside:
            decision.reason = ScanReason.ALREADY_ADMITTED
            decision.first = presence.first_from(row, row.first_checkpoint_name)
            say_already(decision, place)
    values = _checkin_values(scan, place, decision, actor)
    async with pooled(engine) as connection:
        if decision.reason == ScanReason.ADMITTED:
            if not await scan_queries.admit(connection, cast(str, decision.zone), values):
                return None
        else:
            await scan_queries.insert_checkin(connection, values)
    return _result(scan.device_id, scan.device_seq, decision.reason, values["message"], values["created_at"], decision)


async def _record_in_transaction(
    db_session: AsyncSession, scan: ScanIn, code: Code, *, actor: str, index: int
) -> ScanResult:
    # The replay check sits inside the write transaction: on SQLite no concurrent upload can slip in
    # between; on PostgreSQL one still can, and the unique constraint catches it (``record_scan``).
    await begin_write(db_session)
    found = await _look_up_and_decide(db_session, scan, code, index)
    if isinstance(found, ScanResult):
        return found
    _, place, decision = found
    # A savepoint: should a concurrent upload of this scan win on PostgreSQL (the unique device and sequence),
    # the presence change is undone with the row, and ``record_scan`` answers with the upload that won.
    async with db_session.begin_nested():
        if decision.zone is not None:
            assert decision.badge_id is not None
            entered = await presence.enter(
                db_session, decision.badge_id, decision.zone, scan.device_time, place.checkpoint_id, scan.device_id
            )
            if not entered:
                await answer_already_admitted(db_session, decision, place)
        values = _checkin_values(scan, place, decision, actor)
        await scan_queries.insert_checkin(await db_session.connection(), values)
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
            decision.attendee = brief(found)
    if row.session_id is not None:
        decision.session = await db_session.get(ProgramSession, row.session_id)
    if row.reason == ScanReason.ALREADY_ADMITTED and row.badge_id is not None:
        if row.session_id is not None:
            zone = presence.session_zone(row.session_id)
        else:
            checkpoint = await db_session.get_one(Checkpoint, row.checkpoint_id)
            zone = presence.fixed_zone(checkpoint.kind, checkpoint.add_on_id)
        decision.first = await presence.first_admission(db_session, row.badge_id, zone)
    return _result(row.device_id, row.device_seq, row.reason, row.message, row.created_at, decision, replayed=True)
