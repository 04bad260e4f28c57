"""The attendee's letter request checked field by field: every wrong field is named in one 422, so the page
shows all of them at once."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import cache

from babel import Locale

from podium.errors import FieldError, InvalidInput, naming_field
from podium.i18n import gettext
from registration.letters.sealing import PassportData

PASSPORT_NUMBER = re.compile(r"[A-Z0-9]{5,20}")
NAME_MIN, NAME_MAX = 2, 100
CITY_MIN, CITY_MAX = 2, 120
OLDEST_YEARS = 120  # a date of birth further back is a typing mistake


@cache
def country_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code → English name (Babel's territories; the numeric region codes are left out)."""
    territories = Locale("en").territories
    return {str(code): str(territories[code]) for code in territories if len(str(code)) == 2 and str(code).isalpha()}


@cache
def countries() -> frozenset[str]:
    return frozenset(country_names()) - {"ZZ"}


def _text(value: str) -> str:
    """Spaces collapsed; control characters are refused by the caller."""
    return " ".join(value.split())


def _has_control(value: str) -> bool:
    return any(unicodedata.category(c).startswith("C") for c in value)


def check_request(
    *, passport_name: str, nationality: str, passport_number: str, date_of_birth: str, embassy_city: str, today: dt.date
) -> tuple[PassportData, str]:
    """(the passport data, the embassy's city), normalised, or ``InvalidInput`` naming every bad field."""
    errors: list[FieldError] = []
    name = _text(passport_name)
    if _has_control(passport_name) or not NAME_MIN <= len(name) <= NAME_MAX:
        message = gettext("the name as in the passport, %(min)d to %(max)d characters")
        errors.append(FieldError("passport_name", message % {"min": NAME_MIN, "max": NAME_MAX}))
    country = nationality.strip().upper()
    if country not in countries():
        errors.append(FieldError("nationality", gettext("a country code (ISO 3166-1 alpha-2, such as BR or NG)")))
    number = "".join(passport_number.split()).upper()
    if not PASSPORT_NUMBER.fullmatch(number):
        errors.append(FieldError("passport_number", gettext("5 to 20 letters and digits, as printed in the passport")))
    birth = _birth_date(date_of_birth, today, errors)
    city = _text(embassy_city)
    if _has_control(embassy_city) or not CITY_MIN <= len(city) <= CITY_MAX:
        message = gettext("the embassy's or consulate's city, %(min)d to %(max)d characters")
        errors.append(FieldError("embassy_city", message % {"min": CITY_MIN, "max": CITY_MAX}))
    if errors or birth is None:
        first = errors[0]
        detail = "; ".join(naming_field(e.field, e.message) for e in errors)
        raise InvalidInput(detail, field=first.field, errors=errors)
    data = PassportData(passport_name=name, nationality=country, passport_number=number, date_of_birth=birth)
    return data, city


def _birth_date(value: str, today: dt.date, errors: list[FieldError]) -> dt.date | None:
    try:
        birth = dt.date.fromisoformat(value.strip())
    except ValueError:
        errors.append(FieldError("date_of_birth", gettext("a date, YYYY-MM-DD")))
        return None
    if birth >= today:
        errors.append(FieldError("date_of_birth", gettext("the date of birth must be in the past")))
        return None
    if birth.year < today.year - OLDEST_YEARS:
        message = gettext("a date of birth in the last %(years)d years")
        errors.append(FieldError("date_of_birth", message % {"years": OLDEST_YEARS}))
        return None
    return birth


def mask(number_tail: str | None) -> str | None:
    """What an attendee sees of their passport number: its last three characters."""
    return f"•••••{number_tail}" if number_tail else None
