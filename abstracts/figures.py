"""An abstract's one optional figure: uploaded by its submitter until the deadline, shown to its reviewers
(blind: the image only, re-encoded, no file name), to everyone once accepted and past the embargo, and printed
in the abstract book. Nobody else gets it: another person's abstract answers 404 as a missing one does.

PNG or JPEG only, recognised by their first bytes (the declared content type is ignored: a PNG named .jpg, or
an HTML file called figure.png, is judged by what it is), decoded by Pillow within a pixel budget and
re-encoded in its own format: what we serve is an image we drew, with no metadata (a camera's GPS tag, an
author's name in a PNG text chunk) and nothing a browser could sniff as a page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import warnings
from dataclasses import dataclass
from uuid import UUID

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.models import Abstract, AbstractFigure, CallForAbstracts, ReviewAssignment
from abstracts.public_list import ACCEPTED
from abstracts.reviewers import reviewer_of
from abstracts.submissions import OwnAbstract, get_own, require_editable
from events.services import get_event
from podium.auth.schemas import CurrentUser
from podium.db import utcnow
from podium.errors import InvalidInput, NotFound
from podium.i18n import N_, gettext

FIELD = "figure"
MAX_FIGURE_BYTES = 5 * 1024 * 1024
# The multipart envelope around the file, so a file just over the limit gets the clear answer, not a bare 413.
FIGURE_BODY_LIMIT = MAX_FIGURE_BYTES + 64 * 1024
MAX_SIDE = 4000  # pixels: a full-page figure at 300 dpi is ~2,500 wide
_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"))
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


class FigureTooLarge(InvalidInput):
    status_code = 413
    code = "figure_too_large"


@dataclass(frozen=True)
class CleanFigure:
    content: bytes
    content_type: str
    width: int
    height: int


def normalise_figure(content: bytes) -> CleanFigure:
    """Checked and re-encoded in its own format without metadata, or a 4xx naming the field ``figure``."""
    if not content:
        raise InvalidInput(N_("the file is empty"), field=FIELD)
    if len(content) > MAX_FIGURE_BYTES:
        raise FigureTooLarge(
            gettext("the figure is larger than %(size)d MB") % {"size": MAX_FIGURE_BYTES // (1024 * 1024)}, field=FIELD
        )
    kind = next((name for signature, name in _SIGNATURES if content.startswith(signature)), None)
    if kind is None:
        raise InvalidInput(N_("upload a PNG or JPEG image"), field=FIELD, code="unsupported_figure")
    try:
        with warnings.catch_warnings():
            # A damaged EXIF block doesn't matter (metadata is dropped); a decompression bomb is an error here.
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=[kind]) as image:
                width, height = image.size
                if width > MAX_SIDE or height > MAX_SIDE:
                    raise InvalidInput(
                        gettext("the figure is %(width)d x %(height)d pixels; at most %(side)d x %(side)d")
                        % {"width": width, "height": height, "side": MAX_SIDE},
                        field=FIELD,
                    )
                image.load()
                upright = ImageOps.exif_transpose(image)  # a phone photo's orientation, before EXIF goes
                alpha = kind == "PNG" and ("A" in upright.getbands() or "transparency" in upright.info)
                drawn = upright.convert("RGBA" if alpha else "RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
        raise InvalidInput(N_("the image can't be read (damaged or not really PNG/JPEG)"), field=FIELD) from exc
    out = io.BytesIO()
    if kind == "JPEG":
        drawn.save(out, format="JPEG", quality=90, optimize=True)
    else:
        drawn.save(out, format="PNG", optimize=True)
    return CleanFigure(out.getvalue(), CONTENT_TYPES[kind], drawn.width, drawn.height)


def _filename(name: str, content_type: str) -> str:
    """The name the submitter sees again (never a reviewer): its stem, plain characters only, our extension."""
    stem = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    safe = "".join(c if c.isalnum() or c in "-_ " else "_" for c in stem).strip()[:80] or "figure"
    return f"{safe}.{'png' if content_type == 'image/png' else 'jpg'}"


async def set_figure(
    db_session: AsyncSession, abstract_id: UUID, user: CurrentUser, content: bytes, filename: str
) -> OwnAbstract:
    """Replace the abstract's figure (until the deadline, like any edit)."""
    clean = normalise_figure(content)
    own = await get_own(db_session, abstract_id, user, lock=True)
    require_editable(own, utcnow())
    await db_session.execute(delete(AbstractFigure).where(AbstractFigure.abstract_id == abstract_id))
    db_session.add(
        AbstractFigure(
            abstract_id=abstract_id,
            filename=_filename(filename, clean.content_type),
            content_type=clean.content_type,
            size=len(clean.content),
            sha256=hashlib.sha256(clean.content).hexdigest(),
            content=clean.content,
        )
    )
    await db_session.flush()
    return own


async def remove_figure(db_session: AsyncSession, abstract_id: UUID, user: CurrentUser) -> None:
    own = await get_own(db_session, abstract_id, user, lock=True)
    require_editable(own, utcnow())
    await db_session.execute(delete(AbstractFigure).where(AbstractFigure.abstract_id == abstract_id))


async def figure_of(db_session: AsyncSession, abstract_id: UUID) -> AbstractFigure | None:
    """The figure's row without its bytes."""
    return await db_session.scalar(select(AbstractFigure).where(AbstractFigure.abstract_id == abstract_id))


async def _content(db_session: AsyncSession, abstract_id: UUID) -> tuple[bytes, str]:
    row = (
        await db_session.execute(
            select(AbstractFigure.content, AbstractFigure.content_type).where(AbstractFigure.abstract_id == abstract_id)
        )
    ).first()
    if row is None:
        raise NotFound(N_("this abstract has no figure"), field=FIELD)
    return row[0], row[1]


async def own_figure(db_session: AsyncSession, abstract_id: UUID, user: CurrentUser) -> tuple[bytes, str]:
    await get_own(db_session, abstract_id, user)  # 404 for anyone else's
    return await _content(db_session, abstract_id)


async def reviewer_figure(db_session: AsyncSession, slug: str, abstract_id: UUID, user_id: UUID) -> tuple[bytes, str]:
    """The figure of an abstract assigned to this reviewer (404 otherwise)."""
    _event, _call, reviewer = await reviewer_of(db_session, slug, user_id)
    assigned = await db_session.scalar(
        select(ReviewAssignment.id).where(
            ReviewAssignment.reviewer_id == reviewer.id, ReviewAssignment.abstract_id == abstract_id
        )
    )
    if assigned is None:
        raise NotFound(N_("no such abstract among your assignments"), field="abstract_id")
    return await _content(db_session, abstract_id)


async def public_figure(db_session: AsyncSession, slug: str, abstract_id: UUID, now: dt.datetime) -> tuple[bytes, str]:
    """An accepted abstract's figure, once the embargo has passed; before it, 404 as if there were none."""
    event = await get_event(db_session, slug, published_only=True, with_children=False)
    shown = await db_session.scalar(
        select(Abstract.id)
        .join(CallForAbstracts, CallForAbstracts.id == Abstract.call_id)
        .where(
            Abstract.id == abstract_id,
            CallForAbstracts.event_id == event.id,
            CallForAbstracts.embargo_until <= now,
            Abstract.status.in_(ACCEPTED),
        )
    )
    if shown is None:
        raise NotFound(N_("no such published abstract"), field="abstract_id")
    return await _content(db_session, abstract_id)
