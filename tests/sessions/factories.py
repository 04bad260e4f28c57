"""A small event with rooms, tracks and add-ons built straight into the database, for program tests.

Its days (13 to 16 March 2027, New York) straddle the switch to daylight saving time on the 14th, so local
times that don't exist and offsets that change mid-event are close at hand.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from events.models import Event, Room, Track
from podium.settings import Settings
from registration.models import AddOn, Category, Order, Registration, RegistrationAddOn
from tests.asgi_client import Client
from tests.registration.factories import db_session_for

NY = ZoneInfo("America/New_York")
FIRST_DAY, LAST_DAY = dt.date(2027, 3, 13), dt.date(2027, 3, 16)


@dataclass(frozen=True)
class ProgramEvent:
    slug: str
    event_id: UUID
    rooms: dict[str, UUID]
    tracks: dict[str, UUID]
    workshop_add_on: UUID
    foreign_add_on: UUID


def at(day: int, hour: int, minute: int = 0) -> str:
    """An ISO instant for a local wall-clock time on 13 + ``day`` March 2027 in New York."""
    return dt.datetime(2027, 3, 13 + day, hour, minute, tzinfo=NY).isoformat()


async def build_program_event(settings: Settings, *, status: str = "published") -> ProgramEvent:
    async with db_session_for(settings) as db_session:
        slug = f"program-{secrets.token_hex(4)}"
        event = Event(
            slug=slug,
            name="Program Test Meeting",
            kind="annual_meeting",
            timezone="America/New_York",
            venue="Hynes",
            city="Boston",
            currency="USD",
            start_date=FIRST_DAY,
            end_date=LAST_DAY,
            status=status,
        )
        other = Event(
            slug=f"other-{secrets.token_hex(4)}",
            name="Another Meeting",
            kind="workshop",
            timezone="America/New_York",
            venue="Elsewhere",
            currency="USD",
            start_date=FIRST_DAY,
            end_date=FIRST_DAY,
            status="published",
        )
        db_session.add_all([event, other])
        await db_session.flush()
        rooms = [
            Room(event_id=event.id, name="Hall A", capacity=300),
            Room(event_id=event.id, name="Room 101", capacity=40),
        ]
        tracks = [
            Track(event_id=event.id, name="Basic Science", colour="#1f6feb"),
            Track(event_id=event.id, name="Health Policy", colour="#9a6700"),
        ]
        workshop = AddOn(event_id=event.id, code="workshop-grants", name="Grant Workshop", kind="workshop", amount=100)
        foreign = AddOn(event_id=other.id, code="elsewhere", name="Elsewhere", kind="workshop", amount=100)
        db_session.add_all([*rooms, *tracks, workshop, foreign])
        await db_session.commit()
        return ProgramEvent(
            slug=slug,
            event_id=event.id,
            rooms={r.name: r.id for r in rooms},
            tracks={t.name: t.id for t in tracks},
            workshop_add_on=workshop.id,
            foreign_add_on=foreign.id,
        )


async def confirmed_attendees(
    settings: Settings, event_id: UUID, count: int, *, add_on: UUID | None = None, status: str = "confirmed"
) -> list[UUID]:
    """``count`` paid registrations at the event (one order), optionally with an add-on bought."""
    async with db_session_for(settings) as db_session:
        category = Category(event_id=event_id, code=f"c-{secrets.token_hex(3)}", name="Member")
        db_session.add(category)
        await db_session.flush()
        order = Order(
            event_id=event_id,
            status="paid",
            buyer_name="Lab Head",
            buyer_email=f"head-{secrets.token_hex(4)}@example.org",
            currency="USD",
            subtotal=0,
            total=0,
            request_hash="x" * 64,
        )
        db_session.add(order)
        await db_session.flush()
        registrations = [
            Registration(
                order_id=order.id,
                event_id=event_id,
                category_id=category.id,
                position=i,
                status=status,
                email=f"person{i}-{secrets.token_hex(4)}@example.org",
                first_name=f"Person{i}",
                last_name="Tester",
                country="US",
                category_amount=0,
            )
            for i in range(count)
        ]
        db_session.add_all(registrations)
        await db_session.flush()
        if add_on is not None:
            db_session.add_all(
                RegistrationAddOn(registration_id=r.id, add_on_id=add_on, amount=0) for r in registrations
            )
        await db_session.commit()
        return [r.id for r in registrations]


async def create_session(client: Client, organizer: dict[str, str], program: ProgramEvent, **fields: Any) -> str:
    """A session made through the API (published, 09:00-10:00 on the second day, unless ``fields`` say
    otherwise); its id."""
    body: dict[str, Any] = {"title": "Mitochondria", "starts_at": at(1, 9), "ends_at": at(1, 10), "status": "published"}
    body.update(fields)
    response = await client.post(f"/api/events/{program.slug}/sessions", json=body, headers=organizer)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])
