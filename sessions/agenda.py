"""Personal agendas: an attendee's picks, seat reservations for limited sessions, and the private feed.

A pick reserves a seat when the session has a capacity (its own or its room's) or needs an add-on. The seat
is taken by one conditional UPDATE (``seats_taken + 1 <= seat_limit``, on the session's own row: see
``sessions.capacity``) in the same transaction that inserts
the agenda item, so seats are exact under any concurrency; removing the pick gives it back. The attendee's
registration row is locked first, so a cancellation running at the same moment either sees the new pick
(and frees it, see ``sessions.hooks``) or makes the pick fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import begin_write
from podium.errors import Conflict, NotFound
from podium.i18n import N_, gettext
from podium.rows import rows_changed
from registration.models import Registration, RegistrationAddOn, RegistrationStatus
from registration.status_words import status_word
from sessions.models import AgendaFeed, AgendaItem, ProgramSession, SessionStatus
from sessions.queries import with_people

# Who may keep an agenda: paid attendees, and those whose verification is pending (their seat is held).
AGENDA_STATUSES = (RegistrationStatus.CONFIRMED.value, RegistrationStatus.AWAITING_VERIFICATION.value)


@dataclass
class AgendaEntry:
    session: ProgramSession
    reserved: bool
    overlaps: list[UUID] = field(default_factory=list)


def mark_overlaps(entries: Sequence[AgendaEntry]) -> None:
    """Flag picks whose times overlap (touching ones don't; a cancelled session no longer takes time)."""
    live = sorted(
        (e for e in entries if e.session.status != SessionStatus.CANCELLED),
        key=lambda e: (e.session.starts_at, e.session.ends_at),
    )
    for index, entry in enumerate(live):
        for other in live[index + 1 :]:
            if other.session.starts_at >= entry.session.ends_at:
                break
            entry.overlaps.append(other.session.id)
            other.overlaps.append(entry.session.id)


async def agenda_of(db_session: AsyncSession, registration_id: UUID) -> list[AgendaEntry]:
    rows = (
        await db_session.execute(
            with_people(
                select(ProgramSession, AgendaItem.reserved)
                .join(AgendaItem, AgendaItem.session_id == ProgramSession.id)
                .where(AgendaItem.registration_id == registration_id)
                .order_by(ProgramSession.starts_at, ProgramSession.title)
            )
        )
    ).all()
    entries = [AgendaEntry(session=session, reserved=reserved) for session, reserved in rows]
    mark_overlaps(entries)
    return entries


async def _locked_registration(db_session: AsyncSession, registration_id: UUID) -> Registration:
    registration = await db_session.get(Registration, registration_id, with_for_update=True, populate_existing=True)
    if registration is None:
        raise NotFound(N_("no such registration"), field="registration_id")
    if registration.status not in AGENDA_STATUSES:
        raise Conflict(
            gettext("a %(status)s registration has no agenda") % {"status": status_word(registration.status)},
            field="registration_id",
            code="registration_not_active",
        )
    return registration


async def add_session(db_session: AsyncSession, registration_id: UUID, session_id: UUID) -> bool:
    """Put a session in the agenda, reserving a seat where seats are limited. Adding it twice is one pick.
    Returns whether a seat is reserved for it."""
    await begin_write(db_session)
    registration = await _locked_registration(db_session, registration_id)
    session = await db_session.get(ProgramSession, session_id, populate_existing=True)
    if session is None or session.event_id != registration.event_id or session.status == SessionStatus.DRAFT:
        raise NotFound(N_("no such session at this event"), field="session_id")
    existing = await db_session.scalar(
        select(AgendaItem.reserved).where(
            AgendaItem.registration_id == registration_id, AgendaItem.session_id == session_id
        )
    )
    if existing is not None:
        return existing
    if session.status == SessionStatus.CANCELLED:
        raise Conflict(N_("this session is cancelled"), field="session_id", code="session_cancelled")
    if session.required_add_on_id is not None:
        bought = await db_session.scalar(
            select(RegistrationAddOn.add_on_id).where(
                RegistrationAddOn.registration_id == registration_id,
                RegistrationAddOn.add_on_id == session.required_add_on_id,
            )
        )
        if bought is None:
            raise Conflict(
                N_("this session is only for attendees who booked its add-on"),
                field="session_id",
                code="add_on_required",
            )
    limited = await db_session.scalar(
        select(ProgramSession.seat_limit.is_not(None)).where(ProgramSession.id == session_id)
    )
    reserve = bool(limited) or session.required_add_on_id is not None
    try:
        # A savepoint: should the same pick from a concurrent request have won after all (the unique rule), only
        # this seat and row are undone, and the transaction, the caller's to commit, goes on to read the pick.
        async with db_session.begin_nested():
            if reserve:
                await _take_seat(db_session, session_id)
            db_session.add(AgendaItem(registration_id=registration_id, session_id=session_id, reserved=reserve))
    except IntegrityError:
        # The agenda already holds the pick (and its seat, once).
        return bool(
            await db_session.scalar(
                select(AgendaItem.reserved).where(
                    AgendaItem.registration_id == registration_id, AgendaItem.session_id == session_id
                )
            )
        )
    return reserve


async def _take_seat(db_session: AsyncSession, session_id: UUID) -> None:
    limit = ProgramSession.seat_limit
    take = (
        update(ProgramSession)
        .where(
            ProgramSession.id == session_id,
            ProgramSession.status == SessionStatus.PUBLISHED,
            limit.is_(None) | (ProgramSession.seats_taken + 1 <= limit),
        )
        .values(seats_taken=ProgramSession.seats_taken + 1)
    )
    if await rows_changed(db_session, take) != 1:
        raise Conflict(N_("this session is full"), field="session_id", code="session_full")


async def remove_session(db_session: AsyncSession, registration_id: UUID, session_id: UUID) -> None:
    """Take a session out of the agenda and give its seat back; removing what isn't there is a no-op."""
    await begin_write(db_session)
    await _locked_registration(db_session, registration_id)
    removed = await db_session.execute(
        delete(AgendaItem)
        .where(AgendaItem.registration_id == registration_id, AgendaItem.session_id == session_id)
        .returning(AgendaItem.reserved)
    )
    if removed.scalar_one_or_none():
        await db_session.execute(
            update(ProgramSession)
            .where(ProgramSession.id == session_id)
            .values(seats_taken=ProgramSession.seats_taken - 1)
        )


async def feed_of(db_session: AsyncSession, registration: Registration) -> AgendaFeed:
    """The registration's feed row, made on first use (two first uses at once keep one). The caller commits: the
    row is kept whatever else the request does (a read's owner commits it too)."""
    registration_id = registration.id
    feed = await db_session.scalar(select(AgendaFeed).where(AgendaFeed.registration_id == registration_id))
    if feed is not None:
        return feed
    await begin_write(db_session)
    try:
        # A savepoint, so losing the race to the other first use undoes only this row.
        async with db_session.begin_nested():
            db_session.add(AgendaFeed(registration_id=registration_id, version=1))
    except IntegrityError:
        pass  # the other first use made it
    feed = await db_session.scalar(select(AgendaFeed).where(AgendaFeed.registration_id == registration_id))
    assert feed is not None
    return feed


async def revoke_feed(db_session: AsyncSession, registration: Registration) -> AgendaFeed:
    """A new feed URL; every copy of the old one answers 404 from now on."""
    feed = await feed_of(db_session, registration)
    await begin_write(db_session)
    await db_session.execute(update(AgendaFeed).where(AgendaFeed.id == feed.id).values(version=AgendaFeed.version + 1))
    refreshed = await db_session.get(AgendaFeed, feed.id, populate_existing=True)
    assert refreshed is not None
    return refreshed
