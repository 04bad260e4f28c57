"""Refuse to delete a row that other rows still use, naming them, instead of a foreign-key error (a 500).

Which references count is read from the models' metadata, so a new foreign key needs no edit here: any
that does not cascade. RESTRICT and NO ACTION would make the database refuse the DELETE; SET NULL would
quietly unplace what used the row (sessions losing their room or track), which an organizer must decide.
Cascading ones (a room's door checkpoint, a category's price windows) belong to the row and go with it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from podium.db import metadata, orm_registry
from podium.errors import Conflict


@dataclass(frozen=True)
class _Reference:
    table: Table
    column: Column[Any]
    noun: str


def _noun(table: Table) -> str:
    """``program_session`` → "program session", from the model's class name where there is one."""
    for mapper in orm_registry.mappers:
        if mapper.local_table is table:
            return re.sub(r"(?<!^)(?=[A-Z])", " ", mapper.class_.__name__).lower()
    return table.name.replace("_", " ")


@functools.cache
def _references_to(table_name: str) -> tuple[_Reference, ...]:
    found: list[_Reference] = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        for fk in table.foreign_keys:
            cascades = (fk.ondelete or "").upper() == "CASCADE"
            if fk.column.table.name == table_name and table.name != table_name and not cascades:
                found.append(_Reference(table, fk.parent, _noun(table)))
    return tuple(found)


async def refuse_if_used(db_session: AsyncSession, row: Any, *, what: str, field: str) -> None:
    """Raise 409 ``in_use`` ("3 program sessions refer to this add-on") if anything still refers to ``row``."""
    for ref in _references_to(row.__table__.name):
        count = await db_session.scalar(select(func.count()).select_from(ref.table).where(ref.column == row.id))
        if count:
            they = f"1 {ref.noun} refers" if count == 1 else f"{count} {ref.noun}s refer"
            raise Conflict(
                f"{they} to this {what}: change or remove {'it' if count == 1 else 'them'} first",
                field=field,
                code="in_use",
            )
