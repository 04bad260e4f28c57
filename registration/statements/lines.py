"""One line of a bank statement as every format reads it, and the reading of its amounts and dates.

Parsers are pure: bytes in, ``StatementLine`` list out, or ``StatementRefused`` naming every bad row and
field at once (a 422 problem+json), so an organizer fixes the file in one go and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from typing import Literal

import msgspec

from podium.errors import FieldError, InvalidInput, naming_field
from podium.formatting import minor_unit_digits
from podium.i18n import ngettext

Direction = Literal["credit", "debit"]
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class StatementLine(msgspec.Struct, frozen=True):
    """A booked entry: ``amount`` in minor units, always positive (``direction`` says which way it went).

    ``bank_transaction_id`` is the bank's own id for the entry when the file has one; otherwise a digest of
    the line's contents and its occurrence in the file, so the same export read twice gives the same ids."""

    position: int  # the row number in a CSV file (the header is row 1), the entry's number in a CAMT file
    bank_transaction_id: str
    booked_on: dt.date
    amount: int
    currency: str
    direction: Direction
    remittance: str
    counterparty: str


class StatementRefused(InvalidInput):
    """The file can't be read as a statement; ``errors`` names each bad row and field."""

    code = "invalid_statement"


def refuse(errors: Sequence[FieldError]) -> StatementRefused:
    count = len(errors)
    first = errors[0]
    detail = ngettext(
        "the statement has %(num)d error; the first: %(first)s",
        "the statement has %(num)d errors; the first: %(first)s",
        count,
    )
    first_said = naming_field(first.field, first.message)
    return StatementRefused(detail % {"num": count, "first": first_said}, errors=errors, field=None)


def parse_amount(text: str, currency: str, *, decimal: str) -> int:
    """``"1.234,50", "EUR", decimal=","`` → ``123450`` (sign kept), exactly; ValueError otherwise.

    The other of ``.``/``,`` and spaces or apostrophes are read as thousands separators; more decimals than
    the currency has are refused rather than rounded."""
    value = text.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    sign = 1
    if value.startswith(("-", "+")):
        sign = -1 if value[0] == "-" else 1
        value = value[1:]
    elif value.endswith("-"):  # some banks write debits as "12,50-"
        sign, value = -1, value[:-1]
    thousands = "," if decimal == "." else "."
    whole, _, fraction = value.partition(decimal)
    groups = whole.split(thousands)
    if len(groups) > 1 and not (groups[0] and all(len(group) == 3 for group in groups[1:])):
        raise ValueError(f"not an amount: {text!r}")
    whole = "".join(groups)
    digits = minor_unit_digits(currency)
    if not whole.isdigit() or (fraction and not fraction.isdigit()) or len(fraction) > digits:
        raise ValueError(f"not an amount in {currency}: {text!r}")
    minor = int(fraction.ljust(digits, "0")) if digits else 0
    return sign * (int(whole) * 10**digits + minor)


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y", "%Y%m%d")


def parse_day(text: str, date_format: str | None = None) -> dt.date:
    """A booking date as banks write it: ISO, ``31.12.2026``, ``31.12.26``, ``31/12/2026`` (day first, as
    European exports do; give ``date_format`` for another), ``20261231``, or an ISO date-time."""
    value = text.strip()
    for pattern in (date_format,) if date_format else _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    if not date_format and "T" in value:
        return dt.datetime.fromisoformat(value).date()
    raise ValueError(f"not a date: {text!r}")


def check_currency(text: str) -> str:
    value = text.strip().upper()
    if not _CURRENCY.match(value):
        raise ValueError(f"not a currency code: {text!r}")
    return value


def derived_ids(keys: Sequence[tuple[str, ...]]) -> list[str]:
    """Stable ids for lines the bank gave none: a digest of each line's contents and how many identical
    lines came before it, so two equal transfers on one day stay two lines and a re-import matches both."""
    seen: Counter[tuple[str, ...]] = Counter()
    ids = []
    for key in keys:
        seen[key] += 1
        digest = hashlib.sha256("\x1f".join((*key, str(seen[key]))).encode()).hexdigest()
        ids.append("sha256:" + digest[:40])
    return ids
