"""Pure pricing rules: which price window applies, and what each discount takes off.

No database and no clock here: callers pass today's date in the event's time zone, so the boundary
rules ("early-bird ends at local midnight") are plain date comparisons and unit-testable.
Money is integer minor units; percentages round half up to the nearest minor unit.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from registration.models import Registration


@dataclass(frozen=True, slots=True)
class Window:
    label: str
    starts_on: dt.date
    amount: int


@dataclass(frozen=True, slots=True)
class Promo:
    """A promo code as pricing sees it; empty scopes mean "everything"."""

    kind: str  # "percent" | "fixed"
    value: int
    category_ids: frozenset[str] = frozenset()
    add_on_ids: frozenset[str] = frozenset()

    @property
    def unscoped(self) -> bool:
        return not self.category_ids and not self.add_on_ids

    def covers_category(self, category_id: str) -> bool:
        return self.unscoped or category_id in self.category_ids

    def covers_add_on(self, add_on_id: str) -> bool:
        return self.unscoped or add_on_id in self.add_on_ids


@dataclass(frozen=True, slots=True)
class Line:
    """One priced item: the list amount and what discounts took off it."""

    item_id: str
    amount: int
    income_discount: int = 0
    promo_discount: int = 0

    @property
    def discount(self) -> int:
        return self.income_discount + self.promo_discount

    @property
    def due(self) -> int:
        return self.amount - self.discount


@dataclass(frozen=True, slots=True)
class AttendeeQuote:
    category: Line
    add_ons: tuple[Line, ...] = field(default_factory=tuple)

    @property
    def lines(self) -> tuple[Line, ...]:
        return (self.category, *self.add_ons)

    @property
    def subtotal(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def discount(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def total(self) -> int:
        return self.subtotal - self.discount

    @property
    def promo_used(self) -> bool:
        return any(line.promo_discount for line in self.lines)


def local_date(now: dt.datetime, timezone: str) -> dt.date:
    """The calendar day at the event right now; windows turn over at the event's local midnight."""
    return now.astimezone(zoneinfo.ZoneInfo(timezone)).date()


def current_window(windows: Iterable[Window], today: dt.date) -> Window | None:
    """The latest window that has started; ``None`` before the first one (not on sale yet)."""
    started = [w for w in windows if w.starts_on <= today]
    return max(started, key=lambda w: w.starts_on) if started else None


def percent_of(amount: int, percent: int) -> int:
    return min(amount, (amount * percent + 50) // 100)


def promo_discount(promo: Promo, amount: int) -> int:
    if promo.kind == "percent":
        return percent_of(amount, promo.value)
    return min(amount, promo.value)


def quote_attendee(
    *,
    category_id: str,
    category_amount: int,
    add_ons: Sequence[tuple[str, int]],
    income_discount_pct: int = 0,
    promo: Promo | None = None,
) -> AttendeeQuote:
    """Price one attendee: the income-tier discount applies to the registration fee first, then the
    promo code to whatever it covers (fee and/or add-ons) of what remains."""
    income = percent_of(category_amount, income_discount_pct)
    fee_promo = promo_discount(promo, category_amount - income) if promo and promo.covers_category(category_id) else 0
    category = Line(category_id, category_amount, income_discount=income, promo_discount=fee_promo)
    priced_add_ons = tuple(
        Line(
            add_on_id,
            amount,
            promo_discount=promo_discount(promo, amount) if promo and promo.covers_add_on(add_on_id) else 0,
        )
        for add_on_id, amount in add_ons
    )
    return AttendeeQuote(category=category, add_ons=priced_add_ons)


def amount_due(registration: Registration) -> int:
    """What one registration costs after its discounts: its category and add-ons (the base of refunds and the fee
    a visa letter prints)."""
    lines = registration.category_amount - registration.discount_amount
    return lines + sum(a.amount - a.discount_amount for a in registration.add_ons)
