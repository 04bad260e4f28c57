"""Statements for the hottest requests (a badge scan, the staff token behind it), run with the least work.

A ``Prebuilt`` wraps a Core statement and compiles it once per dialect. On PostgreSQL outside a transaction it
runs on asyncpg's own connection: SQLAlchemy's per-execution work (cache lookup, parameter and result
processing, the greenlet hop) cost twice asyncpg's own (0.20 against 0.09 ms of CPU for the scan lookup,
measured here), and a scan runs three statements. Anywhere else (SQLite, or inside a transaction SQLAlchemy
has to begin first) the statement runs through SQLAlchemy as usual, so callers need not care.

``pooled(engine)`` lends a connection for such statements: on PostgreSQL asyncpg's connection straight from
the engine's pool (a ``Driver``), where each statement commits by itself. An ``engine.connect()`` in
autocommit costs ~75 µs of CPU more per checkout than the bare pool checkout (~20 µs, measured here), and an
ORM session switched to autocommit, committed and closed ~140 µs more; every staff request pays one checkout.
They are the engine's connections, so its connect and statement timeouts hold for them too (``engine_options``).

Rows come back with attribute access either way (``DriverRecord``). Parameters go to asyncpg as they are,
so they must be values it takes natively: UUIDs, aware datetimes, strings, numbers, booleans. A constraint
violation raises SQLAlchemy's ``IntegrityError`` on every path, so callers catch one exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from sqlalchemy import Insert, Select, TextClause
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util import greenlet_spawn

from podium.db_outage import forget_pool, is_connection_lost


class DriverRecord(asyncpg.Record):  # type: ignore[misc]  # asyncpg ships no types: Record is Any to mypy
    """asyncpg's row, readable by attribute like SQLAlchemy's ``Row``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True, slots=True)
class Driver:
    """asyncpg's connection with no transaction open on it: each statement commits by itself."""

    connection: asyncpg.Connection
    dialect: Dialect


Runner = AsyncConnection | Driver


@asynccontextmanager
async def pooled(engine: AsyncEngine) -> AsyncIterator[Runner]:
    """A connection from ``engine``'s pool for one or a few statements that each commit by themselves: a
    ``Driver`` on PostgreSQL, an ``AsyncConnection`` elsewhere (SQLite's writes then need its ``commit()``)."""
    if engine.dialect.name != "postgresql":
        async with engine.connect() as connection:
            yield connection
        return
    fairy = await engine.raw_connection()
    connection = cast(asyncpg.Connection, fairy.driver_connection)
    try:
        yield Driver(connection, engine.dialect)
    except BaseException as exc:
        # The connection broke or the database stopped answering (past the engine's command_timeout): the pool
        # replaces this connection and those opened before it, as SQLAlchemy does on its own paths. Cancelled
        # mid-statement: this connection's state is unknown, so the pool opens a new one. (A refused statement or
        # the caller's own error leaves it as good as it was.)
        if connection.is_closed() or is_connection_lost(exc):
            await greenlet_spawn(forget_pool, engine, fairy, exc)
        elif isinstance(exc, (asyncio.CancelledError, asyncpg.InterfaceError, OSError)):
            await greenlet_spawn(fairy.invalidate)
        raise
    finally:
        await greenlet_spawn(fairy.close)  # a connection beyond the pool's size is closed here, which awaits


class Prebuilt:
    def __init__(self, statement: Select[Any] | Insert | TextClause) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...], Mapping[str, Any]]] = {}

    def _for(self, dialect: Dialect) -> tuple[str, tuple[str, ...], Mapping[str, Any]]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            fixed = compiled.construct_params(_check=False)  # values bound into the statement itself
            found = (compiled.string, tuple(compiled.positiontup or ()), fixed)
            self._compiled[dialect.name] = found
        return found

    async def first(self, runner: Runner, params: Mapping[str, Any]) -> Any:
        """The first row (attribute access), or None."""
        driver = await _driver(runner)
        if driver is None:
            return (await cast(AsyncConnection, runner).execute(self.statement, dict(params))).first()
        sql, names, fixed = self._for(driver.dialect)
        return await driver.connection.fetchrow(sql, *_arguments(names, params, fixed), record_class=DriverRecord)

    async def rowcount(self, runner: Runner, params: Mapping[str, Any]) -> int:
        """Run a writing statement; the rows it wrote."""
        driver = await _driver(runner)
        if driver is None:
            result: Any = await cast(AsyncConnection, runner).execute(self.statement, dict(params))
            return int(result.rowcount)
        sql, names, fixed = self._for(driver.dialect)
        arguments = _arguments(names, params, fixed)
        try:
            status = await driver.connection.execute(sql, *arguments)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(sql, arguments, exc) from exc
        return int(status.rsplit(" ", 1)[-1])  # "INSERT 0 1", "UPDATE 3"


def _arguments(names: tuple[str, ...], params: Mapping[str, Any], fixed: Mapping[str, Any]) -> list[Any]:
    return [params[name] if name in params else fixed[name] for name in names]


async def _driver(runner: Runner) -> Driver | None:
    """asyncpg's connection under ``runner`` when nothing needs beginning first (PostgreSQL, autocommit)."""
    if isinstance(runner, Driver):
        return runner
    if runner.dialect.name != "postgresql":
        return None
    sync = runner.sync_connection
    if sync is not None and not sync.closed and not sync.invalidated:
        raw = sync.connection  # checked out already: no I/O, so no greenlet hop as get_raw_connection() takes
    else:
        raw = await runner.get_raw_connection()
    if not getattr(raw.dbapi_connection, "autocommit", False):
        return None
    return Driver(cast(asyncpg.Connection, raw.driver_connection), runner.dialect)
