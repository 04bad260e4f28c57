"""Claiming a waitlist offer while placing an order: the offer's held seats move into the order.

Placing an order needs these and the waitlist's sweeper gives seats through the order's holds, so they sit with
the orders and the waitlist package builds on them (packages import one way)."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.errors import Conflict, InvalidInput
from podium.i18n import N_, gettext
from podium.rows import rows_changed
from podium.translated import translated_text
from registration.audit.services import record
from registration.links.rule import open_waitlist_entry
from registration.models import WaitlistEntry, WaitlistStatus
from registration.orders.validation import CheckedAttendee, SoldOut
from registration.schemas import WaitlistClaim


def held_seats(entry: WaitlistEntry) -> dict[UUID, int]:
    """The seats an open offer holds: one in each quota of its item."""
    return {UUID(q): 1 for q in entry.held_quota_ids}


def refuse_queued_items(attendees: list[CheckedAttendee], queued: set[UUID], claimed: UUID | None) -> None:
    """New orders can't jump the queue: items with people waiting are sold out for everyone else."""
    for attendee in attendees:
        if attendee.category.id in queued and attendee.category.id != claimed:
            raise SoldOut(
                gettext("%(item)s is sold out; people are on the waitlist")
                % {"item": translated_text(attendee.category, "name")},
                field=f"attendees[{attendee.index}].category",
            )
        for add_on in attendee.add_ons:
            if add_on.id in queued and add_on.id != claimed:
                raise SoldOut(
                    gettext("%(item)s is sold out; people are on the waitlist")
                    % {"item": translated_text(add_on, "name")},
                    field=f"attendees[{attendee.index}].add_ons",
                )


async def offer_for_claim(
    db_session: AsyncSession, event: Event, claim: WaitlistClaim, secret_key: str, now: dt.datetime
) -> WaitlistEntry:
    entry = await open_waitlist_entry(db_session, claim.entry_id, token=claim.token, secret_key=secret_key)
    if entry.event_id != event.id:
        raise InvalidInput(N_("this waitlist offer is for another event"), field="waitlist_claim")
    if entry.status != WaitlistStatus.OFFERED or (entry.offer_expires_at and entry.offer_expires_at <= now):
        raise Conflict(N_("this waitlist offer is no longer open"), field="waitlist_claim", code="offer_not_open")
    return entry


def held_by(entry: WaitlistEntry, needs: dict[UUID, int]) -> dict[UUID, int]:
    """What the order still has to take once the offer's held seats are counted in; the offer must be for
    something the order actually needs."""
    remaining = dict(needs)
    for quota_id, count in held_seats(entry).items():
        if remaining.get(quota_id, 0) < count:
            raise InvalidInput(N_("the order does not include the item this offer is for"), field="waitlist_claim")
        remaining[quota_id] -= count
    return {q: n for q, n in remaining.items() if n}


async def mark_claimed(db_session: AsyncSession, entry: WaitlistEntry, actor: str) -> None:
    """The held seats now belong to the order: the entry just closes (no seats move back)."""
    changed = await rows_changed(
        db_session,
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry.id, WaitlistEntry.status == WaitlistStatus.OFFERED)
        .values(status=WaitlistStatus.CLAIMED, held_quota_ids=[]),
    )
    if changed != 1:
        raise Conflict(N_("this waitlist offer is no longer open"), field="waitlist_claim", code="offer_not_open")
    record(db_session, "waitlist", entry.id, WaitlistStatus.OFFERED, WaitlistStatus.CLAIMED, actor)
