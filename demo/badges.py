"""A demo badge PDF a newcomer can open on one screen and scan from a phone on another."""

from __future__ import annotations

from sqlalchemy import select

from badges.pdf import render_badges
from badges.printing import registration_cards
from events.models import Event
from podium.db import create_engine, session_maker
from podium.settings import Settings
from registration.models import Registration

DEMO_EVENT = "annual-meeting-2027"


async def demo_badges_pdf(settings: Settings, count: int = 4) -> bytes | None:
    """The first ``count`` paid Annual Meeting attendees' badges (4x3 in) as one PDF (None without any)."""
    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db_session:
            people = (
                await db_session.scalars(
                    select(Registration)
                    .join(Event, Event.id == Registration.event_id)
                    .where(Event.slug == DEMO_EVENT, Registration.status == "confirmed")
                    .order_by(Registration.last_name, Registration.first_name)
                    .limit(count)
                )
            ).all()
            cards = await registration_cards(db_session, people, settings.secret_key)
            await db_session.commit()  # the badges and key made for them are kept
    finally:
        await engine.dispose()
    return render_badges(cards, "4x3") if cards else None
