"""The published catalog as buyers see it: prices of the window open today in the event's time zone, the next
window, seats left and the questions to answer."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import cast
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.brand import PageBrand, page_brand
from events.models import Event
from events.services import get_event
from podium.db import utcnow
from podium.i18n import current_locale
from podium.translated import localized
from registration.catalog import schemas as s
from registration.catalog.event_settings import default_settings, stored_settings
from registration.catalog.pricing import Window, current_window, local_date
from registration.catalog.questions import question_read
from registration.catalog.rows import Questions
from registration.models import AddOn, Category, Quota, QuotaItem


class _Seats:
    """Seats left per item: the smallest room across every quota that applies (an event-wide one applies to
    every category, never to add-ons); None when nothing limits it."""

    def __init__(self, quotas: Sequence[Quota], items: Sequence[QuotaItem]) -> None:
        by_id = {q.id: q for q in quotas}
        self.event_wide = [q for q in quotas if q.scope == "event"]
        self.by_item: defaultdict[UUID, list[Quota]] = defaultdict(list)
        for item in items:
            key = item.category_id or item.add_on_id
            if key is not None:
                self.by_item[key].append(by_id[item.quota_id])

    @staticmethod
    def _left(quotas: Sequence[Quota]) -> int | None:
        return min((q.seats_left for q in quotas), default=None)

    def of_category(self, category: Category) -> int | None:
        return self._left([*self.event_wide, *self.by_item[category.id]])

    def of_add_on(self, add_on: AddOn) -> int | None:
        return self._left(self.by_item[add_on.id])


async def _seats(db_session: AsyncSession, event: Event) -> _Seats:
    quotas = (await db_session.scalars(select(Quota).where(Quota.event_id == event.id))).all()
    items = (await db_session.scalars(select(QuotaItem).join(Quota).where(Quota.event_id == event.id))).all()
    return _Seats(quotas, items)


def _catalog_category(category: Category, today: dt.date, seats: int | None, locale: str) -> s.CatalogCategory:
    windows = [Window(w.label, w.starts_on, w.amount) for w in category.price_windows]
    window = current_window(windows, today)
    upcoming = sorted((w for w in windows if w.starts_on > today), key=lambda w: w.starts_on)
    return s.CatalogCategory(
        code=category.code,
        name=localized(category.name, category.translations, "name", locale),
        description=category.description,
        eligibility=cast(s.Eligibility, category.eligibility),
        on_sale=window is not None,
        price=window.amount if window else None,
        window=window.label if window else None,
        next_window=s.CatalogWindow(upcoming[0].label, upcoming[0].starts_on, upcoming[0].amount) if upcoming else None,
        available=seats,
        sold_out=seats == 0,
    )


def _catalog_add_on(add_on: AddOn, category_codes: dict[str, str], seats: int | None, locale: str) -> s.CatalogAddOn:
    return s.CatalogAddOn(
        code=add_on.code,
        name=localized(add_on.name, add_on.translations, "name", locale),
        description=add_on.description,
        kind=cast(s.AddOnKind, add_on.kind),
        amount=add_on.amount,
        category_codes=[category_codes[i] for i in add_on.category_ids if i in category_codes],
        available=seats,
        sold_out=seats == 0,
    )


async def _on_sale(db_session: AsyncSession, event: Event) -> tuple[Sequence[Category], Sequence[AddOn]]:
    """The active categories (in the organizer's order) and add-ons (by code)."""
    categories = await db_session.scalars(
        select(Category)
        .where(Category.event_id == event.id, Category.is_active.is_(True))
        .order_by(Category.position, Category.code)
    )
    add_ons = await db_session.scalars(
        select(AddOn).where(AddOn.event_id == event.id, AddOn.is_active.is_(True)).order_by(AddOn.code)
    )
    return categories.all(), add_ons.all()


async def public_catalog(
    db_session: AsyncSession, slug: str, now: dt.datetime | None = None, locale: str | None = None
) -> s.CatalogRead:
    """Prices of the window open today in the event's time zone, the next window, and seats left
    (the smallest room across every quota that applies; null when nothing limits it). Names are in ``locale``
    (the reader's, by default) where the organizer gave them."""
    now = now or utcnow()
    locale = locale or current_locale()
    event = await get_event(db_session, slug, published_only=True)
    today = local_date(now, event.timezone)
    settings = await stored_settings(db_session, event) or default_settings(event)
    seats = await _seats(db_session, event)
    categories, add_ons = await _on_sale(db_session, event)
    category_codes = {str(c.id): c.code for c in categories}
    opens, closes = event.registration_opens_at, event.registration_closes_at
    return s.CatalogRead(
        event=event.slug,
        name=event.name,
        currency=event.currency,
        timezone=event.timezone,
        registration_open=(opens is None or opens <= now) and (closes is None or now < closes),
        registration_opens_at=opens,
        registration_closes_at=closes,
        hold_minutes=settings.hold_minutes,
        income_discounts={
            "low": settings.low_income_discount_pct,
            "lower_middle": settings.lower_middle_income_discount_pct,
            "upper_middle": settings.upper_middle_income_discount_pct,
        },
        categories=[_catalog_category(c, today, seats.of_category(c), locale) for c in categories],
        add_ons=[_catalog_add_on(a, category_codes, seats.of_add_on(a), locale) for a in add_ons],
        questions=[question_read(q) for q in await Questions(db_session).of(event)],
    )


async def event_brand(db_session: AsyncSession, slug: str) -> PageBrand:
    """The brand for a page built from the public catalog (which carries the event's slug, not the event)."""
    return page_brand(await get_event(db_session, slug, published_only=True, with_children=False))
