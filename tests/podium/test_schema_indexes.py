"""No index repeats the leading columns of another on its table: a composite index (or unique constraint) serves
lookups by its first columns already, so the shorter one only costs every insert and update an extra entry to
write (and the database the space). Checked on the models, which ``test_migrations`` keeps equal to the schema."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, UniqueConstraint

from podium.main.models import metadata


class Ordering(NamedTuple):
    name: str
    columns: tuple[str, ...]
    droppable: bool  # a plain index: a unique one enforces something, a partial one serves other queries
    whole: bool  # over every row (not partial), so it can serve any lookup by its leading columns


def _orderings(table: Table) -> list[Ordering]:
    """The table's indexes, unique constraints and primary key, each by its columns in order."""
    found: list[Ordering] = []
    for index in table.indexes:
        if any(not hasattr(e, "name") for e in index.expressions):
            continue  # an expression index serves other lookups than its columns'
        whole = all(index.dialect_options[dialect].get("where") is None for dialect in ("postgresql", "sqlite"))
        columns = tuple(c.name for c in index.columns)
        found.append(Ordering(str(index.name), columns, droppable=whole and not index.unique, whole=whole))
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            found.append(Ordering(str(constraint.name), tuple(c.name for c in constraint.columns), False, True))
    primary = tuple(c.name for c in table.primary_key.columns)
    if primary:
        found.append(Ordering(f"{table.name} primary key", primary, False, True))
    return sorted(found)


def redundant_indexes(tables: Iterable[Table]) -> list[str]:
    """Each plain index whose columns lead another index, constraint or key over every row of its table (of two
    equal ones, the later name)."""
    redundant = []
    for table in tables:
        orderings = _orderings(table)
        for this in orderings:
            if not this.droppable:
                continue
            width = len(this.columns)
            covering = [
                other.name
                for other in orderings
                if other.whole and other.name != this.name and other.columns[:width] == this.columns
                and (len(other.columns) > width or other.name < this.name)
            ]  # fmt: skip
            if covering:
                redundant.append(f"{table.name}.{this.name} {this.columns} is led by {covering[0]}")
    return redundant


def test_no_index_repeats_the_leading_columns_of_another() -> None:
    assert redundant_indexes(metadata.sorted_tables) == []


def test_the_check_finds_an_index_that_a_unique_constraint_or_longer_index_leads() -> None:
    """The check itself: the event_id index is led by the (event_id, code) constraint and the kind index by
    (kind, code); a partial index and a unique one are kept whatever leads them, and a partial one leads none
    (the code index serves rows the open codes' constraint leaves out)."""
    kind = Column("kind", String(20))
    table = Table(
        "example",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("event_id", Integer, index=True),
        Column("code", String(20)),
        kind,
        UniqueConstraint("event_id", "code", name="uq_example_event_code"),
        Index("ix_example_kind", "kind"),
        Index("ix_example_kind_code", "kind", "code"),
        Index("ix_example_kind_open", "kind", postgresql_where=kind != "closed"),
        Index("uq_example_event_kind", "event_id", "kind", unique=True),
        Index("ix_example_code", "code"),
        Index("uq_example_code_open", "code", "kind", unique=True, sqlite_where=kind != "closed"),
    )
    assert redundant_indexes([table]) == [
        "example.ix_example_event_id ('event_id',) is led by uq_example_event_code",
        "example.ix_example_kind ('kind',) is led by ix_example_kind_code",
    ]
