"""Dialect statements SQLAlchemy cannot cache, compiled once and run as cached typed text.

SQLAlchemy 2 gives PostgreSQL's and SQLite's own ``insert(...)`` (the ones with ``ON CONFLICT``) no cache key,
so every execution compiles the statement again: measured here, the rate-limit upsert alone cost ~0.6 ms of CPU
per order, more than the rest of the order's SQL compilation together. ``compiled_once`` compiles such a
statement one time per dialect and shape into a ``TextClause`` whose binds and result columns keep the types
of the original (so UUIDs, aware datetimes and the like convert as before), and SQLAlchemy caches a text
clause like any other. The statement is still built from the models by the caller: nothing is written twice.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, ColumnClause, TextClause, bindparam, column, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import TextualSelect

# Compiling with named parameters gives SQL that ``text()`` reads back; each real dialect then renders its own style.
_NAMED_DIALECTS: dict[str, Dialect] = {
    "postgresql": postgresql.dialect(paramstyle="named"),
    "sqlite": sqlite.dialect(paramstyle="named"),
}
Compiled = TextClause | TextualSelect


@dataclass(frozen=True, slots=True)
class CompiledParts:
    """A statement compiled for ``text()``: its SQL (casts escaped), its typed binds and its result columns."""

    sql: str
    binds: tuple[BindParameter[Any], ...]
    returning: tuple[ColumnClause[Any], ...]


_PARTS: dict[tuple[str, Hashable], CompiledParts] = {}
_CACHE: dict[tuple[str, Hashable], Compiled] = {}


def compiled_parts(dialect_name: str, shape: Hashable, build: Callable[[], UpdateBase]) -> CompiledParts:
    """``build()`` compiled once for this dialect and ``shape``, in parts: for a caller that runs it inside a
    statement of its own (a data-modifying ``WITH``), and for ``compiled_once``."""
    key = (dialect_name, shape)
    found = _PARTS.get(key)
    if found is not None:
        return found
    statement = build()
    compiled = statement.compile(dialect=_NAMED_DIALECTS[dialect_name])
    binds: list[BindParameter[Any]] = []
    for name, value in compiled.params.items():
        source = compiled.binds[name]
        required = source.required or source.callable is not None
        binds.append(
            bindparam(name, type_=source.type, required=True)
            if required
            else bindparam(name, value=value, type_=source.type)
        )
    returning = getattr(statement, "_returning", ())
    # A type that casts its bind (PostgreSQL's ``:id::UUID``) writes ``::`` right after the name, which text()
    # would read as no bind at all: escaped, text() binds the name and gives the cast back as written.
    sql = compiled.string.replace("::", r"\:\:")
    parts = CompiledParts(sql, tuple(binds), tuple(column(col.key, col.type) for col in returning))
    _PARTS[key] = parts
    return parts


def compiled_once(dialect_name: str, shape: Hashable, build: Callable[[], UpdateBase]) -> Compiled:
    """The cached text of ``build()`` for this dialect and ``shape`` (whatever makes the SQL differ, such as
    the number of rows); ``build`` must name its variable parameters with ``bindparam`` and runs once."""
    key = (dialect_name, shape)
    found = _CACHE.get(key)
    if found is not None:
        return found
    parts = compiled_parts(dialect_name, shape, build)
    plain = text(parts.sql).bindparams(*parts.binds)
    clause: Compiled = plain.columns(*parts.returning) if parts.returning else plain
    _CACHE[key] = clause
    return clause
