"""An event's brand: an accent colour and a logo, shown on its pages, in its mails and on its badges.

Logos are PNG or JPEG only (SVG can carry script), recognised by their first bytes, decoded by Pillow within a
pixel budget and re-encoded to PNG: what we serve is an image we drew, with no metadata (a phone photo's GPS
tag) and nothing a browser could sniff as a page. The text on the colour is black or white, whichever reads
(``podium.contrast``), so any colour an organizer picks stays AA-readable.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event, EventLogo, EventStatus
from events.services import get_event
from podium import audit, contrast
from podium.errors import Conflict, InvalidInput, NotFound
from podium.i18n import N_, gettext

MAX_LOGO_BYTES = 1024 * 1024
# The multipart envelope around a 1 MB file, so a file just over the limit gets the clear answer, not a bare 413.
LOGO_BODY_LIMIT = MAX_LOGO_BYTES + 64 * 1024
MAX_SIDE = 2000  # pixels; a header logo is drawn at most ~300 px wide, a badge's at ~25 mm
_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"))
_BRAND_FIELDS = ("brand_colour", "logo_digest")


class LogoTooLarge(InvalidInput):
    status_code = 413
    code = "logo_too_large"


@dataclass(frozen=True)
class Brand:
    """What a page, mail or badge needs to draw the brand; ``ink`` is the text colour on ``colour``."""

    colour: str | None
    ink: str | None
    logo_digest: str | None


def brand_of(event: Event) -> Brand:
    colour = event.brand_colour
    return Brand(colour=colour, ink=contrast.ink_for(colour) if colour else None, logo_digest=event.logo_digest)


def logo_path(event: Event) -> str | None:
    """The logo's URL path, versioned by its digest so it can be cached for good."""
    return f"/events/{event.slug}/logo.png?v={event.logo_digest[:16]}" if event.logo_digest else None


def brand_css_path(event: Event) -> str | None:
    return f"/events/{event.slug}/brand.css?v={event.brand_colour[1:]}" if event.brand_colour else None


@dataclass(frozen=True)
class PageBrand:
    """What an event's public pages draw in their header (``templates/_event_brand.html``, from ``base.html``):
    its name linking to its page, its style sheet (``css``) and its logo (``logo``), each None when unset.
    Plain values, so a page cached per program or session version can keep it beside the body."""

    slug: str
    name: str
    css: str | None
    logo: str | None


def page_brand(event: Event) -> PageBrand:
    """The brand every page of one event carries: pages pass it to ``render`` as ``page_brand``."""
    return PageBrand(slug=event.slug, name=event.name, css=brand_css_path(event), logo=logo_path(event))


def brand_css(colour: str) -> str:
    """The per-event style sheet: the page's CSP refuses inline styles, so the colour comes in a file.

    Only surfaces whose text is ``ink`` take the colour (the site header, the event's band); links and outline
    buttons on white keep Podium's blue, which a pale brand colour would make unreadable."""
    ink = contrast.ink_for(colour)
    return (
        f".site-header,.event-brand{{background:{colour};color:{ink}}}\n"
        f".site-header a,.event-brand a{{color:{ink}}}\n"
        f".site-header :focus-visible,.event-brand :focus-visible{{outline-color:{ink}}}\n"
    )


def normalise_logo(content: bytes) -> tuple[bytes, int, int]:
    """Checked and re-encoded: (PNG bytes, width, height), or a 4xx naming the field ``logo``."""
    if not content:
        raise InvalidInput(N_("the file is empty"), field="logo")
    if len(content) > MAX_LOGO_BYTES:
        raise LogoTooLarge(
            gettext("the logo is larger than %(size)d MB") % {"size": MAX_LOGO_BYTES // (1024 * 1024)}, field="logo"
        )
    kind = next((name for signature, name in _SIGNATURES if content.startswith(signature)), None)
    if kind is None:
        raise InvalidInput(N_("upload a PNG or JPEG image"), field="logo", code="unsupported_logo")
    try:
        with warnings.catch_warnings():
            # Pillow's complaints about a damaged EXIF block don't matter (we drop metadata); a decompression
            # bomb is an error here, not a warning.
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=[kind]) as image:
                width, height = image.size
                if width > MAX_SIDE or height > MAX_SIDE:
                    raise InvalidInput(
                        gettext("the logo is %(width)d x %(height)d pixels; at most %(side)d x %(side)d")
                        % {"width": width, "height": height, "side": MAX_SIDE},
                        field="logo",
                    )
                image.load()
                converted = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
        raise InvalidInput(N_("the image can't be read (damaged or not really PNG/JPEG)"), field="logo") from exc
    out = io.BytesIO()
    converted.save(out, format="PNG", optimize=True)
    return out.getvalue(), width, height


async def _writable(db_session: AsyncSession, slug: str) -> Event:
    event = await get_event(db_session, slug, with_children=False)
    if event.status == EventStatus.ARCHIVED:
        raise Conflict(N_("archived events are read-only"), field="status", code="event_archived")
    return event


def _audit(db_session: AsyncSession, event: Event, before: dict[str, object]) -> None:
    after = audit.snapshot(event, _BRAND_FIELDS)
    audit.record_updated(db_session, "event", event.id, before, after, None, event_id=event.id)


async def set_logo(db_session: AsyncSession, slug: str, content: bytes) -> Event:
    """Replace the event's logo (one row per event: the old one goes in the same transaction)."""
    png, width, height = normalise_logo(content)
    event = await _writable(db_session, slug)
    before = audit.snapshot(event, _BRAND_FIELDS)
    await db_session.execute(delete(EventLogo).where(EventLogo.event_id == event.id))
    db_session.add(EventLogo(event_id=event.id, png=png, width=width, height=height))
    event.logo_digest = hashlib.sha256(png).hexdigest()
    _audit(db_session, event, before)
    return event


async def remove_logo(db_session: AsyncSession, slug: str) -> Event:
    event = await _writable(db_session, slug)
    before = audit.snapshot(event, _BRAND_FIELDS)
    await db_session.execute(delete(EventLogo).where(EventLogo.event_id == event.id))
    event.logo_digest = None
    _audit(db_session, event, before)
    return event


async def set_colour(db_session: AsyncSession, slug: str, colour: str | None) -> Event:
    """``None`` takes the colour away (pages fall back to Podium's own)."""
    event = await _writable(db_session, slug)
    before = audit.snapshot(event, _BRAND_FIELDS)
    event.brand_colour = contrast.normalise(colour) if colour else None
    _audit(db_session, event, before)
    return event


async def logo_png(db_session: AsyncSession, slug: str, *, published_only: bool) -> tuple[bytes, str]:
    """(PNG, digest) for serving; drafts' logos only to organizers, like the drafts themselves."""
    event = await get_event(db_session, slug, published_only=published_only, with_children=False)
    png = await db_session.scalar(select(EventLogo.png).where(EventLogo.event_id == event.id))
    if png is None or event.logo_digest is None:
        raise NotFound(gettext("the event %(slug)s has no logo") % {"slug": repr(slug)}, field="event")
    return png, event.logo_digest
