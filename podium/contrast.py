"""WCAG 2.x contrast, written once: which ink (black or white) reads on an organizer's brand colour.

Every place that paints a brand colour (event pages, mails, badges) takes its text colour from ``ink_for``,
so a pale yellow gets black text and a navy white text, and none of them can fall under AA (4.5:1). Black or
white always reaches it: the worst colour for both (relative luminance ~0.18) still gives 4.58:1.
"""

from __future__ import annotations

import re

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
BLACK, WHITE = "#000000", "#ffffff"
AA_NORMAL_TEXT = 4.5


def parse_hex(colour: str) -> tuple[int, int, int]:
    """``#rrggbb`` -> (r, g, b) in 0..255; anything else is a ValueError (callers validate first)."""
    if not HEX_COLOUR.match(colour):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    r, g, b = parse_hex(colour)
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio, 1.0 (same) to 21.0 (black on white); symmetric."""
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def ink_for(background: str) -> str:
    """The text colour for ``background``: black or white, whichever contrasts more."""
    return BLACK if contrast_ratio(background, BLACK) >= contrast_ratio(background, WHITE) else WHITE


def normalise(colour: str) -> str:
    """Lower-case ``#rrggbb``, so one colour has one spelling (and one ETag)."""
    parse_hex(colour)
    return colour.lower()
