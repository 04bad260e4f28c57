"""Registration categories and their price windows (early-bird → regular → on-site)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from uuid import UUID

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import editable_event, get_event, required_text
from podium import audit
from podium.db import begin_write
from podium.errors import Conflict, InvalidInput
from podium.i18n import N_, gettext
from podium.translated import clean_translations
from registration.catalog import schemas as s
from registration.catalog.capacity import capacity_of, set_own_capacity
from registration.catalog.rows import Categories, changes
from registration.models import Category, PriceWindow, Registration

# What the audit trail keeps of a category (``podium.audit``): the organizer-set fields, never the seat counters.
_CATEGORY_FIELDS = (
    "code",
    "name",
    "description",
    "translations",
    "eligibility",
    "access_code",
    "position",
    "is_active",
)


def item_value(name: str, value: Any) -> Any:
    """A category's or add-on's field as stored: the name trimmed and not blank, translations checked."""
    if name == "name":
        return required_text(value, name)
    if name == "translations":
        return clean_translations(value, s.NAME_TEXTS)
    return value


async def _state(db_session: AsyncSession, category: Category) -> dict[str, Any]:
    """A category with its prices (the price windows) and own capacity, as the audit trail compares them."""
    capacity, _ = await capacity_of(db_session, category)
    return {
        **audit.snapshot(category, _CATEGORY_FIELDS),
        "price_windows": [[w.label, w.starts_on.isoformat(), w.amount] for w in category.price_windows],
        "capacity": capacity,
    }


def _windows(windows: Sequence[s.PriceWindowIn]) -> list[PriceWindow]:
    if not windows:
        raise InvalidInput(N_("a category needs at least one price window"), field="price_windows")
    starts = [w.starts_on for w in windows]
    if len(set(starts)) != len(starts):
        raise InvalidInput(N_("two price windows start on the same day"), field="price_windows")
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
        raise InvalidInput(N_("an access-code category needs its access code"), field="access_code")


async def category_read(db_session: AsyncSession, category: Category) -> s.CategoryRead:
    capacity, used = await capacity_of(db_session, category)
    return s.CategoryRead(
        id=category.id,
        code=category.code,
        name=category.name,
        description=category.description,
        translations=category.translations,
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
    return [await category_read(db_session, c) for c in await Categories(db_session).of(event)]


async def create_category(db_session: AsyncSession, slug: str, data: s.CategoryCreate) -> s.CategoryRead:
    event = await editable_event(db_session, slug)
    _check_access(data.eligibility, data.access_code)
    category = Category(
        event_id=event.id,
        code=data.code,
        name=required_text(data.name, "name"),
        description=data.description,
        translations=clean_translations(data.translations, s.NAME_TEXTS),
        eligibility=data.eligibility,
        access_code=(data.access_code or "").strip() or None,
        position=data.position,
        is_active=True,
        price_windows=_windows(data.price_windows),
    )
    await Categories(db_session).add_unique(
        category, gettext("a category with code %(code)s exists") % {"code": repr(data.code)}
    )
    await set_own_capacity(db_session, event, category, data.capacity)
    audit.record_created(
        db_session, "category", category.id, await _state(db_session, category), None, event_id=event.id
    )
    return await category_read(db_session, category)


async def update_category(
    db_session: AsyncSession, slug: str, category_id: UUID, data: s.CategoryUpdate
) -> s.CategoryRead:
    await begin_write(db_session)
    event = await editable_event(db_session, slug)
    category = await Categories(db_session).of_event(event, category_id)
    before = await _state(db_session, category)
    sent = changes(data)
    windows = sent.pop("price_windows", None)
    capacity = sent.pop("capacity", msgspec.UNSET)
    for name, value in sent.items():
        setattr(category, name, item_value(name, value))
    _check_access(category.eligibility, category.access_code)
    if windows is not None:
        _replace_windows(category, _windows([msgspec.convert(w, s.PriceWindowIn) for w in windows]))
    if capacity is not msgspec.UNSET:
        await set_own_capacity(db_session, event, category, capacity)
    after = await _state(db_session, category)
    audit.record_updated(db_session, "category", category.id, before, after, None, event_id=event.id)
    await db_session.flush()
    await db_session.refresh(category, ["price_windows"])  # in their order by first day
    return await category_read(db_session, category)


async def delete_category(db_session: AsyncSession, slug: str, category_id: UUID) -> None:
    event = await editable_event(db_session, slug)
    categories = Categories(db_session)
    category = await categories.of_event(event, category_id)
    taken = await db_session.scalar(
        select(func.count()).select_from(Registration).where(Registration.category_id == category.id)
    )
    if taken:
        raise Conflict(N_("people have registered in this category: deactivate it instead"), field="category_id")
    await categories.refuse_if_used(category)
    audit.record_deleted(
        db_session, "category", category.id, await _state(db_session, category), None, event_id=event.id
    )
    await set_own_capacity(db_session, event, category, None)
    await categories.remove(category)
