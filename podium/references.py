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
from podium.i18n import N_, gettext, known_or_as_is, ngettext

# Each referring model's noun, singular and plural, marked for the catalogs so a refusal names it in the
# reader's language; a model missing here is named in English (tests/podium/test_i18n_refusals.py lists them).
NOUNS = {
    "abstract": (N_("abstract"), N_("abstracts")),
    "abstract author": (N_("abstract author"), N_("abstract authors")),
    "add on": (N_("add-on"), N_("add-ons")),
    "bank statement line": (N_("bank statement line"), N_("bank statement lines")),
    "call for abstracts": (N_("call for abstracts"), N_("calls for abstracts")),
    "category": (N_("category"), N_("categories")),
    "checkin": (N_("check-in"), N_("check-ins")),
    "decision": (N_("decision"), N_("decisions")),
    "order": (N_("order"), N_("orders")),
    "program session": (N_("program session"), N_("program sessions")),
    "registration": (N_("registration"), N_("registrations")),
    "registration add on": (N_("registration add-on"), N_("registration add-ons")),
    "talk": (N_("talk"), N_("talks")),
}


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
    """Raise 409 ``in_use`` ("3 program sessions refer to this add-on") if anything still refers to ``row``;
    ``what`` is the kind of ``row`` as a message marked with ``N_`` (it is translated here)."""
    for ref in _references_to(row.__table__.name):
        count = await db_session.scalar(select(func.count()).select_from(ref.table).where(ref.column == row.id))
        if count:
            singular, plural = NOUNS.get(ref.noun, (ref.noun, f"{ref.noun}s"))
            detail = ngettext(
                "%(num)d %(noun)s refers to this %(what)s: change or remove it first",
                "%(num)d %(noun)s refer to this %(what)s: change or remove them first",
                count,
            )
            noun = known_or_as_is(singular if count == 1 else plural)
            raise Conflict(detail % {"num": count, "noun": noun, "what": gettext(what)}, field=field, code="in_use")
