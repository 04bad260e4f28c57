"""An attendee's attendance and certificate: their door scans fed to the pure ``badges.attendance``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from badges.attendance import DoorScan, SessionAttendance, SessionSlot, attendance, total_credit_hours
from badges.certificate_pdf import CertificateData, CertificateLine
from badges.models import Checkin, Checkpoint, CheckpointKind, ScanReason
from badges.services import settings_of
from events.models import Event
from events.services import event_bounds_utc
from podium.db import utcnow
from podium.errors import Conflict
from podium.formatting import format_date, format_day
from podium.i18n import DEFAULT_LOCALE, current_locale, gettext, using_locale
from registration.documents.receipts import event_dates
from registration.models import Registration
from sessions.models import ProgramSession, SessionStatus

MOVING_REASONS = (ScanReason.ADMITTED.value, ScanReason.ALREADY_ADMITTED.value, ScanReason.CHECKED_OUT.value)


def place_of(checkpoint: Checkpoint) -> str | None:
    if checkpoint.kind == CheckpointKind.ROOM and checkpoint.room_id is not None:
        return f"room:{checkpoint.room_id}"
    if checkpoint.kind == CheckpointKind.SESSION and checkpoint.session_id is not None:
        return f"session:{checkpoint.session_id}"
    return None


async def attendance_of(db_session: AsyncSession, registration: Registration) -> tuple[list[SessionAttendance], int]:
    """The sessions the attendee was scanned into, and the event's credit threshold."""
    threshold = (await settings_of(db_session, registration.event_id)).credit_threshold_pct
    rows = (
        await db_session.execute(
            select(Checkin, Checkpoint)
            .join(Checkpoint, Checkpoint.id == Checkin.checkpoint_id)
            .where(Checkin.registration_id == registration.id, Checkin.reason.in_(MOVING_REASONS))
        )
    ).all()
    scans = [
        DoorScan(
            at=checkin.device_time,
            direction=cast(Any, checkin.direction),
            place=place_of(checkpoint),
            session_id=checkin.session_id,
        )
        for checkin, checkpoint in rows
    ]
    sessions = (
        await db_session.scalars(
            select(ProgramSession).where(
                ProgramSession.event_id == registration.event_id, ProgramSession.status == SessionStatus.PUBLISHED
            )
        )
    ).all()
    slots = [
        SessionSlot(
            id=s.id,
            title=s.title,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            credit_hours=Decimal(s.credit_hours),
            places=frozenset({f"session:{s.id}"} | ({f"room:{s.room_id}"} if s.room_id else set())),
        )
        for s in sessions
    ]
    return attendance(slots, scans, threshold), threshold


def certificate_available_from(event: Event) -> dt.datetime:
    """Attendance is certified once the event is over: local midnight after its last day."""
    return event_bounds_utc(event)[1]


async def certificate_data(
    db_session: AsyncSession, registration: Registration, *, early: bool = False
) -> CertificateData:
    """What the attendee's certificate says; refused (409) before the event is over unless ``early``."""
    event = await db_session.get_one(Event, registration.event_id)
    available_from = certificate_available_from(event)
    if not early and utcnow() < available_from:
        last_day = event.end_date
        raise Conflict(
            gettext("the certificate of attendance can be downloaded once the event is over (after %(day)s)")
            % {"day": f"{last_day:%a %d %b %Y}" if current_locale() == DEFAULT_LOCALE else format_date(last_day)},
            field="registration_id",
            code="certificate_not_ready",
        )
    rows, threshold = await attendance_of(db_session, registration)
    with using_locale(registration.locale):
        return _certificate(event, registration, rows, threshold)


def _certificate(
    event: Event, registration: Registration, rows: list[SessionAttendance], threshold: int
) -> CertificateData:
    """In the current locale (the attendee's): the days, the event's dates."""
    zone = ZoneInfo(event.timezone)
    lines = tuple(
        CertificateLine(
            day=_day(row.session.starts_at.astimezone(zone).date()),
            time=f"{row.session.starts_at.astimezone(zone):%H:%M}-{row.session.ends_at.astimezone(zone):%H:%M}",
            title=row.session.title,
            minutes=int(row.dwell / dt.timedelta(minutes=1)),
            credit_hours=row.credit_hours,
        )
        for row in rows
    )
    return CertificateData(
        name=f"{registration.first_name} {registration.last_name}",
        affiliation=registration.affiliation,
        event_name=event.name,
        event_dates=event_dates(event),
        venue=", ".join(part for part in (event.venue, event.city) if part),
        threshold_pct=threshold,
        lines=lines,
        total_credit_hours=total_credit_hours(rows),
        issued_on=utcnow().astimezone(zone).date(),
        locale=current_locale(),
    )


def _day(day: dt.date) -> str:
    """``Mon 07 Jun`` as certificates have always printed it in English; CLDR's short weekday and date elsewhere."""
    return f"{day:%a %d %b}" if current_locale() == DEFAULT_LOCALE else format_day(day, short=True)
