"""The event's logo as badges print it: decoded and shrunk once, then the same bytes placed on every badge.

An uploaded logo may be 2000 x 2000 pixels (``events/brand.py``); a badge prints it at most ~37 x 14 mm, where
480 x 180 pixels is already ~330 dpi. Shrinking it first keeps each badge PDF (a mail attachment) small, and
since every card of a batch carries the same ``BadgeLogo``, fpdf2 finds those bytes in its image cache and
decodes the image once per PDF, not once per badge. Prepared logos are kept by digest (a digest names one
content for good), so downloading one badge after another neither reads nor decodes the image again.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image

from podium.lru import Lru

MAX_PIXELS = (480, 180)  # the widest and tallest logo box of any layout (badges/pdf.py) at ~330 dpi
_KEPT = 32  # prepared logos kept per process: one per event printing at once is plenty


@dataclass(frozen=True)
class BadgeLogo:
    """A logo ready to place: ``png`` is what goes into the PDF, ``width`` x ``height`` its pixels."""

    digest: str  # SHA-256 of the event's logo PNG, as ``Event.logo_digest`` names it
    png: bytes
    width: int
    height: int


_prepared: Lru[BadgeLogo] = Lru(size=_KEPT)


def prepare_logo(png: bytes) -> BadgeLogo:
    """The logo shrunk (never enlarged) to fit ``MAX_PIXELS``, proportions kept, re-encoded as PNG. Its digest
    is taken from the bytes themselves, so a logo replaced between reading the event and reading the image is
    kept under its own name, never under the old one's."""
    with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
        image.load()
        small = image.convert("RGBA")
    small.thumbnail(MAX_PIXELS, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="PNG")
    return BadgeLogo(digest=hashlib.sha256(png).hexdigest(), png=out.getvalue(), width=small.width, height=small.height)


def kept_logo(digest: str) -> BadgeLogo | None:
    """The logo prepared earlier in this process, if it is still kept."""
    return _prepared.get(digest)


def keep_logo(logo: BadgeLogo) -> None:
    _prepared.put(logo.digest, logo)


def fitted(logo: BadgeLogo, width: float, height: float) -> tuple[float, float]:
    """The largest size (mm) of the logo inside a ``width`` x ``height`` box, undistorted."""
    scale = min(width / logo.width, height / logo.height)
    return logo.width * scale, logo.height * scale
