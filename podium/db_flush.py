"""A session's flush as one statement on PostgreSQL, for the hottest transactions (a payment's confirmation).

The ORM's unit of work writes each table's new rows and each set of changed columns in a round trip of its
own and plans and bookkeeps every object on the way: a paid order's confirmation (its payment, two audit
entries, its receipt, the order's and its registrations' new status) took ~2 ms of CPU in the flush alone,
a third of the request. ``flush_at_once`` writes the same rows with one generated statement (``podium.db_unnest``:
one ``INSERT … SELECT FROM unnest`` per table of new rows; per table and set of changed columns, an ``UPDATE``
by primary key per row, or one ``UPDATE … FROM unnest`` for many rows; all parts of one ``WITH``), then leaves
the objects as a flush would: new ones persistent, all of them unchanged. The session's flush hooks run around
it as around a flush (``before_flush``, then ``after_flush`` and ``after_flush_postexec``), so what they add
(audit event ids, updated timestamps, a transfer's badge revocation, the jobs a change queues) happens the same
way.

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
from dataclasses import dataclass
from typing import Any, cast

from advanced_alchemy.base import AdvancedDeclarativeBase
from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import JSON, Boolean, Integer, String, Text, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.state import InstanceState

from podium.db_unnest import SKIPPED, UnnestInsert, UnnestUpdate

# The column types whose Python values asyncpg takes as they are (what the ORM's bind processing would send).
_PLAIN_TYPES = (GUID, DateTimeUTC, Boolean, Integer, String, Text, JSON)

# The tables that get new rows; each table and set of changed columns with the number of rows it changes.
_Shape = tuple[tuple[type[Any], ...], tuple[tuple[type[Any], tuple[str, ...], int], ...]]


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
    shape: _Shape = (tuple(inserts), tuple((*key, len(states)) for key, states in by_columns.items()))
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


@dataclass(frozen=True, slots=True)
class _Layout:
    """What ``_insertable`` and ``_changed_columns`` need of a mapped class, worked out once per mapper."""

    relationships: frozenset[str]
    # Of each column a new row writes: its attribute, whether the database has a default (which a NULL sent
    # would not apply), and whether it is JSON (the ORM writes JSON null for None, the arrays SQL NULL). None
    # when some column's type is one this does not know.
    inserted: tuple[tuple[str, bool, bool], ...] | None
    # Of each column a change may write: the attribute's column name and whether it is JSON.
    columns: dict[str, tuple[str, bool]]
    # Column name, attribute and ``onupdate`` default of each column a change also sets; None when one of
    # those is SQL (a change is then left to the flush; new rows, which it does not touch, are not).
    onupdate: tuple[tuple[str, str, Any], ...] | None


@functools.cache
def _layout(mapper: Mapper[Any]) -> _Layout | None:
    """None for a class this never writes: inheritance, versioning, several tables, a primary key other than
    ``id``."""
    table = mapper.local_table
    if mapper.inherits is not None or mapper.version_id_col is not None or len(mapper.tables) != 1:
        return None
    if [c.name for c in table.primary_key] != ["id"]:
        return None
    written = [column for column in table.columns if column.name not in SKIPPED]
    inserted = (
        tuple(
            (
                mapper.get_property_by_column(column).key,
                column.default is None and column.server_default is not None,
                column.default is None and isinstance(column.type, JSON),
            )
            for column in written
        )
        if all(_plain(column) for column in written)
        else None
    )
    columns: dict[str, tuple[str, bool]] = {}
    for attribute in mapper.column_attrs:
        own = attribute.columns[0]
        if len(attribute.columns) == 1 and own.table is table and own.name != "id" and _plain(own):
            columns[attribute.key] = (own.name, isinstance(own.type, JSON))
    onupdate: list[tuple[str, str, Any]] = []
    in_sql = False
    for column in table.columns:
        default = column.onupdate
        if default is None:
            continue
        in_sql = in_sql or default.is_clause_element or default.is_sequence
        onupdate.append((column.name, mapper.get_property_by_column(column).key, default))
    relationships = frozenset(rel.key for rel in mapper.relationships)
    return _Layout(relationships, inserted, columns, None if in_sql else tuple(onupdate))


def _insertable(state: InstanceState[Any]) -> bool:
    """A new row this writes as the ORM would: every foreign key and value already on the object."""
    layout = _layout(state.mapper)
    if layout is None or layout.inserted is None:
        return False
    # Every attribute set since the object was made is in ``committed_state``: a relationship among them
    # would set foreign keys or write other rows in a flush.
    if any(key in layout.relationships and state.attrs[key].history.has_changes() for key in state.committed_state):
        return False
    values = state.dict
    for key, database_default, json in layout.inserted:
        if values.get(key) is None and (database_default or json):
            return False  # the database's default would not apply / JSON null against SQL NULL
    return True


def _changed_columns(state: InstanceState[Any]) -> tuple[str, ...] | None:
    """The columns a flush would UPDATE, with the ``onupdate`` ones it adds, each with its new value on the
    object; None for a change this does not write (relationships, the primary key, JSON set to None).

    Only the attributes in ``committed_state`` can have changed: SQLAlchemy records each there when it is
    first set, changed in place (``flag_modified``) or, for a collection, appended to."""
    layout = _layout(state.mapper)
    if layout is None or layout.onupdate is None:
        return None
    names: list[str] = []
    for key in state.committed_state:
        if not state.attrs[key].history.has_changes():
            continue
        if key in layout.relationships or key not in layout.columns:
            return None
        name, json = layout.columns[key]
        if json and state.dict.get(key) is None:
            return None
        names.append(name)
    if not names:
        return ()
    for name, key, default in layout.onupdate:  # the ORM's onupdate defaults, for columns not set by the change
        if name in names:
            continue
        value = default.arg if default.is_scalar else default.arg(None)
        setattr(state.obj(), key, value)
        names.append(name)
    return tuple(sorted(names))


@functools.lru_cache(maxsize=1024)
def _statement(shape: _Shape) -> tuple[list[UnnestInsert], list[UnnestUpdate], str]:
    """The statement for one shape of change (which tables get rows, which columns change): built once each.
    It answers, per table and set of changed columns, with the rows its UPDATEs matched."""
    models, column_sets = shape
    parameter = 1
    inserts: list[UnnestInsert] = []
    for model in models:
        inserts.append(UnnestInsert(_model(model), parameter))
        parameter += inserts[-1].parameters
    updates: list[UnnestUpdate] = []
    for model, names, rows in column_sets:
        updates.append(UnnestUpdate(_model(model), names, parameter, rows))
        parameter += updates[-1].parameters
    parts = [f"new_{n} AS ({part.sql})" for n, part in enumerate(inserts)]
    counts: list[str] = []
    for n, part in enumerate(updates):
        parts += [f"changed_{n}_{i} AS ({sql})" for i, sql in enumerate(part.statements)]
        matched = (f"(SELECT count(*) FROM changed_{n}_{i})" for i in range(len(part.statements)))  # noqa: S608 (our own names)
        counts.append(" + ".join(matched))
    return inserts, updates, "WITH " + ",\n".join(parts) + f"\nSELECT {', '.join(counts) or '0'}"


def _objects(states: Sequence[InstanceState[Any]]) -> list[AdvancedDeclarativeBase]:
    return [cast(AdvancedDeclarativeBase, state.obj()) for state in states]


def _model(model: type[Any]) -> type[AdvancedDeclarativeBase]:
    assert issubclass(model, AdvancedDeclarativeBase)
    return model
