"""The catalog's rows, read and written through advanced-alchemy repositories scoped to one event.

Fetching one item of an event, listing them in the organizer's order, adding and deleting are the same for every
kind of item, so they are written once here; what differs (a quota can't shrink below its seats taken, a category
that has registrations can't go) stays with each kind. The repositories leave SQLAlchemy's errors unwrapped, so
``podium.db.savepoint`` can turn a broken unique or foreign-key rule into the domain error that names the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import msgspec
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.repository.typing import OrderingPair
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.db import savepoint
from podium.errors import Conflict, InvalidInput, NotFound
from podium.i18n import N_, ngettext
from podium.references import refuse_if_used
from registration.models import AddOn, Category, PromoCode, Question, Quota, RegistrationSettings

Row = TypeVar("Row", Category, AddOn, Quota, PromoCode, Question)


def changes(data: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH sent."""
    return {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}


class EventRows(SQLAlchemyAsyncRepository[Row]):
    """An event's items of one kind. ``what`` names the kind to people, ``field`` is the path parameter that
    names one, and ``ordering`` is the order lists come in; ``missing`` and ``in_use`` are its refusals (each
    kind's own sentence, marked for the catalogs: the kind's gender changes the words around it)."""

    what: ClassVar[str]
    missing: ClassVar[str]
    in_use: ClassVar[str]
    field: ClassVar[str]
    ordering: ClassVar[list[OrderingPair]]

    def __init__(self, db_session: AsyncSession) -> None:
        super().__init__(session=db_session, auto_refresh=False, wrap_exceptions=False)
        self.db_session = db_session

    async def of_event(self, event: Event, row_id: UUID) -> Row:
        """The item, as long as it belongs to ``event`` (another event's item is not found here)."""
        row = await self.get_one_or_none(id=row_id, event_id=event.id)
        if row is None:
            raise NotFound(self.missing, field=self.field)
        return row

    async def of(self, event: Event) -> list[Row]:
        return await self.get_many(event_id=event.id, order_by=self.ordering)

    async def add_unique(self, row: Row, taken: str) -> Row:
        """Add the item; a code the event already uses is refused with ``taken`` as the message."""
        async with savepoint(self.db_session, Conflict(taken, field="code")):
            return await self.add(row)

    async def refuse_if_used(self, row: Row) -> None:
        await refuse_if_used(self.db_session, row, what=self.what, field=self.field)

    async def remove(self, row: Row) -> None:
        """Delete the item (the caller has checked what refers to it, ``refuse_if_used``)."""
        async with savepoint(self.db_session, Conflict(self.in_use, field=self.field)):
            await self.delete(row.id)


class Categories(EventRows[Category]):
    model_type = Category
    what, field = N_("category"), "category_id"
    missing, in_use = N_("no such category at this event"), N_("the category is in use")
    ordering = [(Category.position, False), (Category.code, False)]


class AddOns(EventRows[AddOn]):
    model_type = AddOn
    what, field = N_("add-on"), "add_on_id"
    missing, in_use = N_("no such add-on at this event"), N_("the add-on is in use")
    ordering = [(AddOn.code, False)]


class Quotas(EventRows[Quota]):
    model_type = Quota
    what, field = N_("quota"), "quota_id"
    missing, in_use = N_("no such quota at this event"), N_("the quota is in use")
    ordering = [(Quota.name, False)]


class PromoCodes(EventRows[PromoCode]):
    model_type = PromoCode
    what, field = N_("promo code"), "promo_code_id"
    missing, in_use = N_("no such promo code at this event"), N_("the promo code is in use")
    ordering = [(PromoCode.code, False)]


class Questions(EventRows[Question]):
    model_type = Question
    what, field = N_("question"), "question_id"
    missing, in_use = N_("no such question at this event"), N_("the question is in use")
    ordering = [(Question.position, False), (Question.code, False)]


class SettingsRows(SQLAlchemyAsyncRepository[RegistrationSettings]):
    """An event's one settings row (absent until an organizer first saves some)."""

    model_type = RegistrationSettings

    def __init__(self, db_session: AsyncSession) -> None:
        super().__init__(session=db_session, auto_refresh=False, wrap_exceptions=False)


async def codes_to_ids(
    db_session: AsyncSession, model: type[Category] | type[AddOn], event: Event, codes: Sequence[str], field: str
) -> list[UUID]:
    """The ids of the event's items named by ``codes`` (in the order given, once each); an unknown code is
    refused by name."""
    if not codes:
        return []
    query = select(model.code, model.id).where(model.event_id == event.id, model.code.in_(codes))
    found = dict((await db_session.execute(query)).tuples().all())
    missing = [c for c in codes if c not in found]
    if missing:
        detail = ngettext("unknown code: %(codes)s", "unknown codes: %(codes)s", len(missing))
        raise InvalidInput(detail % {"codes": ", ".join(missing)}, field=field)
    return [found[c] for c in dict.fromkeys(codes)]


async def ids_to_codes(
    db_session: AsyncSession, model: type[Category] | type[AddOn], ids: Sequence[str | UUID]
) -> list[str]:
    """The codes of the items with ``ids`` (stored as JSON strings on add-ons and promo codes)."""
    if not ids:
        return []
    wanted = [UUID(str(i)) for i in ids]
    codes = dict((await db_session.execute(select(model.id, model.code).where(model.id.in_(wanted)))).tuples().all())
    return [codes[i] for i in wanted if i in codes]
