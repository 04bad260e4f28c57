"""The demo events' registration catalogs and, on request, thousands of paid registrations.

Deterministic like the rest of the demo: fixed prices and dates; generated attendees come from fixed
name lists and their index. Registrations are inserted in bulk (the API would take minutes for 10,000),
with the quotas' ``used`` counters set to match, so the seat rules hold for everything placed afterwards.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event
from registration.models import (
    AddOn,
    Category,
    Order,
    Payment,
    PriceWindow,
    PromoCode,
    Question,
    Quota,
    QuotaItem,
    Registration,
    RegistrationSettings,
)
from registration.payments.ledger import offline_payment_id

EARLY, REGULAR = dt.date(2026, 11, 2), dt.date(2027, 2, 15)


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    prices: tuple[int, int, int]  # early-bird, regular, on-site (cents)
    eligibility: str = "open"
    access_code: str | None = None
    capacity: int | None = None


ANNUAL_CATEGORIES = (
    CategorySpec("member", "Member", (45_000, 57_500, 67_500), "member_number"),
    CategorySpec("non-member", "Non-member", (65_000, 77_500, 87_500)),
    CategorySpec("student", "Student / trainee", (15_000, 20_000, 25_000), "verification"),
    CategorySpec("patient-advocate", "Patient advocate", (10_000, 10_000, 10_000), "verification"),
    CategorySpec("government", "Government", (35_000, 35_000, 40_000)),
    CategorySpec("press", "Press", (0, 0, 0), "access_code", "PRESS-AM27", capacity=150),
    CategorySpec("speaker", "Speaker", (0, 0, 0), "access_code", "SPEAK-AM27"),
    CategorySpec("exhibitor", "Exhibitor", (30_000, 30_000, 30_000), "access_code", "EXPO-AM27", capacity=600),
)
SUMMIT_CATEGORIES = (
    CategorySpec("member", "Member", (25_000, 30_000, 35_000), "member_number"),
    CategorySpec("non-member", "Non-member", (40_000, 45_000, 50_000)),
    CategorySpec("government", "Government", (0, 0, 0)),
    CategorySpec("student", "Student / trainee", (5_000, 5_000, 5_000), "verification"),
)
WORKSHOP_ADD_ONS = (
    ("workshop-grant-writing", "Workshop: Grant Writing", 15_000, 40),
    ("workshop-rigor", "Workshop: Rigor and Reproducibility", 15_000, 50),
    ("workshop-dataviz", "Workshop: Data Visualization", 15_000, 30),
)
FIRST_NAMES = ("Ada", "Grace", "Alan", "Rosalind", "Marie", "Ibn", "Chien-Shiung", "Katherine", "Srinivasa", "Emmy")
LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Franklin", "Curie", "Sina", "Wu", "Johnson", "Ramanujan", "Noether")
COUNTRIES = ("US", "US", "US", "CA", "GB", "DE", "IN", "BR", "NG", "ET")


async def _category(db_session: AsyncSession, event: Event, spec: CategorySpec, position: int) -> Category:
    onsite = event.start_date
    category = Category(
        event_id=event.id,
        code=spec.code,
        name=spec.name,
        eligibility=spec.eligibility,
        access_code=spec.access_code,
        position=position,
        is_active=True,
        price_windows=[
            PriceWindow(label="early_bird", starts_on=EARLY, amount=spec.prices[0]),
            PriceWindow(label="regular", starts_on=REGULAR, amount=spec.prices[1]),
            PriceWindow(label="onsite", starts_on=onsite, amount=spec.prices[2]),
        ],
    )
    db_session.add(category)
    await db_session.flush()
    if spec.capacity is not None:
        category.capacity_quota_id = await _quota(db_session, event, spec.name, spec.capacity, category_id=category.id)
    return category


async def _quota(db_session: AsyncSession, event: Event, name: str, size: int, **item: uuid.UUID) -> uuid.UUID:
    quota = Quota(event_id=event.id, name=name, size=size, used=0, scope="items" if item else "event")
    db_session.add(quota)
    await db_session.flush()
    if item:
        db_session.add(QuotaItem(quota_id=quota.id, **item))
    return quota.id


async def seed_catalog(db_session: AsyncSession, event: Event) -> str:
    """The catalog that suits the event's kind; returns a one-line summary."""
    db_session.add(
        RegistrationSettings(
            event_id=event.id,
            hold_minutes=15,
            low_income_discount_pct=75,
            lower_middle_income_discount_pct=50,
            upper_middle_income_discount_pct=25,
        )
    )
    if event.kind in ("annual_meeting", "policy_summit"):
        summary = await _conference_catalog(db_session, event)
    else:
        seats = {"workshop": 40, "training": 36}.get(event.kind, 50)
        spec = CategorySpec("participant", "Participant", (15_000, 15_000, 17_500), capacity=seats)
        await _category(db_session, event, spec, 0)
        summary = f"1 category, {seats} seats"
    db_session.add_all(_questions(event))
    await db_session.flush()
    return summary


async def _conference_catalog(db_session: AsyncSession, event: Event) -> str:
    """Annual Meeting and Policy Summit: their categories, a venue quota, add-ons (Annual Meeting) and promo codes."""
    specs = ANNUAL_CATEGORIES if event.kind == "annual_meeting" else SUMMIT_CATEGORIES
    categories = [await _category(db_session, event, spec, i) for i, spec in enumerate(specs)]
    await _quota(db_session, event, "Venue capacity", 10_000 if event.kind == "annual_meeting" else 300)
    add_ons = 0
    if event.kind == "annual_meeting":
        add_ons = await _annual_add_ons(db_session, event, [str(c.id) for c in categories if c.code == "member"])
    db_session.add_all(
        [
            PromoCode(event_id=event.id, code="EARLY10", kind="percent", value=10, max_uses=500),
            PromoCode(event_id=event.id, code="COMP-GUEST", kind="percent", value=100, max_uses=25),
        ]
    )
    return f"{len(categories)} categories, {add_ons} add-ons, 2 promo codes"


async def _annual_add_ons(db_session: AsyncSession, event: Event, members: list[str]) -> int:
    """The workshops and the members-only reception, each with its own seat quota; returns how many."""
    for code, name, amount, seats in WORKSHOP_ADD_ONS:
        add_on = AddOn(event_id=event.id, code=code, name=name, kind="workshop", amount=amount, category_ids=[])
        db_session.add(add_on)
        await db_session.flush()
        add_on.capacity_quota_id = await _quota(db_session, event, name, seats, add_on_id=add_on.id)
    reception = AddOn(
        event_id=event.id,
        code="members-reception",
        name="Members' Reception",
        kind="reception",
        amount=7_500,
        category_ids=members,
    )
    db_session.add(reception)
    await db_session.flush()
    reception.capacity_quota_id = await _quota(db_session, event, reception.name, 500, add_on_id=reception.id)
    return len(WORKSHOP_ADD_ONS) + 1


def _questions(event: Event) -> list[Question]:
    """The registration questions every demo event asks."""
    return [
        Question(
            event_id=event.id,
            code="dietary",
            label="Dietary needs",
            kind="choice",
            required=True,
            options=["none", "vegetarian", "vegan", "halal", "kosher", "gluten-free"],
            position=1,
        ),
        Question(event_id=event.id, code="accessibility", label="Accessibility needs", kind="text", position=2),
        Question(
            event_id=event.id,
            code="first_meeting",
            label="Is this your first meeting with us?",
            kind="boolean",
            position=3,
        ),
    ]


PAID_AT = dt.datetime(2026, 11, 10, 15, 0, tzinfo=dt.UTC)


def _demo_id(event: Event, kind: str, i: int) -> uuid.UUID:
    """The i-th generated row's id, from the event's slug: a re-seed gives the same ids."""
    return uuid.UUID(bytes=hashlib.sha256(f"{event.slug}:{kind}:{i}".encode()).digest()[:16], version=4)


async def seed_paid_registrations(db_session: AsyncSession, event: Event, count: int) -> int:
    """``count`` paid, confirmed registrations (one per order) in the open categories, in bulk."""
    categories = (
        await db_session.scalars(
            select(Category).where(Category.event_id == event.id, Category.eligibility.in_(["open", "member_number"]))
        )
    ).all()
    if not categories or count <= 0:
        return 0
    event_quota_ids = (
        await db_session.scalars(select(Quota.id).where(Quota.event_id == event.id, Quota.scope == "event"))
    ).all()
    room = min(
        (await db_session.scalars(select(Quota.seats_left).where(Quota.id.in_(event_quota_ids)))).all(),
        default=count,
    )
    count = min(count, room)
    orders: list[dict[str, Any]] = []
    registrations: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    for i in range(count):
        category = categories[i % len(categories)]
        amount = category.price_windows[0].amount
        order = _order_row(event, i, amount)
        orders.append(order)
        if amount > 0:  # the offline payment that paid it, as ``orders.pay_offline`` records one
            payments.append(_payment_row(event, i, order["id"], amount))
        registrations.append(_registration_row(event, i, order, category))
    for start in range(0, count, 1000):
        await db_session.execute(insert(Order), orders[start : start + 1000])
        await db_session.execute(insert(Registration), registrations[start : start + 1000])
    for start in range(0, len(payments), 1000):
        await db_session.execute(insert(Payment), payments[start : start + 1000])
    await _count_against_quotas(db_session, categories, registrations, event_quota_ids)
    return count


def _order_row(event: Event, i: int, amount: int) -> dict[str, Any]:
    """The i-th demo order, paid offline; the buyer's name and email come from the fixed name tables."""
    first, last = FIRST_NAMES[i % 10], LAST_NAMES[(i // 10) % 10]
    return {
        "id": _demo_id(event, "order", i),
        "event_id": event.id,
        "status": "paid",
        "buyer_name": f"{first} {last}",
        "buyer_email": f"{first.lower()}.{last.lower()}.{i}@demo.podium.example",
        "currency": event.currency,
        "subtotal": amount,
        "discount_total": 0,
        "total": amount,
        "secret_version": 1,
        "request_hash": f"demo-{i}",
        "promo_uses": 0,
        "payment_provider": "offline",
        "paid_at": PAID_AT,
        "amount_refunded": 0,
        "created_at": PAID_AT,
        "updated_at": PAID_AT,
    }


def _payment_row(event: Event, i: int, order_id: uuid.UUID, amount: int) -> dict[str, Any]:
    """The kept offline payment that paid the i-th order."""
    return {
        "id": _demo_id(event, "payment", i),
        "order_id": order_id,
        "provider": "offline",
        "provider_payment_id": offline_payment_id(order_id),
        "amount_captured": amount,
        "currency": event.currency,
        "kept": True,
        "created_at": PAID_AT,
        "updated_at": PAID_AT,
    }


def _registration_row(event: Event, i: int, order: dict[str, Any], category: Category) -> dict[str, Any]:
    """The i-th order's one confirmed registration; member categories get a member number."""
    first, last = FIRST_NAMES[i % 10], LAST_NAMES[(i // 10) % 10]
    return {
        "id": _demo_id(event, "registration", i),
        "order_id": order["id"],
        "event_id": event.id,
        "category_id": category.id,
        "position": 0,
        "status": "confirmed",
        "email": order["buyer_email"],
        "first_name": first,
        "last_name": f"{last} {i}",
        "affiliation": "Demo University",
        "country": COUNTRIES[i % 10],
        "member_number": f"M-{100000 + i}" if category.eligibility == "member_number" else None,
        "answers": {"dietary": "none"},
        "category_amount": order["total"],
        "discount_amount": 0,
        "secret_version": 1,
        "created_at": PAID_AT,
        "updated_at": PAID_AT,
    }


async def _count_against_quotas(
    db_session: AsyncSession,
    categories: Sequence[Category],
    registrations: list[dict[str, Any]],
    event_quota_ids: Sequence[uuid.UUID],
) -> None:
    """The bulk insert bypassed quota bookkeeping: count the rows in their categories' and the event's quotas."""
    per_category: dict[uuid.UUID, int] = {}
    for row in registrations:
        per_category[row["category_id"]] = per_category.get(row["category_id"], 0) + 1
    for category in categories:
        if category.capacity_quota_id and category.id in per_category:
            await db_session.execute(
                update(Quota)
                .where(Quota.id == category.capacity_quota_id)
                .values(used=Quota.used + per_category[category.id])
            )
    if event_quota_ids:
        await db_session.execute(
            update(Quota).where(Quota.id.in_(event_quota_ids)).values(used=Quota.used + len(registrations))
        )
