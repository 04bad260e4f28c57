"""The base for every wire type: unknown fields are refused, so a typo is a 422, not a silent no-op."""

from __future__ import annotations

import msgspec


class Struct(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=False, kw_only=True):
    """Request and response bodies; one per use case (``EventCreate``, ``EventRead``)."""


# Control characters never belong in names (and PostgreSQL refuses NUL outright), so they are a 422 here,
# not a driver error later. Names must also contain something other than spaces.
_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
_NO_CONTROL_MULTILINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def line(max_length: int, min_length: int = 1) -> msgspec.Meta:
    """A one-line, printable text field."""
    return msgspec.Meta(min_length=min_length, max_length=max_length, pattern=_NO_CONTROL)


def paragraph(max_length: int) -> msgspec.Meta:
    """Free text that may span lines."""
    return msgspec.Meta(max_length=max_length, pattern=_NO_CONTROL_MULTILINE)
