"""Seats and counters: taking, giving back, and ending unpaid holds exactly once.

Every capacity is a ``Quota`` whose ``used`` counter moves only through a conditional UPDATE
(``used + n <= size``), taken in a fixed order (by quota id) so concurrent orders never deadlock.
Giving seats back is gated by a conditional status change (``WHERE status = 'pending'``), so a hold is
released exactly once, whoever gets there first: the expiry sweep, a lazy check, a cancellation or a
late payment.

On PostgreSQL a new order takes its counters differently (``take_and_commit``): a counter's row lock is
held until COMMIT, and in a rush every order queues on the same few rows (the workshop, the whole event).
So the counters move in the last statements of the transaction, sent together with the COMMIT in one
round trip; the row locks last microseconds instead of a network round trip plus however long a busy
event loop takes to send the COMMIT. The table's CHECK constraints (``used <= size``, ``used <=
max_uses``) make an over-full counter fail that statement, which aborts the whole order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from uuid import UUID

import asyncpg
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import begin_write, utcnow
from podium.rows import rows_changed
from registration.audit import record
from registration.mail import enqueue_hold_expired
from registration.models import Order, OrderQuota, OrderStatus, PromoCode, Quota, Registration, RegistrationStatus


async def _take(db_session: AsyncSession, quota_id: UUID, count: int) -> bool:
    statement = (
        update(Quota).where(Quota.id == quota_id, Quota.used + count <= Quota.size).values(used=Quota.used + count)
    )
    return await rows_changed(db_session, statement) == 1


async def take_seats(
    db_session: AsyncSession, needs: dict[UUID, int], *, on_shortage: Callable[[], Awaitable[bool]] | None = None
) -> UUID | None:
    """Take every seat in quota-id order; returns the first quota that is short (nothing is undone here:
    the caller rolls the transaction back). ``on_shortage`` may free seats (expire stale holds) once."""
    for quota_id in sorted(needs, key=str):
        if await _take(db_session, quota_id, needs[quota_id]):
            continue
        if on_shortage is not None and await on_shortage() and await _take(db_session, quota_id, needs[quota_id]):
            on_shortage = None
            continue
        return quota_id
    return None


QUOTA_FULL = "ck_quota_fits"
PROMO_USED_UP = "ck_promo_code_max_uses"


async def take_and_commit(
    db_session: AsyncSession,
    needs: dict[UUID, int],
    *,
    promo: PromoCode | None = None,
    promo_uses: int = 0,
    on_shortage: Callable[[], Awaitable[bool]] | None = None,
) -> UUID | str | None:
    """Take a new order's seats (and promo uses) and commit it.

    Returns None once committed; otherwise the transaction is rolled back and the answer is the quota that
    was short, or ``PROMO_USED_UP``. On SQLite the caller holds the write lock already, so the counters
    move one by one (``on_shortage`` may free stale holds once); on PostgreSQL see ``_take_and_commit_pg``.
    """
    bind = db_session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        return await _take_and_commit_pg(db_session, needs, promo, promo_uses)
    short = await take_seats(db_session, needs, on_shortage=on_shortage)
    if short is not None:
        await db_session.rollback()
        return short
    if promo is not None and not await use_promo(db_session, promo, promo_uses):
        await db_session.rollback()
        return PROMO_USED_UP
    await db_session.commit()
    return None


def _add_sql(table: str, row_id: UUID, count: int) -> str:
    """One counter increment as SQL text, for a multi-statement query (which takes no parameters)."""
    assert table in {"quota", "promo_code"}
    return f"UPDATE {table} SET used = used + {int(count)} WHERE id = '{UUID(str(row_id))}'"  # noqa: S608 (int and UUID only)


async def _take_and_commit_pg(
    db_session: AsyncSession, needs: dict[UUID, int], promo: PromoCode | None, promo_uses: int
) -> UUID | str | None:
    """Flush, then move the counters and COMMIT in one round trip.

    The statements go as one simple query (``UPDATE …; COMMIT; BEGIN``): PostgreSQL runs them in order and
    skips the rest at the first error, here a CHECK constraint refusing a counter past its limit. The
    trailing BEGIN leaves an empty transaction for the session's own COMMIT to end, so SQLAlchemy's and
    asyncpg's idea of the connection stays true. Only UUID and int values are formatted into the text.
    """
    await db_session.flush()
    statements = [_add_sql("quota", q, needs[q]) for q in sorted(needs, key=str)]
    if promo is not None and promo_uses:
        statements.append(_add_sql("promo_code", promo.id, promo_uses))
    connection = await (await db_session.connection()).get_raw_connection()
    driver: asyncpg.Connection = connection.driver_connection
    try:
        await driver.execute(";\n".join([*statements, "COMMIT", "BEGIN"]))
    except asyncpg.CheckViolationError as exc:
        await db_session.rollback()
        return await refusal(db_session, exc, needs)
    await db_session.commit()
    return None


async def refusal(db_session: AsyncSession, exc: asyncpg.CheckViolationError, needs: dict[UUID, int]) -> UUID | str:
    """What a counter's CHECK constraint refused: ``PROMO_USED_UP``, or the quota that ran out (someone else
    took the last seats between the caller's look and its take); any other constraint is re-raised."""
    if exc.constraint_name == PROMO_USED_UP:
        return PROMO_USED_UP
    if exc.constraint_name != QUOTA_FULL:
        raise exc
    return await visibly_short(db_session, needs) or min(needs, key=str)


async def release_seats(db_session: AsyncSession, order: Order) -> None:
    taken = (
        await db_session.scalars(
            select(OrderQuota).where(OrderQuota.order_id == order.id).order_by(OrderQuota.quota_id)
        )
    ).all()
    for row in sorted(taken, key=lambda r: str(r.quota_id)):
        await db_session.execute(
            update(Quota)
            .where(Quota.id == row.quota_id)
            .values(used=Quota.used - row.count)
            .execution_options(synchronize_session=False)
        )
        await db_session.delete(row)
    if order.promo_code_id is not None and order.promo_uses:
        await db_session.execute(
            update(PromoCode)
            .where(PromoCode.id == order.promo_code_id)
            .values(used=PromoCode.used - order.promo_uses)
            .execution_options(synchronize_session=False)
        )


async def use_promo(db_session: AsyncSession, promo: PromoCode, uses: int) -> bool:
    statement = (
        update(PromoCode)
        .where(
            PromoCode.id == promo.id,
            (PromoCode.max_uses.is_(None)) | (PromoCode.used + uses <= PromoCode.max_uses),
        )
        .values(used=PromoCode.used + uses)
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
    return True


async def expire_holds(
    db_session: AsyncSession,
    *,
    now: dt.datetime | None = None,
    event_id: UUID | None = None,
    limit: int = 500,
    commit: bool = True,
) -> int:
    """End unpaid holds whose time is up and return their seats; safe to run on every worker at once."""
    now = now or utcnow()
    if commit:
        await begin_write(db_session)
    query = select(Order.id).where(Order.status == OrderStatus.PENDING, Order.hold_expires_at <= now)
    if event_id is not None:
        query = query.where(Order.event_id == event_id)
    order_ids = (await db_session.scalars(query.order_by(Order.hold_expires_at).limit(limit))).all()
    ended = 0
    for order_id in order_ids:
        if await end_pending(db_session, order_id, OrderStatus.EXPIRED, actor="system", note="hold expired"):
            expired = await db_session.get(Order, order_id)
            assert expired is not None  # end_pending just changed it
            await enqueue_hold_expired(db_session, expired)
            ended += 1
    if commit:
        await db_session.commit()
    return ended


async def release_registration_seats(db_session: AsyncSession, order_id: UUID, needs: dict[UUID, int]) -> None:
    """Give back one registration's seats (a cancelled or rejected attendee of a paid order) and shrink
    its order's record of what it holds, so a later release of the order can't return them twice."""
    for quota_id in sorted(needs, key=str):
        count = needs[quota_id]
        held = await db_session.get(OrderQuota, (order_id, quota_id))
        if held is None or held.count < count:
            continue
        await rows_changed(db_session, update(Quota).where(Quota.id == quota_id).values(used=Quota.used - count))
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
        rows = (
            (await db_session.execute(select(Quota.id, Quota.size - Quota.used).where(Quota.id.in_(needs))))
            .tuples()
            .all()
        )
        free = dict(rows)
        return next((q for q in sorted(needs, key=str) if free.get(q, 0) < needs[q]), None)

    short = await first_short()
    if short is not None and on_shortage is not None and await on_shortage():
        short = await first_short()
    return short
