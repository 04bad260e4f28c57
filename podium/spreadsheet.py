"""CSV cells that spreadsheet apps open as text, never as formulas (CSV injection), and back again.

Every CSV we export goes through ``to_cell``; ``from_cell`` undoes it for the files we import, so an
exported program imported again keeps its titles exactly.
"""

from __future__ import annotations

from typing import Any

# Spreadsheet apps run cells that start with these as formulas.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def from_cell(text: str) -> str:
    """The value ``to_cell`` wrote: the quote it added before a formula character comes off again."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text
