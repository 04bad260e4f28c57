"""The mail an attendee gets when a session in their agenda moves or is cancelled, queued with the change.

``record_session_change`` calls this when a session's SEQUENCE goes up, in the writer's transaction (the
outbox): the mail goes out if and only if the change is committed.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event, Room
from podium.i18n import N_
from podium.mail import MailTemplate
from podium.outbox import Mail, enqueue_all
from registration.mail.services import event_context
from registration.mail.templates import SAMPLE_EVENT
from registration.models import ACTIVE_REGISTRATION_STATUSES, Registration
from sessions.models import AgendaItem, ProgramSession, SessionStatus

SESSION_CHANGED = MailTemplate(
    "session_changed",
    N_("A session in the person's agenda moved or was cancelled"),
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
# Installed with every domain's templates by the composition root (``podium.main``), for the organizers' preview.
MAIL_TEMPLATES: tuple[MailTemplate, ...] = (SESSION_CHANGED,)


async def mail_agenda_holders(db_session: AsyncSession, session_id: UUID) -> None:
    """One mail per change per attendee who has the session in their agenda (keyed by SEQUENCE, so a retried
    request never mails twice). Flushes first: the mail says what the session is now."""
    await db_session.flush()
    rows = (
        await db_session.execute(
            select(
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
                Registration.locale,
                Registration.time_zone,
            )
            .join(AgendaItem, AgendaItem.session_id == ProgramSession.id)
            .join(Registration, Registration.id == AgendaItem.registration_id)
            .outerjoin(Room, Room.id == ProgramSession.room_id)
            .where(ProgramSession.id == session_id, Registration.status.in_(ACTIVE_REGISTRATION_STATUSES))
        )
    ).all()
    if not rows:
        return
    event = await db_session.get_one(Event, rows[0][6])
    context = event_context(event)
    mails = [
        Mail(
            dedupe_key=f"session-change:{session_id}:{sequence}:{reg_id}",
            to=email,
            template=SESSION_CHANGED.name,
            context={
                "event": context,
                "name": first,
                "locale": locale,
                "time_zone": zone,
                "title": title,
                "cancelled": status == SessionStatus.CANCELLED,
                "starts_at": starts,
                "ends_at": ends,
                "room": room,
                "registration_link": f"{{registration_link:{reg_id}:{version}}}",
            },
        )
        for title, status, starts, ends, sequence, room, _event_id, reg_id, version, email, first, locale, zone in rows
    ]
    await enqueue_all(db_session, mails)
