"""A new order written on PostgreSQL as one statement, in autocommit.

The ORM's unit of work cost about as much CPU as the rest of an order (it plans the flush and sends each
table's rows in a round trip of its own), and the transaction around it kept the contested quota rows
locked until COMMIT. Here the order, its registrations, their add-ons, the seats it holds, its audit trail and
the seat and promo counters go to PostgreSQL as one generated statement whose rows travel as arrays
(``unnest``): one round trip, atomic by itself, and the quota rows stay locked only while PostgreSQL runs it.
The quota rows are locked in id order (``FOR UPDATE`` after ``ORDER BY``), the order ``holds`` uses
everywhere, so orders sharing quotas never deadlock. A CHECK constraint (``used <= size``, ``used <=
max_uses``) refusing a counter fails the whole statement and nothing is written.

The statement's text comes from the tables' metadata (``podium.db_unnest``) and the counters' rule
(``holds.moved``), so a new column or a change to how a counter moves needs no change here; its values come
from the ORM objects the order was built as, which also answer the request. It is the fast path of the one
write path in ``order_placing``: the caller chose autocommit for the request (``begin_autocommit``), so this
statement commits by itself.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

import asyncpg
from advanced_alchemy.base import AdvancedDeclarativeBase
from sqlalchemy import column as sql_column
from sqlalchemy import literal_column, table, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from podium.db_unnest import DIALECT, UnnestInsert
from registration.models import (
    Order,
    OrderQuota,
    PromoCode,
    Quota,
    Registration,
    RegistrationAddOn,
    StateChange,
)
from registration.orders.building import NewOrder
from registration.orders.holds import moved

# The counters: $1 quota ids and $2 their counts, $3 the promo code (NULL for none) and $4 its uses, $5 now. The
# quota rows are locked in id order first; the two UPDATEs are compiled from ``holds.moved``, the rule every
# other path moves these counters by.
_LOCK_QUOTAS = """locked AS MATERIALIZED (
    SELECT q.id, t.n FROM quota q JOIN unnest($1::UUID[], $2::INTEGER[]) AS t(id, n) ON q.id = t.id
    ORDER BY q.id FOR UPDATE OF q)"""
_COUNTER_PARAMETERS = 5


def _counters() -> str:
    locked = table("locked", sql_column("id"), sql_column("n"))
    now: ColumnElement[Any] = literal_column("$5")
    taken = update(Quota).where(Quota.id == locked.c.id).values(moved(Quota, locked.c.n, now))
    promo = (
        update(PromoCode)
        .where(PromoCode.id == literal_column("$3"))
        .values(moved(PromoCode, literal_column("$4"), now))
    )
    return ",\n".join(
        [_LOCK_QUOTAS, f"taken AS ({taken.compile(dialect=DIALECT)})", f"promo AS ({promo.compile(dialect=DIALECT)})"]
    )


@functools.cache
def statement() -> tuple[list[UnnestInsert], str]:
    """Built at first use: a foreign key column takes its type from the table it points to, once loaded."""
    inserts: list[UnnestInsert] = []
    parameter = _COUNTER_PARAMETERS + 1
    for model in (Order, Registration, RegistrationAddOn, OrderQuota, StateChange):
        inserts.append(UnnestInsert(model, parameter))
        parameter += inserts[-1].parameters
    parts = [f"new_{insert.table_name} AS ({insert.sql})" for insert in inserts]
    return inserts, "WITH " + ",\n".join([*parts, _counters()]) + "\nSELECT 1"


async def write_order(db_session: AsyncSession, new: NewOrder, *, now: dt.datetime) -> None:
    """Write a new order and move its counters in one statement on the session's (autocommit) connection.

    Raises asyncpg's ``CheckViolationError`` when a counter would pass its limit and ``UniqueViolationError``
    for a repeated Idempotency-Key or person; nothing is written then.
    """
    quotas = sorted(new.taken.items(), key=lambda item: str(item[0]))
    inserts, sql = statement()
    arguments: list[Any] = [
        [q for q, _ in quotas],
        [n for _, n in quotas],
        new.promo.id if new.promo is not None and new.promo_uses else None,
        new.promo_uses,
        now,
    ]
    add_ons = [a for r in new.registrations for a in r.add_ons]
    tables: tuple[Sequence[AdvancedDeclarativeBase], ...] = (
        [new.order],
        new.registrations,
        add_ons,
        new.quotas,
        new.changes,
    )
    for insert, rows in zip(inserts, tables, strict=True):
        arguments += insert.values(rows)
    connection = await (await db_session.connection()).get_raw_connection()
    driver: asyncpg.Connection = connection.driver_connection
    await driver.execute(sql, *arguments)
