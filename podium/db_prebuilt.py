"""Statements for the hottest requests (a badge scan, the staff token behind it), run with the least work.

A ``Prebuilt`` wraps a Core statement and compiles it once per dialect. On a PostgreSQL connection in
autocommit it runs on asyncpg's own connection: SQLAlchemy's per-execution work (cache lookup, parameter
and result processing, the greenlet hop) cost twice asyncpg's own (0.20 against 0.09 ms of CPU for the scan
lookup, measured here), and a scan runs three statements. Anywhere else (SQLite, or inside a transaction
SQLAlchemy has to begin first) the statement runs through SQLAlchemy as usual, so callers need not care.

Rows come back with attribute access either way (``DriverRecord``). Parameters go to asyncpg as they are,
so they must be values it takes natively: UUIDs, aware datetimes, strings, numbers, booleans.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import asyncpg
from sqlalchemy import Select, TextClause
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection


class DriverRecord(asyncpg.Record):
    """asyncpg's row, readable by attribute like SQLAlchemy's ``Row``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Prebuilt:
    def __init__(self, statement: Select[Any] | TextClause) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...], dict[str, Any]]] = {}

    def _for(self, dialect: Dialect) -> tuple[str, tuple[str, ...], dict[str, Any]]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            fixed = compiled.construct_params(_check=False)  # values bound into the statement itself
            found = (compiled.string, tuple(compiled.positiontup or ()), fixed)
            self._compiled[dialect.name] = found
        return found

    async def first(self, connection: AsyncConnection, params: Mapping[str, Any]) -> Any:
        """The first row (attribute access), or None."""
        driver = await _autocommit_driver(connection)
        if driver is None:
            return (await connection.execute(self.statement, dict(params))).first()
        sql, names, fixed = self._for(connection.dialect)
        return await driver.fetchrow(sql, *_arguments(names, params, fixed), record_class=DriverRecord)

    async def rowcount(self, connection: AsyncConnection, params: Mapping[str, Any]) -> int:
        """Run a writing statement; the rows it wrote."""
        driver = await _autocommit_driver(connection)
        if driver is None:
            result: Any = await connection.execute(self.statement, dict(params))
            return int(result.rowcount)
        sql, names, fixed = self._for(connection.dialect)
        status = await driver.execute(sql, *_arguments(names, params, fixed))
        return int(status.rsplit(" ", 1)[-1])  # "INSERT 0 1", "UPDATE 3"


def _arguments(names: tuple[str, ...], params: Mapping[str, Any], fixed: dict[str, Any]) -> list[Any]:
    return [params[name] if name in params else fixed[name] for name in names]


async def _autocommit_driver(connection: AsyncConnection) -> asyncpg.Connection | None:
    """asyncpg's connection under ``connection`` when nothing needs beginning first (PostgreSQL, autocommit)."""
    if connection.dialect.name != "postgresql":
        return None
    sync = connection.sync_connection
    if sync is not None and not sync.closed and not sync.invalidated:
        raw = sync.connection  # checked out already: no I/O, so no greenlet hop as get_raw_connection() takes
    else:
        raw = await connection.get_raw_connection()
    if not getattr(raw.dbapi_connection, "autocommit", False):
        return None
    return cast(asyncpg.Connection, raw.driver_connection)
