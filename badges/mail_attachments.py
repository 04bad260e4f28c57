"""The badge travels with the attendee's confirmation mail: the outbox (registration) renders attachments
at send time by name, and ``badge:<registration id>`` is ours (the composition root registers
``badge_attachments`` for it).

The outbox asks for a whole batch's badges at once: one query for the registrations, one pass of
``registration_cards`` (badge rows made for all of them together, the event's signing key opened once), and
the PDFs drawn later in the outbox's worker thread."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from badges.pdf import BadgeCard, render_badges
from badges.printing import registration_cards
from podium.jobs.outbox_drain import AttachmentError, Draw
from podium.mail import Attachment
from podium.settings import Settings
from registration.models import Registration


def _draw(card: BadgeCard) -> Attachment:
    return Attachment(render_badges([card]), f"badge-{card.serial}.pdf")


async def badge_attachments(
    db_session: AsyncSession, settings: Settings, arguments: Sequence[str]
) -> dict[str, Draw | Exception]:
    answers: dict[str, Draw | Exception] = {}
    wanted: dict[str, UUID] = {}
    for argument in arguments:
        try:
            wanted[argument] = UUID(argument)
        except ValueError:
            answers[argument] = AttachmentError(f"no registration {argument}")
    found = (
        (await db_session.scalars(select(Registration).where(Registration.id.in_(set(wanted.values()))))).all()
        if wanted
        else []
    )
    cards = await registration_cards(db_session, found, settings.secret_key)
    by_id = {registration.id: card for registration, card in zip(found, cards, strict=True)}
    for argument, registration_id in wanted.items():
        card = by_id.get(registration_id)
        answers[argument] = partial(_draw, card) if card else AttachmentError(f"no registration {argument}")
    return answers
