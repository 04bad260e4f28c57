"""Country → World Bank income group, for the equitable-access discount.

The table ships as data (``data/income_groups.csv``) so a yearly update is a data change, not code.
"""

from __future__ import annotations

import csv
import functools
from importlib import resources
from typing import Literal, Protocol, cast

IncomeGroup = Literal["low", "lower_middle", "upper_middle", "high"]


class DiscountSettings(Protocol):
    """What the discount needs from an event's registration settings."""

    low_income_discount_pct: int
    lower_middle_income_discount_pct: int
    upper_middle_income_discount_pct: int


@functools.cache
def income_groups() -> dict[str, IncomeGroup]:
    text = resources.files("registration").joinpath("data/income_groups.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {row["iso2"]: cast(IncomeGroup, row["income_group"]) for row in rows}


def income_group(iso2: str) -> IncomeGroup | None:
    """The group of a country (ISO 3166-1 alpha-2), or None where the World Bank doesn't classify it."""
    return income_groups().get(iso2.upper())


def discount_pct(settings: DiscountSettings | None, iso2: str) -> int:
    """The event's equitable-access discount for someone from ``iso2``: 0 for high income or unclassified."""
    if settings is None:
        return 0
    return {
        "low": settings.low_income_discount_pct,
        "lower_middle": settings.lower_middle_income_discount_pct,
        "upper_middle": settings.upper_middle_income_discount_pct,
    }.get(income_group(iso2) or "high", 0)
