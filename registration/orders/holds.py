"""Seats and counters: taking, giving back, and ending unpaid holds exactly once.

Every capacity is a ``Quota`` whose ``used`` counter moves only through a conditional UPDATE
(``used + n <= size``), taken in a fixed order (by quota id) so concurrent orders never deadlock.
Giving seats back is gated by a conditional status change (``WHERE status = 'pending'``), so a hold is
released exactly once, whoever gets there first: the expiry sweep, a lazy check, a cancellation or a
late payment. The table's CHECK constraints (``used <= size``, ``used <= max_uses``) back the conditions.

How a counter moves (by how much, and its ``updated_at``) is one rule, ``moved``: every UPDATE here uses
it, and so does the one statement a new paid order is written with on PostgreSQL (``orders.write``), whose
counter updates are compiled from it. Nothing here commits: the request or job owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import utcnow
from podium.rows import rows_changed
from registration.audit.services import record
from registration.letters.follow import registrations_ended
from registration.mail.services import enqueue_hold_expired
from registration.models import (
    Order,
    OrderQuota,
    OrderStatus,
    PromoCode,
    Quota,
    Registration,
    RegistrationStatus,
    RevokedBecause,
)
from registration.orders.group_shares import LeftBecause, leave_group_invoice, lock_group_orders, open_group_of


def moved(counter: type[Quota] | type[PromoCode], by: Any, now: Any) -> dict[str, Any]:
    """The one rule for moving a seat or promo counter: ``used`` by ``by`` (a value or SQL), stamped ``now``.

    ``updated_at`` is set here rather than by the column's ``onupdate`` so that every path, the generated
    statement of ``orders.write`` included, stamps the same time: the order's own ``now``."""
    return {"used": counter.used + by, "updated_at": now}


async def _take(db_session: AsyncSession, quota_id: UUID, count: int, now: dt.datetime) -> bool:
    statement = (
        update(Quota).where(Quota.id == quota_id, Quota.used + count <= Quota.size).values(moved(Quota, count, now))
    )
    return await rows_changed(db_session, statement) == 1


async def take_seats(
    db_session: AsyncSession,
    needs: dict[UUID, int],
    *,
    on_shortage: Callable[[], Awaitable[bool]] | None = None,
    now: dt.datetime | None = None,
) -> UUID | None:
    """Take every seat in quota-id order; returns the first quota that is short (nothing is undone here:
    the caller rolls the transaction back). ``on_shortage`` may free seats (expire stale holds) once."""
    now = now or utcnow()
    for quota_id in sorted(needs, key=str):
        if await _take(db_session, quota_id, needs[quota_id], now):
            continue
        if on_shortage is not None and await on_shortage() and await _take(db_session, quota_id, needs[quota_id], now):
            on_shortage = None
            continue
        return quota_id
    return None


QUOTA_FULL = "ck_quota_fits"
PROMO_USED_UP = "ck_promo_code_max_uses"


async def refusal(db_session: AsyncSession, exc: asyncpg.CheckViolationError, needs: dict[UUID, int]) -> UUID | str:
    """What a counter's CHECK constraint refused: ``PROMO_USED_UP``, or the quota that ran out (someone else
    took the last seats between the caller's look and its take); any other constraint is re-raised."""
    if exc.constraint_name == PROMO_USED_UP:
        return PROMO_USED_UP
    if exc.constraint_name != QUOTA_FULL:
        raise exc
    return await visibly_short(db_session, needs) or min(needs, key=str)


async def take_counters(
    db_session: AsyncSession,
    needs: dict[UUID, int],
    *,
    promo: PromoCode | None,
    promo_uses: int,
    now: dt.datetime,
    on_shortage: Callable[[], Awaitable[bool]] | None = None,
) -> UUID | str | None:
    """Take a new order's seats, then its promo uses, in the caller's transaction: None when all fit, else
    the quota that was short or ``PROMO_USED_UP`` (the caller rolls back). The portable path; a paid order on
    PostgreSQL in autocommit moves the same counters by the same rule inside its one statement (``orders.write``)."""
    short = await take_seats(db_session, needs, on_shortage=on_shortage, now=now)
    if short is not None:
        return short
    if promo is not None and promo_uses and not await use_promo(db_session, promo, promo_uses, now=now):
        return PROMO_USED_UP
    return None


async def release_seats(db_session: AsyncSession, order: Order) -> None:
    now = utcnow()
    taken = (
        await db_session.scalars(
            select(OrderQuota).where(OrderQuota.order_id == order.id).order_by(OrderQuota.quota_id)
        )
    ).all()
    for row in sorted(taken, key=lambda r: str(r.quota_id)):
        await db_session.execute(
            update(Quota)
            .where(Quota.id == row.quota_id)
            .values(moved(Quota, -row.count, now))
            .execution_options(synchronize_session=False)
        )
        await db_session.delete(row)
    if order.promo_code_id is not None and order.promo_uses:
        await db_session.execute(
            update(PromoCode)
            .where(PromoCode.id == order.promo_code_id)
            .values(moved(PromoCode, -order.promo_uses, now))
            .execution_options(synchronize_session=False)
        )


async def use_promo(db_session: AsyncSession, promo: PromoCode, uses: int, *, now: dt.datetime | None = None) -> bool:
    statement = (
        update(PromoCode)
        .where(
            PromoCode.id == promo.id,
            (PromoCode.max_uses.is_(None)) | (PromoCode.used + uses <= PromoCode.max_uses),
        )
        .values(moved(PromoCode, uses, now or utcnow()))
    )
    return await rows_changed(db_session, statement) == 1


async def end_pending(
    db_session: AsyncSession, order_id: UUID, target: OrderStatus, *, actor: str, note: str = ""
) -> bool:
    """pending → expired/cancelled exactly once, giving the seats back; False if someone else ended it."""
    statement = (
        update(Order).where(Order.id == order_id, Order.status == OrderStatus.PENDING).values(status=target.value)
    )
    if await rows_changed(db_session, statement) != 1:
        return False
    order = await db_session.get(Order, order_id, populate_existing=True)
    assert order is not None
    record(db_session, "order", order_id, OrderStatus.PENDING, target, actor, note)
    await release_seats(db_session, order)
    if order.payment_due_at is not None:  # only an order paid by transfer or invoiced can be on a group invoice
        await leave_group_invoice(db_session, order, actor=actor, because=LeftBecause.ENDED)
    registration_target = RegistrationStatus.EXPIRED if target == OrderStatus.EXPIRED else RegistrationStatus.CANCELLED
    registrations = (
        await db_session.scalars(
            select(Registration).where(
                Registration.order_id == order_id, Registration.status == RegistrationStatus.HELD
            )
        )
    ).all()
    for registration in registrations:
        registration.status = registration_target.value
        record(db_session, "registration", registration.id, RegistrationStatus.HELD, registration_target, actor, note)
    # A letter an organizer allowed before payment stops with the hold (one indexed look when there is none).
    because = RevokedBecause.EXPIRED if target == OrderStatus.EXPIRED else RevokedBecause.CANCELLED
    await registrations_ended(db_session, registrations, because, actor=actor)
    return True


async def expire_holds(
    db_session: AsyncSession,
    *,
    now: dt.datetime | None = None,
    event_id: UUID | None = None,
    limit: int = 500,
) -> int:
    """End unpaid holds whose time is up and return their seats; safe to run on every worker at once.

    The caller owns the transaction (the hold sweep's job commits it; an order or a payment that frees stale
    holds commits them with itself)."""
    now = now or utcnow()
    query = select(Order.id, Order.payment_due_at).where(
        Order.status == OrderStatus.PENDING, Order.hold_expires_at <= now
    )
    if event_id is not None:
        query = query.where(Order.event_id == event_id)
    due = (await db_session.execute(query.order_by(Order.hold_expires_at).limit(limit))).tuples().all()
    ended = 0
    for order_id, payment_due_at in due:
        # A group payment locks the invoice's orders in id order, then the invoice; ending one of them takes the
        # invoice too, so the sweep first takes all its orders in that same order (never a lock cycle with it).
        group_id = None if payment_due_at is None else await open_group_of(db_session, order_id)
        if group_id is not None:
            await lock_group_orders(db_session, group_id)
        if await end_pending(db_session, order_id, OrderStatus.EXPIRED, actor="system", note="hold expired"):
            expired = await db_session.get(Order, order_id)
            assert expired is not None  # end_pending just changed it
            await enqueue_hold_expired(db_session, expired)
            ended += 1
    return ended


async def release_registration_seats(db_session: AsyncSession, order_id: UUID, needs: dict[UUID, int]) -> None:
    """Give back one registration's seats (a cancelled or rejected attendee of a paid order) and shrink
    its order's record of what it holds, so a later release of the order can't return them twice."""
    now = utcnow()
    for quota_id in sorted(needs, key=str):
        count = needs[quota_id]
        held = await db_session.get(OrderQuota, (order_id, quota_id))
        if held is None or held.count < count:
            continue
        await rows_changed(db_session, update(Quota).where(Quota.id == quota_id).values(moved(Quota, -count, now)))
        if held.count == count:
            await db_session.delete(held)
        else:
            held.count -= count


async def visibly_short(
    db_session: AsyncSession,
    needs: dict[UUID, int],
    *,
    on_shortage: Callable[[], Awaitable[bool]] | None = None,
) -> UUID | None:
    """A lock-free look at the counters: the first quota that can't fit ``needs`` (after freeing stale
    holds once), or None. Only an early refusal; ``take_seats`` still decides under the row lock."""
    if not needs:
        return None

    async def first_short() -> UUID | None:
        rows = (await db_session.execute(select(Quota.id, Quota.seats_left).where(Quota.id.in_(needs)))).tuples().all()
        free = dict(rows)
        return next((q for q in sorted(needs, key=str) if free.get(q, 0) < needs[q]), None)

    short = await first_short()
    if short is not None and on_shortage is not None and await on_shortage():
        short = await first_short()
    return short
