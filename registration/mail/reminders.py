"""Reminders before a hold or a waitlist offer runs out, written by the periodic sweep next to the hold sweep.

A reminder goes once per hold (or offer) when a third of its time is left, but never earlier than
``REMINDER_MAX_LEAD`` before the end (a day-long offer reminds six hours before, a 30-minute hold ten
minutes before); its dedupe key names the hold's end (the offer's version), so sweeping again, on several
workers at once, writes nothing twice. If the order is paid or the offer claimed before the reminder goes
out, the outbox marks it superseded (the ``STILL_TRUE_CHECKS`` of ``order_mail`` and ``services``).
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.db import begin_write, utcnow
from podium.outbox_models import OutboxMessage
from registration.mail.services import enqueue_hold_reminder, enqueue_offer_reminder
from registration.models import Order, OrderStatus, WaitlistEntry, WaitlistStatus

REMINDER_MAX_LEAD = dt.timedelta(hours=6)
# An invoice due in two weeks is worth a reminder days ahead, so a transfer (which takes a day or two) can still
# arrive in time; orders paid by bank transfer have a payment reference (``registration.bank``).
BANK_REMINDER_LEAD = dt.timedelta(days=3)
BATCH = 500


def _aware(instant: dt.datetime) -> dt.datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)


def due(started: dt.datetime, ends: dt.datetime, now: dt.datetime, max_lead: dt.timedelta = REMINDER_MAX_LEAD) -> bool:
    """Time to remind: a third (or less) of the time is left, and at most ``max_lead``."""
    lead = min((_aware(ends) - _aware(started)) / 3, max_lead)
    return _aware(now) < _aware(ends) and _aware(ends) - _aware(now) <= lead


async def _already(db_session: AsyncSession, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(
        (await db_session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys)))).all()
    )


async def enqueue_reminders(db_session: AsyncSession, *, offer_hours: float, now: dt.datetime | None = None) -> int:
    """Write the reminders now due (the caller commits); returns how many were new."""
    now = now or utcnow()
    await begin_write(db_session)
    events: dict[UUID, Event] = {}

    async def event_of(event_id: UUID) -> Event:
        if event_id not in events:
            found = await db_session.get(Event, event_id)
            assert found is not None  # the foreign key
            events[event_id] = found
        return events[event_id]

    orders = (
        await db_session.scalars(
            select(Order)
            .where(
                Order.status == OrderStatus.PENDING,
                Order.hold_expires_at > now,
                Order.hold_expires_at <= now + BANK_REMINDER_LEAD,
            )
            .order_by(Order.hold_expires_at)
            .limit(BATCH)
        )
    ).all()
    holds = [
        o
        for o in orders
        if o.hold_expires_at
        and due(o.created_at, o.hold_expires_at, now, BANK_REMINDER_LEAD if o.payment_reference else REMINDER_MAX_LEAD)
    ]
    keys = {o.id: f"hold-reminder:{o.id}:{o.hold_expires_at:%Y%m%d%H%M%S}" for o in holds}
    done = await _already(db_session, list(keys.values()))
    written = 0
    for order in holds:
        if keys[order.id] not in done:
            await enqueue_hold_reminder(db_session, order, await event_of(order.event_id))
            written += 1
    entries = (
        await db_session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.status == WaitlistStatus.OFFERED,
                WaitlistEntry.offer_expires_at > now,
                WaitlistEntry.offer_expires_at <= now + REMINDER_MAX_LEAD,
            )
            .order_by(WaitlistEntry.offer_expires_at)
            .limit(BATCH)
        )
    ).all()
    length = dt.timedelta(hours=offer_hours)
    offers = [e for e in entries if e.offer_expires_at and due(e.offer_expires_at - length, e.offer_expires_at, now)]
    offer_keys = {e.id: f"offer-reminder:{e.id}:{e.offer_version}" for e in offers}
    done = await _already(db_session, list(offer_keys.values()))
    for entry in offers:
        if offer_keys[entry.id] not in done:
            await enqueue_offer_reminder(db_session, entry, await event_of(entry.event_id))
            written += 1
    return written
