"""Add-ons (workshops, trainings, receptions): who may buy them and how many seats they have."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import editable_event, get_event, required_text
from podium import audit
from podium.db import begin_write
from podium.errors import Conflict
from podium.i18n import N_, gettext
from registration.catalog import schemas as s
from registration.catalog.capacity import capacity_of, set_own_capacity
from registration.catalog.categories import item_value
from registration.catalog.rows import AddOns, changes, codes_to_ids, ids_to_codes
from registration.models import AddOn, Category, RegistrationAddOn

# What the audit trail keeps of an add-on (``podium.audit``): the organizer-set fields, never the seat counters.
_ADD_ON_FIELDS = ("code", "name", "description", "translations", "kind", "amount", "category_ids", "is_active")


async def _state(db_session: AsyncSession, add_on: AddOn) -> dict[str, Any]:
    capacity, _ = await capacity_of(db_session, add_on)
    return {**audit.snapshot(add_on, _ADD_ON_FIELDS), "capacity": capacity}


async def add_on_read(db_session: AsyncSession, add_on: AddOn) -> s.AddOnRead:
    capacity, used = await capacity_of(db_session, add_on)
    return s.AddOnRead(
        id=add_on.id,
        code=add_on.code,
        name=add_on.name,
        description=add_on.description,
        translations=add_on.translations,
        kind=cast(s.AddOnKind, add_on.kind),
        amount=add_on.amount,
        category_codes=await ids_to_codes(db_session, Category, add_on.category_ids),
        is_active=add_on.is_active,
        capacity=capacity,
        used=used,
    )


async def list_add_ons(db_session: AsyncSession, slug: str) -> list[s.AddOnRead]:
    event = await get_event(db_session, slug)
    return [await add_on_read(db_session, a) for a in await AddOns(db_session).of(event)]


async def create_add_on(db_session: AsyncSession, slug: str, data: s.AddOnCreate) -> s.AddOnRead:
    event = await editable_event(db_session, slug)
    category_ids = await codes_to_ids(db_session, Category, event, data.category_codes, "category_codes")
    add_on = AddOn(
        event_id=event.id,
        code=data.code,
        name=required_text(data.name, "name"),
        description=data.description,
        translations=item_value("translations", data.translations),
        kind=data.kind,
        amount=data.amount,
        category_ids=[str(i) for i in category_ids],
        is_active=True,
    )
    await AddOns(db_session).add_unique(
        add_on, gettext("an add-on with code %(code)s exists") % {"code": repr(data.code)}
    )
    await set_own_capacity(db_session, event, add_on, data.capacity)
    audit.record_created(db_session, "add_on", add_on.id, await _state(db_session, add_on), None, event_id=event.id)
    return await add_on_read(db_session, add_on)


async def update_add_on(db_session: AsyncSession, slug: str, add_on_id: UUID, data: s.AddOnUpdate) -> s.AddOnRead:
    await begin_write(db_session)
    event = await editable_event(db_session, slug)
    add_on = await AddOns(db_session).of_event(event, add_on_id)
    before = await _state(db_session, add_on)
    sent = changes(data)
    capacity = sent.pop("capacity", msgspec.UNSET)
    if "category_codes" in sent:
        ids = await codes_to_ids(db_session, Category, event, sent.pop("category_codes"), "category_codes")
        add_on.category_ids = [str(i) for i in ids]
    for name, value in sent.items():
        setattr(add_on, name, item_value(name, value))
    if capacity is not msgspec.UNSET:
        await set_own_capacity(db_session, event, add_on, capacity)
    after = await _state(db_session, add_on)
    audit.record_updated(db_session, "add_on", add_on.id, before, after, None, event_id=event.id)
    return await add_on_read(db_session, add_on)


async def delete_add_on(db_session: AsyncSession, slug: str, add_on_id: UUID) -> None:
    event = await editable_event(db_session, slug)
    add_ons = AddOns(db_session)
    add_on = await add_ons.of_event(event, add_on_id)
    bought = await db_session.scalar(
        select(func.count()).select_from(RegistrationAddOn).where(RegistrationAddOn.add_on_id == add_on.id)
    )
    if bought:
        raise Conflict(N_("people have bought this add-on: deactivate it instead"), field="add_on_id")
    await add_ons.refuse_if_used(add_on)
    audit.record_deleted(db_session, "add_on", add_on.id, await _state(db_session, add_on), None, event_id=event.id)
    await set_own_capacity(db_session, event, add_on, None)
    await add_ons.remove(add_on)
