"""The badge travels with the attendee's confirmation mail: the outbox (registration) renders attachments
at send time by name, and ``badge:<registration id>`` is ours."""

from __future__ import annotations

from uuid import UUID

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from badges.pdf import render_badges
from badges.services import registration_cards
from podium.settings import Settings
from registration.models import Registration
from registration.outbox import ATTACHMENT_RENDERERS, AttachmentError


async def badge_attachment(db_session: AsyncSession, settings: Settings, argument: str) -> tuple[bytes, str]:
    try:
        registration = await db_session.get(Registration, UUID(argument))
    except ValueError:
        registration = None
    if registration is None:
        raise AttachmentError(f"no registration {argument}")
    cards = await registration_cards(db_session, [registration], settings.secret_key)
    pdf = await anyio.to_thread.run_sync(render_badges, cards)
    return pdf, f"badge-{cards[0].serial}.pdf"


ATTACHMENT_RENDERERS["badge"] = badge_attachment
