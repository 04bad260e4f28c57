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

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from badges import keys, presence, rules, tokens
from badges.models import CheckpointKind, ScanReason
from badges.schemas import AttendeeBrief, CheckinSettingsIO, FirstAdmission, ScanIn
from badges.services import admission_status
from events.models import Event
from podium.formatting import format_day
from podium.i18n import N_, current_locale, gettext
from podium.translated import localized
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


# Status words an answer names, translated like the rest of it.
_STATUS_WORDS = {
    RegistrationStatus.CANCELLED.value: N_("cancelled"),
    RegistrationStatus.EXPIRED.value: N_("expired"),
    SessionStatus.DRAFT.value: N_("draft"),
    SessionStatus.CANCELLED.value: N_("cancelled"),
}


def _status(value: str) -> str:
    return gettext(_STATUS_WORDS[value]) if value in _STATUS_WORDS else value


def _local_day(moment: dt.datetime, zone: ZoneInfo) -> str:
    """The checkpoint's clock, the day named in the staff member's language (answers are worded in theirs)."""
    local = moment.astimezone(zone)
    return f"{format_day(local.date(), short=True)} {local:%H:%M}"


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


def brief(row: Row[Any]) -> AttendeeBrief:
    return AttendeeBrief(
        name=f"{row.first_name} {row.last_name}",
        affiliation=row.affiliation,
        category=localized(row.category, row.category_translations, "name", current_locale()),
        serial=row.serial,
    )


async def read_code(db_session: AsyncSession, scan: ScanIn) -> Code:
    """Parse and verify the token (or read the typed serial) before any transaction starts."""
    if scan.token is None:
        try:
            return Code(tokens.serial_to_text(tokens.serial_from_text(scan.serial or "")))
        except ValueError:
            return Code(None, refused=Decision(ScanReason.INVALID, gettext("No badge has this number.")))
    try:
        claims, signed, signature = tokens.parse(scan.token)
    except tokens.TokenError:
        return Code(None, refused=Decision(ScanReason.INVALID, gettext("Not a badge code: unreadable or altered.")))
    key = await keys.key_for_kid(db_session, claims.kid)
    if key is None or not tokens.verify_signature(key.public_key, signed, signature):
        return Code(
            None, refused=Decision(ScanReason.INVALID, gettext("Not a genuine badge: the signature does not match."))
        )
    return Code(claims.serial_text, claims.version, key)


async def decide(db_session: AsyncSession, scan: ScanIn, place: Place, code: Code, row: Row[Any]) -> Decision:
    """The answer to one scan by the rules of ``badges.rules``, with the presence change an ``out`` scan implies
    already made (in the caller's transaction); an ``in`` scan that passes every rule carries its zone instead.

    Facts that cost a query (the door's session, the registration's add-ons) are read only when a rule asks."""
    facts = _facts(scan, place, code, row)
    slot: ProgramSession | None = None
    while True:
        try:
            reason: str | None = rules.first_reason(facts)
            break
        except rules.MissingFact as missing:
            if missing.name == "inside":  # every other rule passed: the presence write answers this one
                reason = None
                break
            if missing.name == "slot_found":
                slot = await _slot(db_session, place, facts)
                facts["slot_found"] = slot is not None
                facts["slot_add_on"] = _id(slot.required_add_on_id) if slot else None
            elif missing.name == "add_ons":
                facts["add_ons"] = await _add_ons(db_session, row.registration_id)
            else:
                raise
    return await _answer(db_session, scan, place, code, row, reason, slot, facts)


def _id(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def _facts(scan: ScanIn, place: Place, code: Code, row: Row[Any]) -> dict[str, Any]:
    """What the lookup already read, as the rules name it (``badges.rules``)."""
    facts: dict[str, Any] = {
        "code_valid": code.refused is None,
        "other_event": code.key is not None and code.key.event_id != place.event_id,
        "badge_known": row.badge_id is not None,
        "version": code.version,
        "current_version": row.version,
        "status": admission_status(row.registration_status, row.order_status) if row.badge_id else None,
        "direction": str(scan.direction),
        "kind": str(place.kind),
        "checkpoint_active": place.is_active,
        "moment": rules.ms(scan.device_time),
        "opens_at": None if place.opens_at is None else rules.ms(place.opens_at),
        "closes_at": None if place.closes_at is None else rules.ms(place.closes_at),
        "checkpoint_add_on": _id(place.add_on_id),
        "doors_open": place.doors_open // rules.MS,
    }
    if place.kind == CheckpointKind.ADD_ON and place.add_on_id is not None:
        # The lookup read whether the registration holds the desk's add-on, the one add-on a desk asks about.
        facts["add_ons"] = [str(place.add_on_id)] if row.has_add_on else []
    return facts


_SLOT_COLUMNS = {"slot.starts_at": ProgramSession.starts_at, "slot.ends_at": ProgramSession.ends_at}


async def _slot(db_session: AsyncSession, place: Place, facts: dict[str, Any]) -> ProgramSession | None:
    """The session a room or session door scan belongs to, by ``rules.SLOT_OPEN``: for a room, compiled into
    the query (latest start first); for a session checkpoint, its one session if published."""
    if place.kind == CheckpointKind.ROOM and place.room_id is not None:
        return await db_session.scalar(
            select(ProgramSession)
            .where(
                ProgramSession.room_id == place.room_id,
                ProgramSession.status == SessionStatus.PUBLISHED,
                rules.to_sql(rules.SLOT_OPEN, _SLOT_COLUMNS, facts),
            )
            .order_by(ProgramSession.starts_at.desc(), ProgramSession.id.desc())
            .limit(1)
        )
    if place.kind == CheckpointKind.SESSION and place.session_id is not None:
        session = await db_session.get(ProgramSession, place.session_id)
        if session is None or session.status != SessionStatus.PUBLISHED:
            return None
        slot_facts = {**facts, "slot.starts_at": rules.ms(session.starts_at), "slot.ends_at": rules.ms(session.ends_at)}
        return session if rules.evaluate(rules.SLOT_OPEN, slot_facts) else None
    return None


async def _add_ons(db_session: AsyncSession, registration_id: UUID) -> list[str]:
    return [
        str(a)
        for a in await db_session.scalars(
            select(RegistrationAddOn.add_on_id).where(RegistrationAddOn.registration_id == registration_id)
        )
    ]


async def _answer(
    db_session: AsyncSession,
    scan: ScanIn,
    place: Place,
    code: Code,
    row: Row[Any],
    reason: str | None,
    slot: ProgramSession | None,
    facts: dict[str, Any],
) -> Decision:
    """The decision for the reason the rules gave, worded for staff (``None``: admitted, pending the write)."""
    if code.refused is not None:
        return code.refused
    if reason == ScanReason.WRONG_EVENT:
        assert code.key is not None
        other = await db_session.scalar(select(Event.name).where(Event.id == code.key.event_id))
        if other is None:  # a key remembered from an event deleted since
            return Decision(ScanReason.INVALID, gettext("Not a badge of any current event."))
        return Decision(
            ScanReason.WRONG_EVENT, gettext("This badge is for another event (%(event)s).") % {"event": other}
        )
    if row.badge_id is None:
        return Decision(ScanReason.INVALID, gettext("Unknown badge."))
    decision = Decision(
        ScanReason.INVALID,
        "",
        badge_id=row.badge_id,
        registration_id=row.registration_id,
        version=code.version or row.version,
        attendee=brief(row),
    )
    name = decision.attendee.name if decision.attendee else ""
    refusal = _badge_refusal(reason, row, code.version, name)
    if refusal is not None:
        decision.reason, decision.message = refusal
        return decision
    if reason == ScanReason.CHECKED_OUT:
        return await _check_out(db_session, scan, place, decision)
    if place.kind == CheckpointKind.SESSION and place.session_id is not None:
        decision.session = slot or await db_session.get(ProgramSession, place.session_id)
    else:
        decision.session = slot
    if reason == ScanReason.OUTSIDE_WINDOW:
        decision.reason = ScanReason.OUTSIDE_WINDOW
        decision.message = await _outside_message(db_session, scan, place, decision.session)
    elif reason == ScanReason.NO_ACCESS:
        required = facts["slot_add_on"] if slot is not None else facts["checkpoint_add_on"]
        add_on = await db_session.scalar(select(AddOn.name).where(AddOn.id == UUID(required)))
        decision.reason = ScanReason.NO_ACCESS
        decision.message = gettext("%(name)s has no ticket for %(add_on)s.") % {"name": name, "add_on": add_on}
    else:
        decision.reason = ScanReason.ADMITTED
        fixed = presence.fixed_zone(place.kind, place.add_on_id)
        decision.zone = presence.session_zone(slot.id) if slot is not None else fixed
        decision.message = (
            gettext("Admitted to “%(session)s”: %(name)s.") % {"session": slot.title, "name": name}
            if slot is not None
            else gettext("Admitted: %(name)s.") % {"name": name}
        )
    return decision


def _badge_refusal(reason: str | None, row: Row[Any], version: int | None, name: str) -> tuple[ScanReason, str] | None:
    """Refusals that are about the badge or its registration, whatever the checkpoint: worded for staff."""
    if reason == ScanReason.INVALID:
        return ScanReason.INVALID, gettext("This badge version was never issued.")
    if reason == ScanReason.REVOKED:
        replaced = gettext("Badge replaced: %(name)s has a newer badge (this is print %(version)s of %(latest)s).")
        return ScanReason.REVOKED, replaced % {"name": name, "version": version, "latest": row.version}
    if reason == ScanReason.CANCELLED:
        cancelled = gettext("Registration of %(name)s is %(status)s.")
        return ScanReason.CANCELLED, cancelled % {"name": name, "status": _status(row.registration_status)}
    if reason == ScanReason.NOT_PAID:
        if row.registration_status == RegistrationStatus.AWAITING_VERIFICATION:
            return ScanReason.NOT_PAID, gettext("%(name)s: registration awaiting verification.") % {"name": name}
        return ScanReason.NOT_PAID, gettext("%(name)s: registration not paid.") % {"name": name}
    return None


async def _outside_message(db_session: AsyncSession, scan: ScanIn, place: Place, session: ProgramSession | None) -> str:
    """Why the checkpoint admits nobody now: closed, no session on, or outside its hours."""
    moment, local = scan.device_time, place.zone
    if not place.is_active:
        return gettext("%(checkpoint)s is closed: the organizers deactivated this checkpoint.") % {
            "checkpoint": place.name
        }
    if place.kind == CheckpointKind.ROOM:
        return await _no_session_message(db_session, place, moment)
    if place.kind == CheckpointKind.SESSION and session is not None:
        if session.status != SessionStatus.PUBLISHED:
            return gettext("“%(session)s” is %(status)s.") % {
                "session": session.title,
                "status": _status(session.status),
            }
        if moment < session.starts_at:
            when = _local_day(session.starts_at - place.doors_open, local)
            return gettext("Doors for “%(session)s” open %(when)s.") % {"session": session.title, "when": when}
        when = _local_day(session.ends_at, local)
        return gettext("“%(session)s” ended at %(when)s.") % {"session": session.title, "when": when}
    if place.opens_at is not None and moment < place.opens_at:
        when = _local_day(place.opens_at, local)
        return gettext("%(checkpoint)s opens %(when)s.") % {"checkpoint": place.name, "when": when}
    if place.closes_at is not None:
        when = _local_day(place.closes_at, local)
        return gettext("%(checkpoint)s closed %(when)s.") % {"checkpoint": place.name, "when": when}
    return gettext("%(checkpoint)s admits nobody now.") % {"checkpoint": place.name}


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
        zone = presence.session_zone(decision.session.id) if decision.session else None
    elif place.kind == CheckpointKind.SESSION and place.session_id is not None:
        decision.session = await db_session.get(ProgramSession, place.session_id)
        zone = presence.session_zone(place.session_id)
    else:
        zone = presence.fixed_zone(place.kind, place.add_on_id)
    if zone is not None:
        await presence.leave(db_session, decision.badge_id, zone, scan.device_time)
    decision.reason = ScanReason.CHECKED_OUT
    decision.message = gettext("Checked out: %(name)s.") % {"name": decision.attendee.name if decision.attendee else ""}
    return decision


async def answer_already_admitted(db_session: AsyncSession, decision: Decision, place: Place) -> None:
    assert decision.badge_id is not None
    decision.reason = ScanReason.ALREADY_ADMITTED
    decision.first = await presence.first_admission(db_session, decision.badge_id, decision.zone)
    say_already(decision, place)


def say_already(decision: Decision, place: Place) -> None:
    first = decision.first
    decision.message = (
        gettext("Already admitted at %(when)s (%(checkpoint)s).")
        % {"when": _local_day(first.at, place.zone), "checkpoint": first.checkpoint_name}
        if first
        else gettext("Already admitted.")
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
        return gettext("No more sessions in %(room)s.") % {"room": room}
    opens = _local_day(upcoming.starts_at - place.doors_open, place.zone)
    return gettext("No session in %(room)s now; doors open %(when)s for “%(session)s”.") % {
        "room": room,
        "when": opens,
        "session": upcoming.title,
    }
