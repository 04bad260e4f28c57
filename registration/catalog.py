"""Building an event's catalog (categories, price windows, add-ons, capacities, promo codes, questions,
settings) and showing it to buyers with current prices and seats left.

Every capacity is a Quota: a category's or add-on's own (``capacity`` on the item), shared ones spanning
several items, and event-wide ones. Codes are the stable, human names the API and orders use.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar, cast
from uuid import UUID, uuid4

import msgspec
from sqlalchemy import delete, func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event, EventStatus
from events.services import get_event, required_text
from podium import audit
from podium.db import begin_write, utcnow
from podium.errors import Conflict, InvalidInput, NotFound
from podium.references import refuse_if_used
from podium.rows import rows_changed
from registration import catalog_schemas as s
from registration.models import (
    AddOn,
    Category,
    PriceWindow,
    PromoCode,
    Question,
    Quota,
    QuotaItem,
    Registration,
    RegistrationAddOn,
    RegistrationSettings,
)
from registration.pricing import Window, current_window, local_date

Row = TypeVar("Row", Category, AddOn, Quota, PromoCode, Question)


async def editable_event(db_session: AsyncSession, slug: str) -> Event:
    event = await get_event(db_session, slug)
    if event.status == EventStatus.ARCHIVED:
        raise Conflict("archived events are read-only", field="status", code="event_archived")
    return event


async def _commit(db_session: AsyncSession, conflict: Conflict) -> None:
    try:
        await db_session.commit()
    except IntegrityError as exc:
        await db_session.rollback()
        raise conflict from exc


async def _row(db_session: AsyncSession, model: type[Row], event: Event, row_id: UUID, field: str) -> Row:
    row = await db_session.get(model, row_id)
    if row is None or row.event_id != event.id:
        raise NotFound(f"no such {field.removesuffix('_id').replace('_', ' ')} at this event", field=field)
    return row


def _changes(data: msgspec.Struct) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}


async def _codes_to_ids(
    db_session: AsyncSession, model: type[Category] | type[AddOn], event: Event, codes: Sequence[str], field: str
) -> list[UUID]:
    if not codes:
        return []
    found = dict(
        (
            await db_session.execute(
                select(model.code, model.id).where(model.event_id == event.id, model.code.in_(codes))
            )
        )
        .tuples()
        .all()
    )
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidInput(f"unknown code(s): {', '.join(missing)}", field=field)
    return [found[c] for c in dict.fromkeys(codes)]


async def _ids_to_codes(
    db_session: AsyncSession, model: type[Category] | type[AddOn], ids: Sequence[str | UUID]
) -> list[str]:
    if not ids:
        return []
    wanted = [UUID(str(i)) for i in ids]
    codes = dict((await db_session.execute(select(model.id, model.code).where(model.id.in_(wanted)))).tuples().all())
    return [codes[i] for i in wanted if i in codes]


# ------------------------------------------------------------------------------------------- audit

# What the trail keeps of each item (``podium.audit``): the organizer-set fields, never the seat counters.
_CATEGORY_FIELDS = ("code", "name", "description", "eligibility", "access_code", "position", "is_active")
_ADD_ON_FIELDS = ("code", "name", "description", "kind", "amount", "category_ids", "is_active")
_QUOTA_FIELDS = ("name", "size", "scope")
_PROMO_FIELDS = ("code", "kind", "value", "category_ids", "add_on_ids", "max_uses", "valid_from", "valid_until")
_QUESTION_FIELDS = ("code", "label", "kind", "required", "options", "position")
_SETTINGS_FIELDS = (
    "hold_minutes",
    "low_income_discount_pct",
    "lower_middle_income_discount_pct",
    "upper_middle_income_discount_pct",
)


async def _category_state(db_session: AsyncSession, category: Category) -> dict[str, Any]:
    """A category with its prices (the price windows) and own capacity, as the audit trail compares them."""
    capacity, _ = await _capacity_of(db_session, category)
    return {
        **audit.snapshot(category, _CATEGORY_FIELDS),
        "price_windows": [[w.label, w.starts_on.isoformat(), w.amount] for w in category.price_windows],
        "capacity": capacity,
    }


async def _add_on_state(db_session: AsyncSession, add_on: AddOn) -> dict[str, Any]:
    capacity, _ = await _capacity_of(db_session, add_on)
    return {**audit.snapshot(add_on, _ADD_ON_FIELDS), "capacity": capacity}


# ------------------------------------------------------------------------------------------- capacities


async def _set_own_capacity(
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
        quota = Quota(event_id=event.id, name=item.name, size=capacity, used=0, scope="items")
        db_session.add(quota)
        await db_session.flush()
        key = {"category_id": item.id} if isinstance(item, Category) else {"add_on_id": item.id}
        db_session.add(QuotaItem(quota_id=quota.id, **key))
        item.capacity_quota_id = quota.id
        return
    await _resize(db_session, quota, capacity, "capacity")
    quota.name = item.name


async def _resize(db_session: AsyncSession, quota: Quota, size: int, field: str) -> None:
    """Set a quota's size unless more seats are taken, in one conditional UPDATE: orders may have taken
    seats since the quota was read, and the database's ``used <= size`` check would otherwise fail the
    commit (a 500). ``field`` is the name the request gave the size."""
    if await rows_changed(db_session, update(Quota).where(Quota.id == quota.id, Quota.used <= size).values(size=size)):
        await db_session.refresh(quota, ["size", "used"])
        return
    used = await db_session.scalar(select(Quota.used).where(Quota.id == quota.id))
    raise Conflict(f"{used} seats are already taken; the {field} can't go below that", field=field)


async def _capacity_of(db_session: AsyncSession, item: Category | AddOn) -> tuple[int | None, int | None]:
    if not item.capacity_quota_id:
        return None, None
    quota = await db_session.get(Quota, item.capacity_quota_id)
    return (quota.size, quota.used) if quota else (None, None)


# ------------------------------------------------------------------------------------------- categories


def _windows(windows: Sequence[s.PriceWindowIn]) -> list[PriceWindow]:
    if not windows:
        raise InvalidInput("a category needs at least one price window", field="price_windows")
    starts = [w.starts_on for w in windows]
    if len(set(starts)) != len(starts):
        raise InvalidInput("two price windows start on the same day", field="price_windows")
    return [
        PriceWindow(label=required_text(w.label, "price_windows"), starts_on=w.starts_on, amount=w.amount)
        for w in windows
    ]


def _replace_windows(category: Category, new: list[PriceWindow]) -> None:
    """A window kept on its first day is changed in place: deleting and inserting the same day in one flush
    would collide on (category, first day), as the ORM inserts before it deletes."""
    by_day = {w.starts_on: w for w in new}
    for window in list(category.price_windows):
        replacement = by_day.pop(window.starts_on, None)
        if replacement is None:
            category.price_windows.remove(window)
        else:
            window.label, window.amount = replacement.label, replacement.amount
    category.price_windows.extend(by_day.values())


def _check_access(eligibility: str, access_code: str | None) -> None:
    if eligibility == "access_code" and not (access_code or "").strip():
        raise InvalidInput("an access-code category needs its access code", field="access_code")


async def category_read(db_session: AsyncSession, category: Category) -> s.CategoryRead:
    capacity, used = await _capacity_of(db_session, category)
    return s.CategoryRead(
        id=category.id,
        code=category.code,
        name=category.name,
        description=category.description,
        eligibility=cast(s.Eligibility, category.eligibility),
        has_access_code=bool(category.access_code),
        position=category.position,
        is_active=category.is_active,
        capacity=capacity,
        used=used,
        price_windows=[s.PriceWindowRead(w.label, w.starts_on, w.amount) for w in category.price_windows],
    )


async def list_categories(db_session: AsyncSession, slug: str) -> list[s.CategoryRead]:
    event = await get_event(db_session, slug)
    rows = await db_session.scalars(
        select(Category).where(Category.event_id == event.id).order_by(Category.position, Category.code)
    )
    return [await category_read(db_session, c) for c in rows.all()]


async def create_category(db_session: AsyncSession, slug: str, data: s.CategoryCreate) -> s.CategoryRead:
    event = await editable_event(db_session, slug)
    _check_access(data.eligibility, data.access_code)
    category = Category(
        event_id=event.id,
        code=data.code,
        name=required_text(data.name, "name"),
        description=data.description,
        eligibility=data.eligibility,
        access_code=(data.access_code or "").strip() or None,
        position=data.position,
        is_active=True,
        price_windows=_windows(data.price_windows),
    )
    db_session.add(category)
    try:
        await db_session.flush()
    except IntegrityError as exc:
        await db_session.rollback()
        raise Conflict(f"a category with code {data.code!r} exists", field="code") from exc
    await _set_own_capacity(db_session, event, category, data.capacity)
    audit.record_created(
        db_session, "category", category.id, await _category_state(db_session, category), None, event_id=event.id
    )
    await _commit(db_session, Conflict(f"a category with code {data.code!r} exists", field="code"))
    return await category_read(db_session, category)


async def update_category(
    db_session: AsyncSession, slug: str, category_id: UUID, data: s.CategoryUpdate
) -> s.CategoryRead:
    await begin_write(db_session)
    event = await editable_event(db_session, slug)
    category = await _row(db_session, Category, event, category_id, "category_id")
    before = await _category_state(db_session, category)
    changes = _changes(data)
    windows = changes.pop("price_windows", None)
    capacity = changes.pop("capacity", msgspec.UNSET)
    for name, value in changes.items():
        setattr(category, name, required_text(value, name) if name == "name" else value)
    _check_access(category.eligibility, category.access_code)
    if windows is not None:
        _replace_windows(category, _windows([msgspec.convert(w, s.PriceWindowIn) for w in windows]))
    if capacity is not msgspec.UNSET:
        await _set_own_capacity(db_session, event, category, capacity)
    after = await _category_state(db_session, category)
    audit.record_updated(db_session, "category", category.id, before, after, None, event_id=event.id)
    await db_session.commit()
    await db_session.refresh(category, ["price_windows"])
    return await category_read(db_session, category)


async def delete_category(db_session: AsyncSession, slug: str, category_id: UUID) -> None:
    event = await editable_event(db_session, slug)
    category = await _row(db_session, Category, event, category_id, "category_id")
    taken = await db_session.scalar(
        select(func.count()).select_from(Registration).where(Registration.category_id == category.id)
    )
    if taken:
        raise Conflict("people have registered in this category: deactivate it instead", field="category_id")
    await refuse_if_used(db_session, category, what="category", field="category_id")
    before = await _category_state(db_session, category)
    audit.record_deleted(db_session, "category", category.id, before, None, event_id=event.id)
    await _set_own_capacity(db_session, event, category, None)
    await db_session.delete(category)
    await db_session.commit()


# ------------------------------------------------------------------------------------------- add-ons


async def add_on_read(db_session: AsyncSession, add_on: AddOn) -> s.AddOnRead:
    capacity, used = await _capacity_of(db_session, add_on)
    return s.AddOnRead(
        id=add_on.id,
        code=add_on.code,
        name=add_on.name,
        description=add_on.description,
        kind=cast(s.AddOnKind, add_on.kind),
        amount=add_on.amount,
        category_codes=await _ids_to_codes(db_session, Category, add_on.category_ids),
        is_active=add_on.is_active,
        capacity=capacity,
        used=used,
    )


async def list_add_ons(db_session: AsyncSession, slug: str) -> list[s.AddOnRead]:
    event = await get_event(db_session, slug)
    rows = await db_session.scalars(select(AddOn).where(AddOn.event_id == event.id).order_by(AddOn.code))
    return [await add_on_read(db_session, a) for a in rows.all()]


async def create_add_on(db_session: AsyncSession, slug: str, data: s.AddOnCreate) -> s.AddOnRead:
    event = await editable_event(db_session, slug)
    category_ids = await _codes_to_ids(db_session, Category, event, data.category_codes, "category_codes")
    add_on = AddOn(
        event_id=event.id,
        code=data.code,
        name=required_text(data.name, "name"),
        description=data.description,
        kind=data.kind,
        amount=data.amount,
        category_ids=[str(i) for i in category_ids],
        is_active=True,
    )
    db_session.add(add_on)
    try:
        await db_session.flush()
    except IntegrityError as exc:
        await db_session.rollback()
        raise Conflict(f"an add-on with code {data.code!r} exists", field="code") from exc
    await _set_own_capacity(db_session, event, add_on, data.capacity)
    audit.record_created(
        db_session, "add_on", add_on.id, await _add_on_state(db_session, add_on), None, event_id=event.id
    )
    await db_session.commit()
    return await add_on_read(db_session, add_on)


async def update_add_on(db_session: AsyncSession, slug: str, add_on_id: UUID, data: s.AddOnUpdate) -> s.AddOnRead:
    await begin_write(db_session)
    event = await editable_event(db_session, slug)
    add_on = await _row(db_session, AddOn, event, add_on_id, "add_on_id")
    before = await _add_on_state(db_session, add_on)
    changes = _changes(data)
    capacity = changes.pop("capacity", msgspec.UNSET)
    if "category_codes" in changes:
        ids = await _codes_to_ids(db_session, Category, event, changes.pop("category_codes"), "category_codes")
        add_on.category_ids = [str(i) for i in ids]
    for name, value in changes.items():
        setattr(add_on, name, required_text(value, name) if name == "name" else value)
    if capacity is not msgspec.UNSET:
        await _set_own_capacity(db_session, event, add_on, capacity)
    after = await _add_on_state(db_session, add_on)
    audit.record_updated(db_session, "add_on", add_on.id, before, after, None, event_id=event.id)
    await db_session.commit()
    return await add_on_read(db_session, add_on)


async def delete_add_on(db_session: AsyncSession, slug: str, add_on_id: UUID) -> None:
    event = await editable_event(db_session, slug)
    add_on = await _row(db_session, AddOn, event, add_on_id, "add_on_id")
    bought = await db_session.scalar(
        select(func.count()).select_from(RegistrationAddOn).where(RegistrationAddOn.add_on_id == add_on.id)
    )
    if bought:
        raise Conflict("people have bought this add-on: deactivate it instead", field="add_on_id")
    await refuse_if_used(db_session, add_on, what="add-on", field="add_on_id")
    before = await _add_on_state(db_session, add_on)
    audit.record_deleted(db_session, "add_on", add_on.id, before, None, event_id=event.id)
    await _set_own_capacity(db_session, event, add_on, None)
    await db_session.delete(add_on)
    await db_session.commit()


# ------------------------------------------------------------------------------------------- shared quotas


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
        available=max(0, quota.size - quota.used),
        category_codes=await _ids_to_codes(db_session, Category, [c for c, _ in items if c]),
        add_on_codes=await _ids_to_codes(db_session, AddOn, [a for _, a in items if a]),
    )


async def list_quotas(db_session: AsyncSession, slug: str) -> list[s.QuotaRead]:
    event = await get_event(db_session, slug)
    rows = await db_session.scalars(select(Quota).where(Quota.event_id == event.id).order_by(Quota.name))
    return [await quota_read(db_session, q) for q in rows.all()]


async def create_quota(db_session: AsyncSession, slug: str, data: s.QuotaCreate) -> s.QuotaRead:
    event = await editable_event(db_session, slug)
    category_ids = await _codes_to_ids(db_session, Category, event, data.category_codes, "category_codes")
    add_on_ids = await _codes_to_ids(db_session, AddOn, event, data.add_on_codes, "add_on_codes")
    if data.scope == "items" and not (category_ids or add_on_ids):
        raise InvalidInput("a shared capacity needs at least one category or add-on", field="category_codes")
    if data.scope == "event" and (category_ids or add_on_ids):
        raise InvalidInput("an event-wide capacity counts everyone: list no items", field="scope")
    quota = Quota(event_id=event.id, name=required_text(data.name, "name"), size=data.size, used=0, scope=data.scope)
    db_session.add(quota)
    await db_session.flush()
    db_session.add_all(QuotaItem(quota_id=quota.id, category_id=c) for c in category_ids)
    db_session.add_all(QuotaItem(quota_id=quota.id, add_on_id=a) for a in add_on_ids)
    state = {
        **audit.snapshot(quota, _QUOTA_FIELDS),
        "category_ids": [str(i) for i in category_ids],
        "add_on_ids": [str(i) for i in add_on_ids],
    }
    audit.record_created(db_session, "quota", quota.id, state, None, event_id=event.id)
    await db_session.commit()
    return await quota_read(db_session, quota)


async def update_quota(db_session: AsyncSession, slug: str, quota_id: UUID, data: s.QuotaUpdate) -> s.QuotaRead:
    await begin_write(db_session)
    event = await editable_event(db_session, slug)
    quota = await _row(db_session, Quota, event, quota_id, "quota_id")
    before = audit.snapshot(quota, _QUOTA_FIELDS)
    if data.size is not msgspec.UNSET:
        await _resize(db_session, quota, data.size, "size")
    if data.name is not msgspec.UNSET:
        quota.name = required_text(data.name, "name")
    after = audit.snapshot(quota, _QUOTA_FIELDS)
    audit.record_updated(db_session, "quota", quota.id, before, after, None, event_id=event.id)
    await db_session.commit()
    return await quota_read(db_session, quota)


async def delete_quota(db_session: AsyncSession, slug: str, quota_id: UUID) -> None:
    event = await editable_event(db_session, slug)
    quota = await _row(db_session, Quota, event, quota_id, "quota_id")
    owners: tuple[type[Category] | type[AddOn], ...] = (Category, AddOn)
    for model in owners:
        owner = await db_session.scalar(select(model.name).where(model.capacity_quota_id == quota.id))
        if owner is not None:
            raise Conflict(f"this is {owner}'s own capacity: change it there", field="quota_id")
    await refuse_if_used(db_session, quota, what="quota", field="quota_id")
    audit.record_deleted(db_session, "quota", quota.id, audit.snapshot(quota, _QUOTA_FIELDS), None, event_id=event.id)
    await db_session.delete(quota)
    await db_session.commit()


# ------------------------------------------------------------------------------------------- promo codes


async def promo_read(db_session: AsyncSession, promo: PromoCode) -> s.PromoCodeRead:
    return s.PromoCodeRead(
        id=promo.id,
        code=promo.code,
        kind=cast(Any, promo.kind),
        value=promo.value,
        category_codes=await _ids_to_codes(db_session, Category, promo.category_ids),
        add_on_codes=await _ids_to_codes(db_session, AddOn, promo.add_on_ids),
        max_uses=promo.max_uses,
        used=promo.used,
        valid_from=promo.valid_from,
        valid_until=promo.valid_until,
    )


def _check_promo(kind: str, value: int, valid_from: dt.datetime | None, valid_until: dt.datetime | None) -> None:
    if kind == "percent" and value > 100:
        raise InvalidInput("a percentage is at most 100 (100 is a free comp code)", field="value")
    if valid_from and valid_until and valid_until <= valid_from:
        raise InvalidInput("the code must stop being valid after it starts", field="valid_until")


async def list_promo_codes(db_session: AsyncSession, slug: str) -> list[s.PromoCodeRead]:
    event = await get_event(db_session, slug)
    rows = await db_session.scalars(select(PromoCode).where(PromoCode.event_id == event.id).order_by(PromoCode.code))
    return [await promo_read(db_session, p) for p in rows.all()]


async def create_promo_code(db_session: AsyncSession, slug: str, data: s.PromoCodeCreate) -> s.PromoCodeRead:
    event = await editable_event(db_session, slug)
    _check_promo(data.kind, data.value, data.valid_from, data.valid_until)
    category_ids = await _codes_to_ids(db_session, Category, event, data.category_codes, "category_codes")
    add_on_ids = await _codes_to_ids(db_session, AddOn, event, data.add_on_codes, "add_on_codes")
    promo = PromoCode(
        id=uuid4(),  # known before the flush, for its audit entry
        event_id=event.id,
        code=data.code.upper(),
        kind=data.kind,
        value=data.value,
        category_ids=[str(i) for i in category_ids],
        add_on_ids=[str(i) for i in add_on_ids],
        max_uses=data.max_uses,
        used=0,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
    )
    db_session.add(promo)
    audit.record_created(
        db_session, "promo_code", promo.id, audit.snapshot(promo, _PROMO_FIELDS), None, event_id=event.id
    )
    await _commit(db_session, Conflict(f"the code {promo.code} exists", field="code"))
    return await promo_read(db_session, promo)


async def update_promo_code(
    db_session: AsyncSession, slug: str, promo_id: UUID, data: s.PromoCodeUpdate
) -> s.PromoCodeRead:
    await begin_write(db_session)
    event = await editable_event(db_session, slug)
    promo = await _row(db_session, PromoCode, event, promo_id, "promo_code_id")
    before = audit.snapshot(promo, _PROMO_FIELDS)
    changes = _changes(data)
    max_uses = changes.pop("max_uses", msgspec.UNSET)
    for name, value in changes.items():
        setattr(promo, name, value)
    _check_promo(promo.kind, promo.value, promo.valid_from, promo.valid_until)
    if max_uses is not msgspec.UNSET:
        # Conditional, like a quota's size: orders may have used the code since it was read.
        limit = true() if max_uses is None else PromoCode.used <= max_uses
        if not await rows_changed(
            db_session, update(PromoCode).where(PromoCode.id == promo.id, limit).values(max_uses=max_uses)
        ):
            used = await db_session.scalar(select(PromoCode.used).where(PromoCode.id == promo.id))
            raise Conflict(f"the code was already used {used} times", field="max_uses")
        await db_session.refresh(promo, ["max_uses", "used"])
    after = audit.snapshot(promo, _PROMO_FIELDS)
    audit.record_updated(db_session, "promo_code", promo.id, before, after, None, event_id=event.id)
    await db_session.commit()
    return await promo_read(db_session, promo)


async def delete_promo_code(db_session: AsyncSession, slug: str, promo_id: UUID) -> None:
    event = await editable_event(db_session, slug)
    promo = await _row(db_session, PromoCode, event, promo_id, "promo_code_id")
    if promo.used:
        raise Conflict("the code has been used: end its validity instead", field="promo_code_id")
    await refuse_if_used(db_session, promo, what="promo code", field="promo_code_id")
    before = audit.snapshot(promo, _PROMO_FIELDS)
    audit.record_deleted(db_session, "promo_code", promo.id, before, None, event_id=event.id)
    await db_session.delete(promo)
    await db_session.commit()


# ------------------------------------------------------------------------------------------- questions


def question_read(question: Question) -> s.QuestionRead:
    return s.QuestionRead(
        id=question.id,
        code=question.code,
        label=question.label,
        kind=cast(Any, question.kind),
        required=question.required,
        options=list(question.options),
        position=question.position,
    )


def _check_options(kind: str, options: Sequence[str]) -> list[str]:
    cleaned = list(dict.fromkeys(o.strip() for o in options if o.strip()))
    if kind == "choice" and len(cleaned) < 2:
        raise InvalidInput("a choice needs at least two different options", field="options")
    if kind != "choice" and cleaned:
        raise InvalidInput("only choice questions have options", field="options")
    return cleaned


async def list_questions(db_session: AsyncSession, slug: str) -> list[s.QuestionRead]:
    event = await get_event(db_session, slug)
    rows = await db_session.scalars(
        select(Question).where(Question.event_id == event.id).order_by(Question.position, Question.code)
    )
    return [question_read(q) for q in rows.all()]


async def create_question(db_session: AsyncSession, slug: str, data: s.QuestionCreate) -> s.QuestionRead:
    event = await editable_event(db_session, slug)
    question = Question(
        id=uuid4(),  # known before the flush, for its audit entry
        event_id=event.id,
        code=data.code,
        label=required_text(data.label, "label"),
        kind=data.kind,
        required=data.required,
        options=_check_options(data.kind, data.options),
        position=data.position,
    )
    db_session.add(question)
    audit.record_created(
        db_session, "question", question.id, audit.snapshot(question, _QUESTION_FIELDS), None, event_id=event.id
    )
    await _commit(db_session, Conflict(f"a question with code {data.code!r} exists", field="code"))
    return question_read(question)


async def update_question(
    db_session: AsyncSession, slug: str, question_id: UUID, data: s.QuestionUpdate
) -> s.QuestionRead:
    event = await editable_event(db_session, slug)
    question = await _row(db_session, Question, event, question_id, "question_id")
    before = audit.snapshot(question, _QUESTION_FIELDS)
    changes = _changes(data)
    if "options" in changes:
        changes["options"] = _check_options(question.kind, changes["options"])
    for name, value in changes.items():
        setattr(question, name, required_text(value, name) if name == "label" else value)
    after = audit.snapshot(question, _QUESTION_FIELDS)
    audit.record_updated(db_session, "question", question.id, before, after, None, event_id=event.id)
    await db_session.commit()
    return question_read(question)


async def delete_question(db_session: AsyncSession, slug: str, question_id: UUID) -> None:
    event = await editable_event(db_session, slug)
    question = await _row(db_session, Question, event, question_id, "question_id")
    await refuse_if_used(db_session, question, what="question", field="question_id")
    before = audit.snapshot(question, _QUESTION_FIELDS)
    audit.record_deleted(db_session, "question", question.id, before, None, event_id=event.id)
    await db_session.execute(delete(Question).where(Question.id == question_id))
    await db_session.commit()


# ------------------------------------------------------------------------------------------- settings


def _default_settings(event: Event) -> RegistrationSettings:
    return RegistrationSettings(
        event_id=event.id,
        hold_minutes=15,
        low_income_discount_pct=0,
        lower_middle_income_discount_pct=0,
        upper_middle_income_discount_pct=0,
    )


async def _stored_settings(db_session: AsyncSession, event: Event) -> RegistrationSettings | None:
    return await db_session.scalar(select(RegistrationSettings).where(RegistrationSettings.event_id == event.id))


async def _settings_row(db_session: AsyncSession, event: Event) -> RegistrationSettings:
    row = await _stored_settings(db_session, event)
    if row is None:
        row = _default_settings(event)
        db_session.add(row)
        await _commit(db_session, Conflict("settings were created concurrently; retry", field="event"))
    return row


def _settings_read(row: RegistrationSettings) -> s.RegistrationSettingsRead:
    return s.RegistrationSettingsRead(
        hold_minutes=row.hold_minutes,
        low_income_discount_pct=row.low_income_discount_pct,
        lower_middle_income_discount_pct=row.lower_middle_income_discount_pct,
        upper_middle_income_discount_pct=row.upper_middle_income_discount_pct,
    )


async def get_settings(db_session: AsyncSession, slug: str) -> s.RegistrationSettingsRead:
    """The event's settings, or the defaults until an organizer saves some (a read writes nothing)."""
    event = await get_event(db_session, slug)
    return _settings_read(await _stored_settings(db_session, event) or _default_settings(event))


async def update_settings(
    db_session: AsyncSession, slug: str, data: s.RegistrationSettingsUpdate
) -> s.RegistrationSettingsRead:
    row = await _settings_row(db_session, await editable_event(db_session, slug))
    before = audit.snapshot(row, _SETTINGS_FIELDS)
    for name, value in _changes(data).items():
        setattr(row, name, value)
    after = audit.snapshot(row, _SETTINGS_FIELDS)
    audit.record_updated(db_session, "registration_settings", row.id, before, after, None, event_id=row.event_id)
    await db_session.commit()
    return _settings_read(row)


# ------------------------------------------------------------------------------------------- public view


async def public_catalog(db_session: AsyncSession, slug: str, now: dt.datetime | None = None) -> s.CatalogRead:
    """Prices of the window open today in the event's time zone, the next window, and seats left
    (the smallest room across every quota that applies; null when nothing limits it)."""
    now = now or utcnow()
    event = await get_event(db_session, slug, published_only=True)
    today = local_date(now, event.timezone)
    settings = await db_session.scalar(select(RegistrationSettings).where(RegistrationSettings.event_id == event.id))
    quotas = {q.id: q for q in (await db_session.scalars(select(Quota).where(Quota.event_id == event.id))).all()}
    items = (await db_session.execute(select(QuotaItem).join(Quota).where(Quota.event_id == event.id))).scalars().all()
    event_quotas = [q for q in quotas.values() if q.scope == "event"]
    by_item: defaultdict[UUID, list[Quota]] = defaultdict(list)
    for item in items:
        key = item.category_id or item.add_on_id
        if key is not None:
            by_item[key].append(quotas[item.quota_id])

    def available(quota_list: Sequence[Quota]) -> int | None:
        return min((max(0, q.size - q.used) for q in quota_list), default=None)

    categories = (
        await db_session.scalars(
            select(Category)
            .where(Category.event_id == event.id, Category.is_active.is_(True))
            .order_by(Category.position, Category.code)
        )
    ).all()
    category_codes = {str(c.id): c.code for c in categories}
    catalog_categories = []
    for category in categories:
        windows = [Window(w.label, w.starts_on, w.amount) for w in category.price_windows]
        window = current_window(windows, today)
        upcoming = sorted((w for w in windows if w.starts_on > today), key=lambda w: w.starts_on)
        seats = available([*event_quotas, *by_item[category.id]])
        catalog_categories.append(
            s.CatalogCategory(
                code=category.code,
                name=category.name,
                description=category.description,
                eligibility=cast(s.Eligibility, category.eligibility),
                on_sale=window is not None,
                price=window.amount if window else None,
                window=window.label if window else None,
                next_window=s.CatalogWindow(upcoming[0].label, upcoming[0].starts_on, upcoming[0].amount)
                if upcoming
                else None,
                available=seats,
                sold_out=seats == 0,
            )
        )
    add_ons = (
        await db_session.scalars(
            select(AddOn).where(AddOn.event_id == event.id, AddOn.is_active.is_(True)).order_by(AddOn.code)
        )
    ).all()
    catalog_add_ons = []
    for add_on in add_ons:
        seats = available(by_item[add_on.id])
        catalog_add_ons.append(
            s.CatalogAddOn(
                code=add_on.code,
                name=add_on.name,
                description=add_on.description,
                kind=cast(s.AddOnKind, add_on.kind),
                amount=add_on.amount,
                category_codes=[category_codes[i] for i in add_on.category_ids if i in category_codes],
                available=seats,
                sold_out=seats == 0,
            )
        )
    opens, closes = event.registration_opens_at, event.registration_closes_at
    return s.CatalogRead(
        event=event.slug,
        name=event.name,
        currency=event.currency,
        timezone=event.timezone,
        registration_open=(opens is None or opens <= now) and (closes is None or now < closes),
        registration_opens_at=opens,
        registration_closes_at=closes,
        hold_minutes=settings.hold_minutes if settings else 15,
        income_discounts={
            "low": settings.low_income_discount_pct if settings else 0,
            "lower_middle": settings.lower_middle_income_discount_pct if settings else 0,
            "upper_middle": settings.upper_middle_income_discount_pct if settings else 0,
        },
        categories=catalog_categories,
        add_ons=catalog_add_ons,
        questions=[
            question_read(q)
            for q in (
                await db_session.scalars(
                    select(Question).where(Question.event_id == event.id).order_by(Question.position, Question.code)
                )
            ).all()
        ],
    )
