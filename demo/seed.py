"""Deterministic demo data: the society's Annual Meeting, Policy Summit, workshops and training.

Same input, same rows: names, dates and capacities come from fixed tables and arithmetic, never from
randomness. Only the two demo passwords are random (and printed), because secrets never live in the repo.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from badges.checkpoints import sync_checkpoints
from demo.abstracts import seed_abstracts
from demo.agendas import seed_agendas
from demo.catalog import seed_catalog, seed_paid_registrations
from demo.program_rows import seed_program
from events.models import Event, EventStatus, Room, Track
from events.services import validate_event
from podium.auth import services as auth_services
from podium.auth.models import User
from podium.auth.schemas import UserCreate
from podium.db import create_engine, session_maker
from podium.settings import Settings

ORGANIZER_EMAIL = "organizer@podium.example"
STAFF_EMAIL = "staff@podium.example"
NY = "America/New_York"
BOSTON = ("Hynes Convention Center", "Boston, MA")


@dataclass(frozen=True)
class DemoSize:
    """Knobs for benchmarks; the defaults are what the README's demo shows."""

    rooms: int = 40
    # Paid registrations generated for the Annual Meeting (bulk-inserted).
    registrations: int = 0
    # Of those, how many get a personal agenda (about 20 sessions each) and a calendar feed.
    agendas: int = 0
    # The Annual Meeting's call for abstracts: submitted abstracts, and reviewers who (mostly) reviewed them.
    abstracts: int = 3000
    reviewers: int = 300


@dataclass(frozen=True)
class EventSpec:
    slug: str
    name: str
    kind: str
    venue: str
    city: str
    start: dt.date
    days: int
    description: str
    rooms: tuple[tuple[str, int], ...]
    tracks: tuple[tuple[str, str], ...] = ()
    timezone: str = NY
    registration_opens: dt.date = dt.date(2026, 11, 2)


ANNUAL_TRACKS = (
    ("Basic Science", "#1f6feb"),
    ("Clinical Research", "#b42318"),
    ("Translational Medicine", "#7a3ea1"),
    ("Epidemiology & Prevention", "#0e7a0d"),
    ("Health Policy", "#9a6700"),
    ("Education & Training", "#0b6e75"),
    ("Patient Advocacy", "#c4321a"),
    ("Data Science & Technology", "#3b4a5a"),
)


def annual_meeting_rooms(count: int) -> tuple[tuple[str, int], ...]:
    """Three ballrooms, an exhibit hall and a poster hall, then numbered meeting rooms with fixed capacities."""
    named = [("Ballroom A", 3000), ("Ballroom B", 1500), ("Ballroom C", 1200), ("Exhibit Hall D", 4000)]
    named.append(("Poster Hall E", 2500))
    capacities = (250, 180, 120, 300, 90, 150, 200, 60)
    index = 0
    while len(named) < count:
        floor, number = divmod(index, 20)
        named.append((f"Room {(floor + 1) * 100 + number + 1}", capacities[index % len(capacities)]))
        index += 1
    return tuple(named[:count])


def demo_events(size: DemoSize) -> tuple[EventSpec, ...]:
    """Every demo event, in seeding order."""
    return _conferences(size) + _pre_meeting_events()


def _conferences(size: DemoSize) -> tuple[EventSpec, ...]:
    """The Annual Meeting (its rooms sized by the knob) and the Policy Summit."""
    return (
        EventSpec(
            slug="annual-meeting-2027",
            name="Annual Meeting 2027",
            kind="annual_meeting",
            venue=BOSTON[0],
            city=BOSTON[1],
            start=dt.date(2027, 4, 14),
            days=5,
            description="Five days of science: keynotes, symposia, scientific sessions, posters and workshops.",
            rooms=annual_meeting_rooms(size.rooms),
            tracks=ANNUAL_TRACKS,
        ),
        EventSpec(
            slug="policy-summit-2027",
            name="Policy Summit 2027",
            kind="policy_summit",
            venue="Ronald Reagan Building and International Trade Center",
            city="Washington, DC",
            start=dt.date(2027, 2, 23),
            days=2,
            description="Two days with policy makers on research funding, access to care and data sharing.",
            rooms=(("Atrium Hall", 400), ("Polaris Suite", 120)),
            tracks=(("Research Funding", "#1f6feb"), ("Access to Care", "#0e7a0d")),
        ),
    )


def _pre_meeting_events() -> tuple[EventSpec, ...]:
    """The three pre-meeting workshops and the leadership training, all at the Annual Meeting's venue."""
    workshop_day = dt.date(2027, 4, 13)
    return (
        EventSpec(
            slug="workshop-grant-writing-2027",
            name="Pre-meeting Workshop: Grant Writing",
            kind="workshop",
            venue=BOSTON[0],
            city=BOSTON[1],
            start=workshop_day,
            days=1,
            description="A hands-on day on specific aims, budgets and reviewer expectations.",
            rooms=(("Room 210", 40),),
        ),
        EventSpec(
            slug="workshop-rigor-reproducibility-2027",
            name="Pre-meeting Workshop: Rigor and Reproducibility",
            kind="workshop",
            venue=BOSTON[0],
            city=BOSTON[1],
            start=workshop_day,
            days=1,
            description="Study design, preregistration and open data in practice.",
            rooms=(("Room 211", 50),),
        ),
        EventSpec(
            slug="workshop-data-visualization-2027",
            name="Pre-meeting Workshop: Data Visualization",
            kind="workshop",
            venue=BOSTON[0],
            city=BOSTON[1],
            start=workshop_day,
            days=1,
            description="From spreadsheet to figure: honest, accessible charts for papers and posters.",
            rooms=(("Room 212", 30),),
        ),
        EventSpec(
            slug="leadership-training-2027",
            name="Emerging Leaders Training 2027",
            kind="training",
            venue=BOSTON[0],
            city=BOSTON[1],
            start=dt.date(2027, 4, 12),
            days=2,
            description="Two days of leadership, mentoring and team science for early-career members.",
            rooms=(("Room 310", 36),),
        ),
    )


def build_event(spec: EventSpec) -> Event:
    """An Event row (published) from its spec; registration closes when the event ends."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(spec.timezone)
    end = spec.start + dt.timedelta(days=spec.days - 1)
    event = Event(
        slug=spec.slug,
        name=spec.name,
        kind=spec.kind,
        timezone=spec.timezone,
        venue=spec.venue,
        city=spec.city,
        description=spec.description,
        currency="USD",
        start_date=spec.start,
        end_date=end,
        status=EventStatus.PUBLISHED.value,
        registration_opens_at=dt.datetime.combine(spec.registration_opens, dt.time(9), tz).astimezone(dt.UTC),
        registration_closes_at=dt.datetime.combine(end, dt.time(17), tz).astimezone(dt.UTC),
        published_at=dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC),
    )
    validate_event(event)
    return event


async def _upsert_login(db_session: AsyncSession, email: str, name: str, role: Literal["organizer", "staff"]) -> str:
    """Create the demo account or give it a new password; either way return the password to print."""
    password = secrets.token_urlsafe(12)
    if await db_session.scalar(select(User.id).where(User.email == email)):
        await auth_services.set_password(db_session, email, password)
    else:
        await auth_services.create_user(
            db_session,
            UserCreate(
                email=email, display_name=name, password=password, role="organizer" if role == "organizer" else "staff"
            ),
        )
    return password


@dataclass(frozen=True)
class DemoReport:
    """What was seeded, and the logins apart: ``podium demo`` prints the logins last, once the server listens."""

    data: str
    logins: str

    def __str__(self) -> str:
        return f"{self.data}\n{self.logins}"


async def seed_demo(settings: Settings, size: DemoSize, *, reset: bool = False) -> DemoReport:
    """Insert the demo events that are missing (all of them with ``reset``) and the two logins."""
    engine = create_engine(settings)
    created: list[str] = []
    try:
        async with session_maker(engine)() as db_session:
            specs = demo_events(size)
            if reset:
                await db_session.execute(delete(Event).where(Event.slug.in_([s.slug for s in specs])))
                await db_session.commit()
            existing = set((await db_session.scalars(select(Event.slug))).all())
            for spec in specs:
                if spec.slug in existing:
                    continue
                event = build_event(spec)
                db_session.add(event)
                await db_session.flush()
                db_session.add_all(Room(event_id=event.id, name=n, capacity=c) for n, c in spec.rooms)
                db_session.add_all(Track(event_id=event.id, name=n, colour=c) for n, c in spec.tracks)
                catalog = await seed_catalog(db_session, event)
                program = await seed_program(db_session, event)
                created.append(
                    f"  {spec.name} ({len(spec.rooms)} rooms, {len(spec.tracks)} tracks; {catalog}; {program})"
                )
                if spec.kind == "annual_meeting" and size.registrations:
                    paid = await seed_paid_registrations(db_session, event, size.registrations)
                    created.append(f"    + {paid} paid registrations")
                    if size.agendas:
                        await db_session.flush()
                        agendas = await seed_agendas(db_session, event, size.agendas)
                        created.append(f"    + {agendas} personal agendas")
                if spec.kind == "annual_meeting" and size.abstracts:
                    await db_session.flush()
                    created.append("    + " + await seed_abstracts(db_session, event, size.abstracts, size.reviewers))
            await db_session.commit()
            for spec in specs:
                if spec.slug not in existing:
                    # Scanners can start at once: the entrance, every room's door, every workshop desk.
                    points = await sync_checkpoints(db_session, spec.slug)
                    created.append(f"  {spec.name}: {len(points)} check-in points")
            organizer_pw = await _upsert_login(db_session, ORGANIZER_EMAIL, "Demo Organizer", "organizer")
            staff_pw = await _upsert_login(db_session, STAFF_EMAIL, "Demo Staff", "staff")
            await db_session.commit()
    finally:
        await engine.dispose()
    lines = ["Demo data:"] + (created or ["  (demo events already present; use --reset to seed them again)"])
    logins = [
        "Demo logins (new passwords on every seed):",
        f"  organizer: {ORGANIZER_EMAIL} / {organizer_pw}",
        f"  staff:     {STAFF_EMAIL} / {staff_pw}",
    ]
    return DemoReport(data="\n".join(lines), logins="\n".join(logins))
