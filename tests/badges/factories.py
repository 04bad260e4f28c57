"""An event with a room, a workshop add-on, sessions around "now" and attendees in every state, built straight
into the database so check-in tests control exactly who has paid, cancelled or bought what."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from events.models import Event, Room
from podium.settings import Settings
from registration.models import AddOn, Category, Order, Registration, RegistrationAddOn
from sessions.models import ProgramSession
from tests.registration.factories import db_session_for

NY = "America/New_York"


@dataclass
class BadgeEvent:
    slug: str
    event_id: UUID
    room_id: UUID
    workshop_id: UUID
    member_id: UUID
    press_id: UUID
    now: dt.datetime
    sessions: dict[str, UUID] = field(default_factory=dict)


async def build_badge_event(
    settings: Settings, *, now: dt.datetime | None = None, name: str = "Badge Meeting"
) -> BadgeEvent:
    """Sessions in "Room 201": "Opening" from 10 minutes ago for an hour, "Hands-on" (needs the workshop
    add-on) in two hours, "Cancelled talk" (cancelled) in four hours."""
    now = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    async with db_session_for(settings) as db_session:
        event = Event(
            slug=f"badges-{secrets.token_hex(4)}",
            name=name,
            kind="annual_meeting",
            timezone=NY,
            venue="Hynes",
            city="Boston",
            currency="USD",
            start_date=now.date() - dt.timedelta(days=1),
            end_date=now.date() + dt.timedelta(days=2),
            status="published",
        )
        db_session.add(event)
        await db_session.flush()
        room = Room(event_id=event.id, name="Room 201", capacity=100)
        workshop = AddOn(
            event_id=event.id, code="grant-writing", name="Grant Writing Workshop", kind="workshop", amount=0
        )
        member = Category(event_id=event.id, code="member", name="Member")
        press = Category(event_id=event.id, code="press", name="Press")
        db_session.add_all([room, workshop, member, press])
        await db_session.flush()
        built = BadgeEvent(event.slug, event.id, room.id, workshop.id, member.id, press.id, now)
        for key, title, start, minutes, status, add_on in (
            ("opening", "Opening", now - dt.timedelta(minutes=10), 60, "published", None),
            ("hands_on", "Hands-on", now + dt.timedelta(hours=2), 60, "published", workshop.id),
            ("cancelled", "Cancelled talk", now + dt.timedelta(hours=4), 60, "cancelled", None),
        ):
            session = ProgramSession(
                event_id=event.id,
                title=title,
                room_id=room.id,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=minutes),
                status=status,
                required_add_on_id=add_on,
                credit_hours=Decimal("1.50"),
            )
            db_session.add(session)
            await db_session.flush()
            built.sessions[key] = session.id
        await db_session.commit()
        return built


async def add_registration(
    settings: Settings,
    event: BadgeEvent,
    *,
    first_name: str = "Ada",
    last_name: str = "Lovelace",
    status: str = "confirmed",
    order_status: str = "paid",
    workshop: bool = False,
    category: str = "member",
) -> UUID:
    async with db_session_for(settings) as db_session:
        email = f"{first_name.lower()}-{secrets.token_hex(4)}@example.org"
        order = Order(
            event_id=event.event_id,
            status=order_status,
            buyer_name=f"{first_name} {last_name}",
            buyer_email=email,
            currency="USD",
            subtotal=0,
            total=0,
            request_hash="0" * 64,
        )
        db_session.add(order)
        await db_session.flush()
        registration = Registration(
            order_id=order.id,
            event_id=event.event_id,
            category_id=event.member_id if category == "member" else event.press_id,
            status=status,
            email=email,
            first_name=first_name,
            last_name=last_name,
            affiliation="Analytical Society",
            country="GB",
            category_amount=0,
        )
        db_session.add(registration)
        await db_session.flush()
        if workshop:
            db_session.add(RegistrationAddOn(registration_id=registration.id, add_on_id=event.workshop_id, amount=0))
        await db_session.commit()
        return registration.id
