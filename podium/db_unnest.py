"""Rows of a table as PostgreSQL arrays: the INSERT and UPDATE parts of a statement that writes many rows of
several tables in one round trip, the rows travelling as one array per column (``unnest``).

The SQL comes from the tables' metadata (names and types), the values from ORM objects, so a new column needs
no change here. Strings travel as TEXT (an explicit cast to VARCHAR(n) would cut a long value silently, where
the INSERT's or UPDATE's own assignment refuses it) and JSON as its encoded text. Used by a new order's one
statement (``registration.orders.write``) and by ``podium.db_flush``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from advanced_alchemy.base import AdvancedDeclarativeBase
from sqlalchemy import Column, Table, inspect
from sqlalchemy.dialects import postgresql

DIALECT = postgresql.dialect()
SKIPPED = {"sa_orm_sentinel"}  # advanced-alchemy's bulk-insert sentinel: nullable, only the ORM uses it
JSON_TYPES = {"JSON", "JSONB"}
_QUOTE = DIALECT.identifier_preparer.quote


class _Arrays:
    """Columns of one table, each sent as a typed array parameter from ``first_parameter`` on."""

    def __init__(self, model: type[AdvancedDeclarativeBase], columns: Sequence[Column[Any]], first_parameter: int):
        mapper = inspect(model)
        self.columns = list(columns)
        self.attributes = [mapper.get_property_by_column(c).key for c in self.columns]
        self.sql_types = [c.type.compile(dialect=DIALECT) for c in self.columns]
        self.json = [sql_type in JSON_TYPES for sql_type in self.sql_types]
        self.arrays = []  # "$n::TYPE[]" per column
        self.selected = []  # the column's value read back from the unnest alias, cast where it travelled as text
        for offset, (sql_type, is_json) in enumerate(zip(self.sql_types, self.json, strict=True)):
            as_text = is_json or sql_type.startswith("VARCHAR")
            self.arrays.append(f"${first_parameter + offset}::{'TEXT' if as_text else sql_type}[]")
            self.selected.append(self.read_back(f"u.c{offset}", offset))
        self.aliases = ", ".join(f"c{offset}" for offset in range(len(self.columns)))
        self.parameters = len(self.columns)

    def read_back(self, value: str, offset: int) -> str:
        """``value`` (an element of column ``offset``'s array) as the column's type: JSON travels as text."""
        return f"{value}::{self.sql_types[offset]}" if self.json[offset] else value

    def values(self, rows: Sequence[AdvancedDeclarativeBase]) -> list[list[Any]]:
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


def _table(model: type[AdvancedDeclarativeBase]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


class UnnestInsert(_Arrays):
    """``INSERT INTO table (…) SELECT … FROM unnest($n::type[], …)`` for one table, and its arrays."""

    def __init__(self, model: type[AdvancedDeclarativeBase], first_parameter: int) -> None:
        table = _table(model)
        super().__init__(model, [c for c in table.columns if c.name not in SKIPPED], first_parameter)
        names = ", ".join(_QUOTE(c.name) for c in self.columns)
        # Names and types come from our own table metadata; values travel as parameters.
        self.sql = (
            f"INSERT INTO {_QUOTE(table.name)} ({names}) SELECT {', '.join(self.selected)} "  # noqa: S608 (see above)
            f"FROM unnest({', '.join(self.arrays)}) AS u({self.aliases})"
        )
        self.table_name = table.name


class UnnestUpdate(_Arrays):
    """The UPDATE of the same columns of ``rows`` rows of one table, each found by its primary key ``id``, with
    the values as arrays (``$n::UUID[]``, ``$m::type[]``, …); one or more statements, each answering 1 per row
    it changed.

    Up to ``ROW_BY_ROW`` rows it is one ``UPDATE … WHERE id = ($n::UUID[])[i]`` per row, so each row is an
    index probe whatever the plan's guess of the table's size. The joined form (``UPDATE … FROM unnest(…)
    WHERE table.id = u.id``) is planned once per connection and kept: planned while the table was nearly empty,
    it hashes the arrays and reads the whole table, and went on doing so while the table grew (a payment's
    UPDATE read all 820 registrations and orders of a young event for its one of each). Past ``ROW_BY_ROW``
    rows the joined form stays: one statement of bounded size, where reading the table is shared by the rows.
    """

    ROW_BY_ROW = 32

    def __init__(
        self, model: type[AdvancedDeclarativeBase], column_names: Sequence[str], first_parameter: int, rows: int
    ) -> None:
        table = _table(model)
        super().__init__(model, [table.c.id, *(table.c[name] for name in column_names)], first_parameter)
        into = _QUOTE(table.name)
        names = [_QUOTE(column.name) for column in self.columns[1:]]
        if rows > self.ROW_BY_ROW:
            changes = ", ".join(f"{name} = {value}" for name, value in zip(names, self.selected[1:], strict=True))
            self.statements = [
                f"UPDATE {into} SET {changes} FROM unnest({', '.join(self.arrays)}) AS u({self.aliases}) "  # noqa: S608 (see UnnestInsert)
                f"WHERE {into}.id = u.c0 RETURNING 1"
            ]
        else:
            self.statements = []
            for row in range(1, rows + 1):
                values = [self.read_back(f"({array})[{row}]", offset) for offset, array in enumerate(self.arrays)]
                changes = ", ".join(f"{name} = {value}" for name, value in zip(names, values[1:], strict=True))
                self.statements.append(f"UPDATE {into} SET {changes} WHERE {into}.id = {values[0]} RETURNING 1")  # noqa: S608 (see UnnestInsert)
        self.table_name = table.name
