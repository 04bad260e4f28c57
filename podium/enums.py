"""Enumerated values (statuses, kinds) are defined once, as a StrEnum beside their model; the API schemas use
the enum itself and the SQL that names its values (CHECK constraints, filters in hand-written queries) is
written from it here, so adding a status is one line and nothing can disagree."""

from __future__ import annotations

from collections.abc import Iterable


def quoted(values: Iterable[str]) -> str:
    """SQL literals for ``values``, comma-separated: ``'held', 'confirmed'``. Enum values only (no quoting
    of the quote character is needed or done)."""
    listed = [str(value) for value in values]
    if any("'" in value for value in listed):
        raise ValueError(f"not an enumerated value: {listed!r}")
    return ", ".join(f"'{value}'" for value in listed)


def in_sql(column: str, values: Iterable[str]) -> str:
    """``column in ('a', 'b')`` for a CHECK constraint or a WHERE clause."""
    return f"{column} in ({quoted(values)})"
