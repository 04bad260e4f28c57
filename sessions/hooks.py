"""What the program does when registration data changes, without registration knowing about the program.

Imports run one way (registration never imports sessions), so these are SQLAlchemy flush hooks: whichever
code path cancels or expires a registration (self-cancellation, an expired hold, a rejected verification,
an organizer), its reserved session seats are given back in the same transaction; whenever a session
someone has in their agenda changes noticeably (its SEQUENCE goes up), each of them gets one mail.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import delete, event, func, inspect, select, update
from sqlalchemy.orm import Session

from events.models import Event, Room
from podium.jobs import kick_after_commit
from podium.mail import MailTemplate, register
from podium.outbox import SEND_MAIL_JOB, enqueue_statement
from registration.mail import event_context
from registration.mail_templates import SAMPLE_EVENT
from registration.models import ACTIVE_REGISTRATION_STATUSES, Registration
from sessions.models import AgendaItem, ProgramSession, SessionStatus

_ENDED_KEY = "podium.sessions.ended_registrations"
_CHANGED_KEY = "podium.sessions.changed_sessions"
_ENDED = {"cancelled", "expired"}


def _status_ended(target: Registration) -> bool:
    history = inspect(target).attrs.status.history
    return next(iter(history.added), None) in _ENDED and next(iter(history.deleted), None) not in _ENDED


def _noticed_change(target: ProgramSession) -> bool:
    history = inspect(target).attrs.sequence.history
    added, deleted = list(history.added), list(history.deleted)  # typed as an empty tuple when nothing changed
    return bool(added and deleted) and added[0] > (deleted[0] or 0)


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _context: Any, _instances: Any) -> None:
    for target in session.dirty:
        if isinstance(target, Registration) and _status_ended(target):
            session.info.setdefault(_ENDED_KEY, set()).add(target.id)
        elif isinstance(target, ProgramSession) and _noticed_change(target):
            session.info.setdefault(_CHANGED_KEY, set()).add(target.id)


@event.listens_for(Session, "after_flush_postexec")
def _apply(session: Session, _context: Any) -> None:
    ended: set[UUID] = session.info.pop(_ENDED_KEY, set())
    changed: set[UUID] = session.info.pop(_CHANGED_KEY, set())
    if ended:
        release_seats(session, ended)
    if changed:
        notify_agenda_holders(session, changed)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(_ENDED_KEY, None)
    session.info.pop(_CHANGED_KEY, None)


def release_seats(session: Session, registration_ids: set[UUID]) -> None:
    """Give back every seat these registrations reserved and clear their agendas."""
    connection = session.connection()
    mine = (AgendaItem.registration_id.in_(registration_ids)) & AgendaItem.reserved.is_(True)
    held_here = (
        select(func.count())
        .where(mine, AgendaItem.session_id == ProgramSession.id)
        .correlate(ProgramSession)
        .scalar_subquery()
    )
    connection.execute(
        update(ProgramSession)
        .where(ProgramSession.id.in_(select(AgendaItem.session_id).where(mine)))
        .values(seats_taken=ProgramSession.seats_taken - held_here)
    )
    connection.execute(delete(AgendaItem).where(AgendaItem.registration_id.in_(registration_ids)))


def notify_agenda_holders(session: Session, session_ids: set[UUID]) -> None:
    """One mail per change per attendee who has the session in their agenda (keyed by SEQUENCE, so a
    repeated flush or a retried request never mails twice)."""
    connection = session.connection()
    dialect = connection.dialect.name
    rows = connection.execute(
        select(
            ProgramSession.id,
            ProgramSession.title,
            ProgramSession.status,
            ProgramSession.starts_at,
            ProgramSession.ends_at,
            ProgramSession.sequence,
            Room.name,
            ProgramSession.event_id,
            Registration.id,
            Registration.secret_version,
            Registration.email,
            Registration.first_name,
        )
        .join(AgendaItem, AgendaItem.session_id == ProgramSession.id)
        .join(Registration, Registration.id == AgendaItem.registration_id)
        .outerjoin(Room, Room.id == ProgramSession.room_id)
        .where(ProgramSession.id.in_(session_ids), Registration.status.in_(ACTIVE_REGISTRATION_STATUSES))
    ).all()
    event_ids = {row[7] for row in rows}
    events = {e.id: event_context(e) for e in session.scalars(select(Event).where(Event.id.in_(event_ids)))}
    for row in rows:
        session_id, title, status, starts, ends, sequence, room, event_id, reg_id, version, email, first = row
        connection.execute(
            enqueue_statement(
                dialect,
                dedupe_key=f"session-change:{session_id}:{sequence}:{reg_id}",
                to=email,
                template="session_changed",
                context={
                    "event": events[event_id],
                    "name": first,
                    "title": title,
                    "cancelled": status == SessionStatus.CANCELLED,
                    "starts_at": starts,
                    "ends_at": ends,
                    "room": room,
                    "registration_link": f"{{registration_link:{reg_id}:{version}}}",
                },
            )
        )
    if rows:
        kick_after_commit(session, SEND_MAIL_JOB)


register(
    MailTemplate(
        "session_changed",
        "A session in the person's agenda moved or was cancelled",
        {
            "event": SAMPLE_EVENT,
            "name": "Ada",
            "title": "Opening plenary",
            "cancelled": False,
            "starts_at": "2027-06-07T13:00:00Z",
            "ends_at": "2027-06-07T14:30:00Z",
            "room": "Hall A",
            "registration_link": "{registration_link:00000000-0000-4000-8000-000000000002:1}",
        },
    )
)
