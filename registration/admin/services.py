"""Organizer tools over registrations: search and filter, CSV export, verification decisions, figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from podium.errors import NotFound
from podium.i18n import N_
from podium.spreadsheet import to_cell
from registration.models import (
    AddOn,
    Category,
    Order,
    OrderStatus,
    Question,
    Registration,
    RegistrationAddOn,
    RegistrationStatus,
)
from registration.payments.ledger import event_money
from registration.schemas import (
    ItemStats,
    RegistrationListItem,
    RegistrationStats,
)


def _filtered(
    event: Event, *, q: str | None, category: str | None, status: str | None
) -> Select[tuple[Registration, Category, Order]]:
    query = (
        select(Registration, Category, Order)
        .join(Category, Category.id == Registration.category_id)
        .join(Order, Order.id == Registration.order_id)
        .where(Registration.event_id == event.id)
    )
    if q:
        pattern = f"%{q.strip().lower()}%"
        full_name = func.lower(Registration.first_name + " " + Registration.last_name)
        query = query.where(
            or_(
                Registration.email.like(pattern),
                full_name.like(pattern),
                func.lower(Registration.affiliation).like(pattern),
            )
        )
    if category:
        query = query.where(Category.code == category)
    if status:
        query = query.where(Registration.status == status)
    return query


async def _add_on_codes(db_session: AsyncSession, registration_ids: Sequence[UUID]) -> dict[UUID, list[str]]:
    rows = (
        await db_session.execute(
            select(RegistrationAddOn.registration_id, AddOn.code)
            .join(AddOn, AddOn.id == RegistrationAddOn.add_on_id)
            .where(RegistrationAddOn.registration_id.in_(registration_ids))
            .order_by(AddOn.code)
        )
    ).all()
    codes: defaultdict[UUID, list[str]] = defaultdict(list)
    for registration_id, code in rows:
        codes[registration_id].append(code)
    return codes


def _item(registration: Registration, category: Category, order: Order, add_ons: list[str]) -> RegistrationListItem:
    due = registration.category_amount - registration.discount_amount
    due += sum(a.amount - a.discount_amount for a in registration.add_ons)
    return RegistrationListItem(
        id=registration.id,
        order_id=order.id,
        status=RegistrationStatus(registration.status),
        first_name=registration.first_name,
        last_name=registration.last_name,
        email=registration.email,
        affiliation=registration.affiliation,
        country=registration.country,
        category_code=category.code,
        category_name=category.name,
        add_on_codes=add_ons,
        amount_due=due,
        buyer_email=order.buyer_email,
        order_status=OrderStatus(order.status),
        verification_note=registration.verification_note,
        created_at=registration.created_at,
    )


async def search_registrations(
    db_session: AsyncSession,
    event: Event,
    *,
    q: str | None = None,
    category: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[RegistrationListItem]]:
    query = _filtered(event, q=q, category=category, status=status)
    total = await db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = (
        await db_session.execute(
            query.order_by(Registration.last_name, Registration.first_name, Registration.id).limit(limit).offset(offset)
        )
    ).all()
    add_ons = await _add_on_codes(db_session, [r.id for r, _, _ in rows])
    return total, [_item(r, c, o, add_ons.get(r.id, [])) for r, c, o in rows]


async def registration_of_event(db_session: AsyncSession, event: Event, registration_id: UUID) -> Registration:
    registration = await db_session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise NotFound(N_("no such registration at this event"), field="registration_id")
    return registration


async def registration_item(db_session: AsyncSession, event: Event, registration_id: UUID) -> RegistrationListItem:
    query = _filtered(event, q=None, category=None, status=None).where(Registration.id == registration_id)
    row = (await db_session.execute(query)).one_or_none()
    if row is None:
        raise NotFound(N_("no such registration at this event"), field="registration_id")
    registration, category, order = row
    add_ons = await _add_on_codes(db_session, [registration.id])
    return _item(registration, category, order, add_ons.get(registration.id, []))


async def registrations_csv(
    db_session: AsyncSession,
    event: Event,
    *,
    q: str | None = None,
    category: str | None = None,
    status: str | None = None,
) -> str:
    """Every matching registration as CSV: one column per registration question, times in the event's zone."""
    questions = (
        await db_session.scalars(select(Question).where(Question.event_id == event.id).order_by(Question.position))
    ).all()
    rows = (
        await db_session.execute(
            _filtered(event, q=q, category=category, status=status).order_by(Registration.last_name, Registration.id)
        )
    ).all()
    add_ons = await _add_on_codes(db_session, [r.id for r, _, _ in rows])
    tz = zoneinfo.ZoneInfo(event.timezone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "registration_id", "status", "first_name", "last_name", "email", "affiliation", "country",
            "category", "add_ons", "amount_due", "currency", "order_id", "order_status", "buyer_email",
            f"registered_at ({event.timezone})", *(f"q:{question.code}" for question in questions),
        ]
    )  # fmt: skip
    for registration, category_row, order in rows:
        item = _item(registration, category_row, order, add_ons.get(registration.id, []))
        writer.writerow(
            [
                to_cell(v)
                for v in (
                    item.id, item.status, item.first_name, item.last_name, item.email, item.affiliation,
                    item.country, item.category_code, ";".join(item.add_on_codes), item.amount_due,
                    order.currency, item.order_id, item.order_status, item.buyer_email,
                    registration.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                    *(registration.answers.get(question.code, "") for question in questions),
                )
            ]
        )  # fmt: skip
    return out.getvalue()


async def registration_stats(db_session: AsyncSession, event: Event) -> RegistrationStats:
    """Counts per status and revenue of paid orders, by category and by add-on, in one pass each; the money
    totals from the payment and refund rows (``ledger``), so automatic refunds count too."""
    paid = Order.status == OrderStatus.PAID
    category_rows = (
        await db_session.execute(
            select(
                Category.code,
                Category.name,
                Registration.status,
                func.count(),
                func.coalesce(func.sum(Registration.category_amount - Registration.discount_amount).filter(paid), 0),
            )
            .join(Registration, Registration.category_id == Category.id)
            .join(Order, Order.id == Registration.order_id)
            .where(Category.event_id == event.id)
            .group_by(Category.code, Category.name, Registration.status)
        )
    ).all()
    add_on_rows = (
        await db_session.execute(
            select(
                AddOn.code,
                AddOn.name,
                Registration.status,
                func.count(),
                func.coalesce(func.sum(RegistrationAddOn.amount - RegistrationAddOn.discount_amount).filter(paid), 0),
            )
            .join(RegistrationAddOn, RegistrationAddOn.add_on_id == AddOn.id)
            .join(Registration, Registration.id == RegistrationAddOn.registration_id)
            .join(Order, Order.id == Registration.order_id)
            .where(AddOn.event_id == event.id)
            .group_by(AddOn.code, AddOn.name, Registration.status)
        )
    ).all()
    money = await event_money(db_session, event.id)
    all_codes = [
        (c.code, c.name)
        for c in (
            await db_session.scalars(
                select(Category).where(Category.event_id == event.id).order_by(Category.position, Category.code)
            )
        ).all()
    ]
    all_add_ons = [
        (a.code, a.name)
        for a in (await db_session.scalars(select(AddOn).where(AddOn.event_id == event.id).order_by(AddOn.code))).all()
    ]
    return RegistrationStats(
        currency=event.currency,
        categories=_fold(all_codes, category_rows),
        add_ons=_fold(all_add_ons, add_on_rows),
        paid_orders=money.paid_orders,
        gross_revenue=money.gross,
        refunded=money.refunded,
        refund_pending=money.refund_pending,
        net_revenue=money.gross - money.refunded,
    )


def _fold(items: list[tuple[str, str]], rows: Sequence[Any]) -> list[ItemStats]:
    counts: dict[str, dict[str, int]] = {code: defaultdict(int) for code, _ in items}
    for code, _name, status, count, revenue in rows:
        counts[code][status] += count
        counts[code]["revenue"] += revenue
    return [
        ItemStats(
            code=code,
            name=name,
            confirmed=counts[code]["confirmed"],
            awaiting_verification=counts[code]["awaiting_verification"],
            held=counts[code]["held"],
            cancelled=counts[code]["cancelled"],
            revenue=counts[code]["revenue"],
        )
        for code, name in items
    ]


class DailyFigures(msgspec.Struct, frozen=True):
    """One local day of paid registrations: how many, and the money their categories brought (minor units)."""

    day: str
    registrations: int
    revenue: int


async def registrations_per_day(db_session: AsyncSession, event: Event) -> list[DailyFigures]:
    """Paid registrations per day in the event's zone, by the day their order was paid (the day the money and
    the seat became real), every day from the first to the last so quiet days show as gaps, not as nothing."""
    tz = zoneinfo.ZoneInfo(event.timezone)
    rows = (
        await db_session.execute(
            select(Order.paid_at, Registration.category_amount - Registration.discount_amount)
            .join(Registration, Registration.order_id == Order.id)
            .where(
                Order.event_id == event.id,
                Order.status == OrderStatus.PAID,
                Order.paid_at.is_not(None),
                Registration.status != RegistrationStatus.CANCELLED,
            )
        )
    ).all()
    counts: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for paid_at, amount in rows:
        figures = counts[paid_at.astimezone(tz).date()]
        figures[0] += 1
        figures[1] += int(amount or 0)
    if not counts:
        return []
    first, last = min(counts), max(counts)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    return [DailyFigures(d.isoformat(), *counts.get(d, [0, 0])) for d in days]
