"""Capacities: an item's own quota (``capacity`` on a category or add-on), shared ones spanning several items,
and event-wide ones. A size never goes below the seats already taken."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from events.services import editable_event, get_event, required_text
from podium import audit
from podium.db import begin_write
from podium.errors import Conflict, InvalidInput
from podium.i18n import N_, gettext, ngettext
from podium.rows import rows_changed
from registration.catalog import schemas as s
from registration.catalog.rows import Quotas, codes_to_ids, ids_to_codes
from registration.models import AddOn, Category, Quota, QuotaItem

# What the audit trail keeps of a quota (``podium.audit``): the organizer-set fields, never the seat counter.
_QUOTA_FIELDS = ("name", "size", "scope")


async def capacity_of(db_session: AsyncSession, item: Category | AddOn) -> tuple[int | None, int | None]:
    """The item's own capacity and its seats taken (both None when it has none)."""
    if not item.capacity_quota_id:
        return None, None
    quota = await db_session.get(Quota, item.capacity_quota_id)
    return (quota.size, quota.used) if quota else (None, None)


async def set_own_capacity(
    db_session: AsyncSession, event: Event, item: Category | AddOn, capacity: int | None
) -> None:
    """Create, resize or remove the item's own quota; shrinking below the seats taken is refused."""
    quota = await db_session.get(Quota, item.capacity_quota_id) if item.capacity_quota_id else None
    if capacity is None:
        if quota is not None:
            item.capacity_quota_id = None
            await db_session.delete(quota)
        return
    if quota is None:
        quota = await Quotas(db_session).add(
            Quota(event_id=event.id, name=item.name, size=capacity, used=0, scope="items")
        )
        key = {"category_id": item.id} if isinstance(item, Category) else {"add_on_id": item.id}
        db_session.add(QuotaItem(quota_id=quota.id, **key))
        item.capacity_quota_id = quota.id
        return
    await resize(db_session, quota, capacity, "capacity")
    quota.name = item.name


async def resize(db_session: AsyncSession, quota: Quota, size: int, field: str) -> None:
    """Set a quota's size unless more seats are taken, in one conditional UPDATE: orders may have taken
    seats since the quota was read, and the database's ``used <= size`` check would otherwise fail the
    commit (a 500). ``field`` is the name the request gave the size."""
    if await rows_changed(db_session, update(Quota).where(Quota.id == quota.id, Quota.used <= size).values(size=size)):
        await db_session.refresh(quota, ["size", "used"])
        return
    used = await db_session.scalar(select(Quota.used).where(Quota.id == quota.id))
    detail = ngettext(
        "%(num)d seat is already taken; the %(field)s can't go below that",
        "%(num)d seats are already taken; the %(field)s can't go below that",
        used or 0,
    )
    raise Conflict(detail % {"num": used or 0, "field": field}, field=field)


async def quota_read(db_session: AsyncSession, quota: Quota) -> s.QuotaRead:
    items = (
        await db_session.execute(
            select(QuotaItem.category_id, QuotaItem.add_on_id).where(QuotaItem.quota_id == quota.id)
        )
    ).all()
    return s.QuotaRead(
        id=quota.id,
        name=quota.name,
        scope=cast(Any, quota.scope),
        size=quota.size,
        used=quota.used,
        available=quota.seats_left,
        category_codes=await ids_to_codes(db_session, Category, [c for c, _ in items if c]),
        add_on_codes=await ids_to_codes(db_session, AddOn, [a for _, a in items if a]),
    )


async def list_quotas(db_session: AsyncSession, slug: str) -> list[s.QuotaRead]:
    event = await get_event(db_session, slug)
    return [await quota_read(db_session, q) for q in await Quotas(db_session).of(event)]


async def create_quota(db_session: AsyncSession, slug: str, data: s.QuotaCreate) -> s.QuotaRead:
    event = await editable_event(db_session, slug)
    category_ids = await codes_to_ids(db_session, Category, event, data.category_codes, "category_codes")
    add_on_ids = await codes_to_ids(db_session, AddOn, event, data.add_on_codes, "add_on_codes")
    if data.scope == "items" and not (category_ids or add_on_ids):
        raise InvalidInput(N_("a shared capacity needs at least one category or add-on"), field="category_codes")
    if data.scope == "event" and (category_ids or add_on_ids):
        raise InvalidInput(N_("an event-wide capacity counts everyone: list no items"), field="scope")
    quota = await Quotas(db_session).add(
        Quota(event_id=event.id, name=required_text(data.name, "name"), size=data.size, used=0, scope=data.scope)
    )
    db_session.add_all(QuotaItem(quota_id=quota.id, category_id=c) for c in category_ids)
    db_session.add_all(QuotaItem(quota_id=quota.id, add_on_id=a) for a in add_on_ids)
    state = {
        **audit.snapshot(quota, _QUOTA_FIELDS),
        "category_ids": [str(i) for i in category_ids],
        "add_on_ids": [str(i) for i in add_on_ids],
    }
    audit.record_created(db_session, "quota", quota.id, state, None, event_id=event.id)
    return await quota_read(db_session, quota)


async def update_quota(db_session: AsyncSession, slug: str, quota_id: UUID, data: s.QuotaUpdate) -> s.QuotaRead:
    await begin_write(db_session)
    event = await editable_event(db_session, slug)
    quota = await Quotas(db_session).of_event(event, quota_id)
    before = audit.snapshot(quota, _QUOTA_FIELDS)
    if data.size is not msgspec.UNSET:
        await resize(db_session, quota, data.size, "size")
    if data.name is not msgspec.UNSET:
        quota.name = required_text(data.name, "name")
    after = audit.snapshot(quota, _QUOTA_FIELDS)
    audit.record_updated(db_session, "quota", quota.id, before, after, None, event_id=event.id)
    return await quota_read(db_session, quota)


async def delete_quota(db_session: AsyncSession, slug: str, quota_id: UUID) -> None:
    event = await editable_event(db_session, slug)
    quotas = Quotas(db_session)
    quota = await quotas.of_event(event, quota_id)
    owners: tuple[type[Category] | type[AddOn], ...] = (Category, AddOn)
    for model in owners:
        owner = await db_session.scalar(select(model.name).where(model.capacity_quota_id == quota.id))
        if owner is not None:
            raise Conflict(
                gettext("this is %(owner)s's own capacity: change it there") % {"owner": owner}, field="quota_id"
            )
    await quotas.refuse_if_used(quota)
    audit.record_deleted(db_session, "quota", quota.id, audit.snapshot(quota, _QUOTA_FIELDS), None, event_id=event.id)
    await quotas.remove(quota)
