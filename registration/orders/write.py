"""A new order written on PostgreSQL as one statement, in autocommit.

The ORM's unit of work cost about as much CPU as the rest of an order (it plans the flush and sends each
table's rows in a round trip of its own), and the transaction around it kept the contested quota rows
locked until COMMIT. Here the order, its registrations, their add-ons, the seats it holds, its audit trail,
its mail (an outbox row) and the seat and promo counters go to PostgreSQL as one generated statement whose
rows travel as arrays (``unnest``): one round trip, atomic by itself, and the quota rows stay locked only
while PostgreSQL runs it. The quota rows are locked in id order (``FOR UPDATE`` after ``ORDER BY``), the
order ``holds`` uses everywhere, so orders sharing quotas never deadlock. A CHECK constraint (``used <=
size``, ``used <= max_uses``) refusing a counter fails the whole statement and nothing is written.

The statement's text comes from the tables' metadata and the counters' rule (``holds.moved``), so a new column
or a change to how a counter moves needs no change here; its values come from the ORM objects the order was
built as, which also answer the request. It is the fast path of the one write path in ``order_placing``: the
caller chose autocommit for the request (``begin_autocommit``), so this statement commits by itself.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

import asyncpg
import msgspec
from advanced_alchemy.base import AdvancedDeclarativeBase
from sqlalchemy import Column, Table, inspect, literal_column, table, update
from sqlalchemy import column as sql_column
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from podium.outbox_models import OutboxMessage
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

_DIALECT = postgresql.dialect()
_SKIPPED = {"sa_orm_sentinel"}  # advanced-alchemy's bulk-insert sentinel: nullable, only the ORM uses it
_JSON_TYPES = {"JSON", "JSONB"}


class _Insert:
    """``INSERT INTO table (…) SELECT … FROM unnest($n::type[], …)`` for one table, and its arrays."""

    def __init__(self, model: type[AdvancedDeclarativeBase], first_parameter: int) -> None:
        table = model.__table__
        assert isinstance(table, Table)
        mapper = inspect(model)
        self.columns: list[Column[Any]] = [c for c in table.columns if c.name not in _SKIPPED]
        self.attributes = [mapper.get_property_by_column(c).key for c in self.columns]
        quote = _DIALECT.identifier_preparer.quote
        names, arrays, selected = [], [], []
        for offset, column in enumerate(self.columns):
            sql_type = column.type.compile(dialect=_DIALECT)
            is_json = sql_type in _JSON_TYPES
            # Strings travel as TEXT: an explicit cast to VARCHAR(n) would cut a long value silently, where
            # the INSERT's own assignment refuses it.
            as_text = is_json or sql_type.startswith("VARCHAR")
            names.append(quote(column.name))
            arrays.append(f"${first_parameter + offset}::{'TEXT' if as_text else sql_type}[]")
            selected.append(f"u.c{offset}::{sql_type}" if is_json else f"u.c{offset}")
        self.json = [c.type.compile(dialect=_DIALECT) in _JSON_TYPES for c in self.columns]
        aliases = ", ".join(f"c{offset}" for offset in range(len(self.columns)))
        # Names and types come from our own table metadata; values travel as parameters.
        into, columns, values = quote(table.name), ", ".join(names), ", ".join(selected)
        self.sql = f"INSERT INTO {into} ({columns}) SELECT {values} FROM unnest({', '.join(arrays)}) AS u({aliases})"  # noqa: S608 (see above)
        self.parameters = len(self.columns)
        self.table_name = table.name

    def arrays(self, rows: Sequence[AdvancedDeclarativeBase]) -> list[list[Any]]:
        """One array per column; a value left unset takes the column's Python-side default, as a flush would."""
        arrays: list[list[Any]] = [[] for _ in self.columns]
        for row in rows:
            for array, column, attribute, is_json in zip(arrays, self.columns, self.attributes, self.json, strict=True):
                value = getattr(row, attribute)
                if value is None and column.default is not None:
                    default = column.default
                    value = default.arg if default.is_scalar else default.arg(None)  # type: ignore[attr-defined]  # ColumnDefault's arg; the base type lacks it
                    setattr(row, attribute, value)
                array.append(msgspec.json.encode(value).decode() if is_json and value is not None else value)
        return arrays


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
        [_LOCK_QUOTAS, f"taken AS ({taken.compile(dialect=_DIALECT)})", f"promo AS ({promo.compile(dialect=_DIALECT)})"]
    )


@functools.cache
def statement() -> tuple[list[_Insert], str]:
    """Built at first use: a foreign key column takes its type from the table it points to, once loaded."""
    inserts: list[_Insert] = []
    parameter = _COUNTER_PARAMETERS + 1
    for model in (Order, Registration, RegistrationAddOn, OrderQuota, StateChange, OutboxMessage):
        inserts.append(_Insert(model, parameter))
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
        new.mails,
    )
    for insert, rows in zip(inserts, tables, strict=True):
        arguments += insert.arrays(rows)
    connection = await (await db_session.connection()).get_raw_connection()
    driver: asyncpg.Connection = connection.driver_connection
    await driver.execute(sql, *arguments)
