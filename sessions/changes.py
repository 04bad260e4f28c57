"""What a change to a session means for the people who follow it, recorded in the writer's transaction.

What counts as a change an attendee notices (and so bumps ``sequence``, the iCalendar SEQUENCE): the time,
the room, the status and the title, the RFC 5546 "significant" properties of an event. Every other change an
attendee can see (abstract, track, people, type, capacity, add-on, credit hours) moves ``changed_at`` (the
feed's LAST-MODIFIED) without a new SEQUENCE: calendars refresh the text, nobody is told "rescheduled" over a
typo. Every writer (the API, the pages, the CSV import) goes through ``record_session_change``, which also
queues the mail to agenda holders when SEQUENCE goes up (``sessions.change_mail``), in the same transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from podium import audit
from podium.db import utcnow
from sessions.change_mail import mail_agenda_holders
from sessions.models import ProgramSession, SessionStatus

# Changes that bump SEQUENCE (and should reach attendees as "your session changed").
NOTICEABLE_FIELDS = frozenset({"title", "starts_at", "ends_at", "room_id", "status"})
SESSION_ENTITY = "program_session"


# --- snapshots and the change record -------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionSnapshot:
    """The attendee-visible state of a session, compared before and after a write."""

    title: str
    kind: str
    abstract: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    room_id: UUID | None
    track_id: UUID | None
    capacity: int | None
    required_add_on_id: UUID | None
    credit_hours: Decimal
    status: str
    people: tuple[tuple[UUID, str], ...]
    # The title in other languages: audited, and LAST-MODIFIED moves, but no SEQUENCE (calendars show the base).
    translations: dict[str, dict[str, str]]


def snapshot(session: ProgramSession, people: Sequence[tuple[UUID, str]] | None = None) -> SessionSnapshot:
    if people is None:
        people = [(p.speaker_id, p.role) for p in session.people]
    return SessionSnapshot(
        title=session.title,
        kind=session.kind,
        abstract=session.abstract,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        room_id=session.room_id,
        track_id=session.track_id,
        capacity=session.capacity,
        required_add_on_id=session.required_add_on_id,
        credit_hours=Decimal(session.credit_hours).quantize(Decimal("0.01")),
        status=session.status,
        people=tuple(people),
        translations=dict(session.translations or {}),
    )


def session_changed_fields(before: SessionSnapshot | None, after: SessionSnapshot) -> frozenset[str]:
    """The attendee-visible fields that differ (every field for a new session)."""
    names = [f for f in SessionSnapshot.__dataclass_fields__]
    if before is None:
        return frozenset(names)
    return frozenset(n for n in names if getattr(before, n) != getattr(after, n))


def audit_state(value: SessionSnapshot) -> dict[str, Any]:
    """A snapshot as the audit trail stores it: people as ``[speaker id, role]`` pairs."""
    state = dataclasses.asdict(value)
    state["people"] = [[str(speaker), role] for speaker, role in value.people]
    return state


async def record_session_change(
    db_session: AsyncSession,
    session: ProgramSession,
    changed: frozenset[str],
    *,
    actor: str,
    previous_status: str | None,
    before: SessionSnapshot | None = None,
    after: SessionSnapshot | None = None,
) -> None:
    """Apply the consequences of a change inside the caller's transaction: SEQUENCE for noticeable changes
    (and a mail to each agenda holder), LAST-MODIFIED for any visible one, an audit entry."""
    if not changed:
        return
    now = utcnow()
    # A draft's edits and its first publication keep SEQUENCE 0: nobody had a copy to replace yet.
    noticed = bool(changed & NOTICEABLE_FIELDS) and previous_status in (
        SessionStatus.PUBLISHED,
        SessionStatus.CANCELLED,
    )
    if noticed:
        session.sequence = (session.sequence or 0) + 1
    session.changed_at = now
    session.updated_at = now
    _audit_change(
        db_session, session, changed, actor=actor, previous_status=previous_status, before=before, after=after
    )
    if noticed:
        await mail_agenda_holders(db_session, session.id)


def _audit_change(
    db_session: AsyncSession,
    session: ProgramSession,
    changed: frozenset[str],
    *,
    actor: str,
    previous_status: str | None,
    before: SessionSnapshot | None,
    after: SessionSnapshot | None,
) -> None:
    """A new session's every field; a status change with the fields that moved with it; or the fields' before →
    after when the caller passes both snapshots."""
    if previous_status is None:
        created = audit.diff({}, audit_state(after or snapshot(session)))
        created.pop("status", None)
        audit.record(
            db_session,
            SESSION_ENTITY,
            session.id,
            None,
            session.status,
            actor,
            event_id=session.event_id,
            changes=created,
            action="created",
        )
        return
    fields = audit.diff(audit_state(before), audit_state(after)) if before and after else {}
    fields.pop("status", None)
    if previous_status != session.status:
        note = ", ".join(sorted(changed & NOTICEABLE_FIELDS - {"status"}))
        audit.record(
            db_session,
            SESSION_ENTITY,
            session.id,
            previous_status,
            session.status,
            actor,
            note,
            event_id=session.event_id,
            changes=fields,
        )
    elif fields:
        audit.record(
            db_session,
            SESSION_ENTITY,
            session.id,
            session.status,
            session.status,
            actor,
            event_id=session.event_id,
            changes=fields,
            action="updated",
        )
