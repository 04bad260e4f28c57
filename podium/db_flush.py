"""A session's flush as one statement on PostgreSQL, for the hottest transactions (a payment's confirmation).

The ORM's unit of work writes each table's new rows and each set of changed columns in a round trip of its
own and plans and bookkeeps every object on the way: a paid order's confirmation (its payment, two audit
entries, its receipt, the order's and its registrations' new status) took ~2 ms of CPU in the flush alone,
a third of the request. ``flush_at_once`` writes the same rows with one generated statement (``podium.db_unnest``:
one ``INSERT … SELECT FROM unnest`` per table of new rows, one ``UPDATE … FROM unnest`` per table and set of
changed columns, as parts of one ``WITH``), then leaves the objects as a flush would: new ones persistent, all of
them unchanged. The session's flush hooks run around it as around a flush (``before_flush``, then
``after_flush`` and ``after_flush_postexec``), so what they add (audit event ids, updated timestamps, a
transfer's badge revocation, the jobs a change queues) happens the same way.

It takes only what it writes exactly as the ORM would; anything else is left to an ordinary flush, so callers
need not care: SQLite, deleted rows, relationship changes, new rows whose foreign keys a relationship would set,
a column left NULL where the database has a default, JSON set to None, a type it does not know, a changed
primary key (decided before the hooks run, and again after them: a hook that added such a row sees the
flush run the hooks a second time, which ours take in their stride). A row another transaction deleted fails
as the ORM's ``StaleDataError``; a constraint as SQLAlchemy's ``IntegrityError`` (and nothing of the statement
is written).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, cast

from advanced_alchemy.base import AdvancedDeclarativeBase
from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import JSON, Boolean, Integer, String, Text, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.state import InstanceState

from podium.db_unnest import SKIPPED, UnnestInsert, UnnestUpdate

# The column types whose Python values asyncpg takes as they are (what the ORM's bind processing would send).
_PLAIN_TYPES = (GUID, DateTimeUTC, Boolean, Integer, String, Text, JSON)

_Shape = tuple[tuple[type[Any], ...], tuple[tuple[type[Any], tuple[str, ...]], ...]]


async def flush_at_once(db_session: AsyncSession) -> None:
    """Flush ``db_session``: on PostgreSQL in one statement when every pending change allows it (see above);
    otherwise, and on SQLite, as SQLAlchemy flushes."""
    await db_session.run_sync(_flush)


def _flush(session: Session) -> None:
    if not (session.new or session.dirty or session.deleted):
        return
    if session.get_bind().dialect.name != "postgresql" or _plan(session) is None:
        session.flush()
        return
    session.dispatch.before_flush(session, None, None)  # as a flush would: hooks may add or change rows
    planned = _plan(session)
    if planned is None:  # a hook added what this can't write: the flush runs the (idempotent) hooks again
        session.flush()
        return
    new, changed = planned
    updates = [(state, names) for state, names in changed if names]
    inserts: dict[type[Any], list[InstanceState[Any]]] = {}
    for state in new:
        inserts.setdefault(state.class_, []).append(state)
    by_columns: dict[tuple[type[Any], tuple[str, ...]], list[InstanceState[Any]]] = {}
    for state, names in updates:
        by_columns.setdefault((state.class_, names), []).append(state)
    shape: _Shape = (tuple(inserts), tuple(by_columns))
    insert_parts, update_parts, sql = _statement(shape)
    arguments: list[Any] = []
    for inserted, states in zip(insert_parts, inserts.values(), strict=True):
        arguments += inserted.values(_objects(states))
    for updated, states in zip(update_parts, by_columns.values(), strict=True):
        arguments += updated.values(_objects(states))
    if arguments:
        matched = list(session.connection().exec_driver_sql(sql, tuple(arguments)).one())
        expected = [len(states) for states in by_columns.values()]
        if expected and matched != expected:
            raise StaleDataError(f"UPDATE matched {matched} rows where {expected} were expected: deleted meanwhile")
    _as_flushed(session, new, [state for state, _ in changed])
    session.dispatch.after_flush(session, None)
    session.dispatch.after_flush_postexec(session, None)


_Changed = list[tuple[InstanceState[Any], tuple[str, ...]]]


def _plan(session: Session) -> tuple[list[InstanceState[Any]], _Changed] | None:
    """The session's new rows and changed rows with their changed columns, or None when some change is one
    this doesn't write as the ORM would."""
    if session.deleted:
        return None
    new = [inspect(obj) for obj in session.new]
    if not all(_insertable(state) for state in new):
        return None
    changed: _Changed = []
    for state in map(inspect, session.dirty):
        names = _changed_columns(state)
        if names is None:
            return None
        changed.append((state, names))
    return new, changed


def _as_flushed(session: Session, new: Sequence[InstanceState[Any]], changed: Sequence[InstanceState[Any]]) -> None:
    """The objects as a flush leaves them: the new ones persistent under their key, none with changes, and all
    known to the transaction (a rollback expunges the new ones and expires the rest)."""
    session._register_persistent({*new, *changed})  # the unit of work's own last step (a private method)


def _plain(column: Any) -> bool:
    return type(column.type) in _PLAIN_TYPES


def _insertable(state: InstanceState[Any]) -> bool:
    """A new row this writes as the ORM would: every foreign key and value already on the object."""
    mapper = state.mapper
    if mapper.inherits is not None or mapper.version_id_col is not None or len(mapper.tables) != 1:
        return False
    if any(state.attrs[rel.key].history.has_changes() for rel in mapper.relationships):
        return False  # a relationship's flush would set foreign keys or write other rows
    for column in mapper.local_table.columns:
        if column.name in SKIPPED:
            continue
        if not _plain(column):
            return False
        value = state.dict.get(mapper.get_property_by_column(column).key)
        if value is None and column.default is None and column.server_default is not None:
            return False  # the database's default would not apply (a foreign key a relationship sets: above)
        if value is None and column.default is None and isinstance(column.type, JSON):
            return False  # the ORM writes JSON null here, the arrays SQL NULL
    return True


def _changed_columns(state: InstanceState[Any]) -> tuple[str, ...] | None:
    """The columns a flush would UPDATE, with the ``onupdate`` ones it adds, each with its new value on the
    object; None for a change this does not write (relationships, the primary key, JSON set to None)."""
    mapper = state.mapper
    table = mapper.local_table
    if (
        mapper.inherits is not None
        or mapper.version_id_col is not None
        or [c.name for c in table.primary_key] != ["id"]
    ):
        return None
    if any(state.attrs[rel.key].history.has_changes() for rel in mapper.relationships):
        return None
    names: list[str] = []
    for attribute in mapper.column_attrs:
        if not state.attrs[attribute.key].history.has_changes():
            continue
        column = attribute.columns[0]
        if len(attribute.columns) != 1 or column.table is not table or column.name == "id" or not _plain(column):
            return None
        if state.dict.get(attribute.key) is None and isinstance(column.type, JSON):
            return None
        names.append(column.name)
    if not names:
        return ()
    for table_column in table.columns:  # the ORM's onupdate defaults, for columns the change didn't set itself
        default = table_column.onupdate
        if default is None or table_column.name in names:
            continue
        if default.is_clause_element or default.is_sequence:
            return None
        key = mapper.get_property_by_column(table_column).key
        value = default.arg if default.is_scalar else default.arg(None)
        setattr(state.obj(), key, value)
        names.append(table_column.name)
    return tuple(sorted(names))


@functools.lru_cache(maxsize=256)
def _statement(shape: _Shape) -> tuple[list[UnnestInsert], list[UnnestUpdate], str]:
    """The statement for one shape of change (which tables get rows, which columns change): built once each.
    It answers with the rows each UPDATE matched."""
    models, column_sets = shape
    parameter = 1
    inserts: list[UnnestInsert] = []
    for model in models:
        inserts.append(UnnestInsert(_model(model), parameter))
        parameter += inserts[-1].parameters
    updates: list[UnnestUpdate] = []
    for model, names in column_sets:
        updates.append(UnnestUpdate(_model(model), names, parameter))
        parameter += updates[-1].parameters
    parts = [f"new_{n} AS ({part.sql})" for n, part in enumerate(inserts)]
    parts += [f"changed_{n} AS ({part.sql})" for n, part in enumerate(updates)]
    counts = ", ".join(f"(SELECT count(*) FROM changed_{n})" for n in range(len(updates))) or "0"  # noqa: S608 (our own names)
    return inserts, updates, "WITH " + ",\n".join(parts) + f"\nSELECT {counts}"


def _objects(states: Sequence[InstanceState[Any]]) -> list[AdvancedDeclarativeBase]:
    return [cast(AdvancedDeclarativeBase, state.obj()) for state in states]


def _model(model: type[Any]) -> type[AdvancedDeclarativeBase]:
    assert issubclass(model, AdvancedDeclarativeBase)
    return model
