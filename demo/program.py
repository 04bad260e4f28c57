"""The demo events' programs: 600+ sessions over the Annual Meeting's five days, the Policy Summit's two days,
one session per pre-meeting workshop or training.

Deterministic like the rest of the demo: titles, people and times come from fixed tables and the session's
index; ids are derived from the event's slug, so a re-seed gives the same URLs. The schedule is built to be
conflict-free (every person in one place at a time, every room booked once per slot, every session inside
the event's days and its room's capacity), and everything is published. Rows go in with bulk inserts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import Event, Room, Track
from podium.db import utcnow
from registration.models import AddOn, Quota
from sessions.models import ProgramSession, SessionSpeaker, Speaker

# Parallel sessions per time slot at the Annual Meeting (fewer when the venue has fewer rooms).
PARALLEL = 30
SPEAKER_POOL = 900

FIRST = (
    "Amara", "Bao", "Carmen", "Dmitri", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jamal",
    "Kalani", "Lucia", "Mateo", "Nadia", "Oren", "Priya", "Quentin", "Rania", "Soren", "Tariq",
    "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zofia", "Anders", "Beatriz", "Chidi", "Dana",
)  # fmt: skip
LAST = (
    "Abebe", "Berg", "Castillo", "Dubois", "Eriksen", "Fujita", "Gonzalez", "Haddad", "Ivanova", "Jensen",
    "Kowalski", "Lindqvist", "Mensah", "Nakamura", "Okafor", "Petrov", "Qureshi", "Rossi", "Santos", "Tanaka",
    "Underwood", "Varga", "Weber", "Xu", "Yilmaz", "Zhou", "Achebe", "Banerjee", "Costa", "Delgado",
)  # fmt: skip
AFFILIATIONS = (
    "University of Toronto", "Karolinska Institutet", "Johns Hopkins University", "University of Cape Town",
    "Kyoto University", "Charité Berlin", "Stanford University", "University of São Paulo", "Institut Pasteur",
    "Massachusetts General Hospital", "University of Melbourne", "ETH Zürich", "Makerere University",
    "National Institutes of Health", "University of Edinburgh", "Seoul National University",
)  # fmt: skip
TOPICS = {
    "Basic Science": (
        "Mitochondrial dynamics", "Protein folding", "Stem cell niches", "Epigenetic memory", "Ion channels",
        "Cell migration", "Autophagy", "RNA modifications", "Circadian clocks", "Synaptic plasticity",
    ),
    "Clinical Research": (
        "Adaptive trial designs", "Biomarker-guided therapy", "Pragmatic trials", "Real-world evidence",
        "Surgical outcomes", "Pediatric dosing", "Rare disease registries", "Remote monitoring",
        "Pain management", "Antimicrobial stewardship",
    ),
    "Translational Medicine": (
        "Organoids to clinic", "Gene therapy delivery", "CAR-T beyond blood cancers", "Drug repurposing",
        "Microbiome therapeutics", "mRNA platforms", "Precision oncology", "Regenerative scaffolds",
        "Immune checkpoints", "Liquid biopsies",
    ),
    "Epidemiology & Prevention": (
        "Cohort studies at scale", "Vaccine confidence", "Air pollution and health", "Screening programs",
        "Social determinants", "Obesity prevention", "Injury prevention", "Tobacco control",
        "Outbreak forecasting", "Maternal health",
    ),
    "Health Policy": (
        "Drug pricing", "Coverage expansion", "Workforce shortages", "Value-based care", "Global health financing",
        "Research funding models", "Health equity metrics", "Telehealth regulation", "Public health law",
        "Pandemic preparedness",
    ),
    "Education & Training": (
        "Mentoring that works", "Simulation training", "Competency-based curricula", "Teaching statistics",
        "Career paths in science", "Peer review training", "Writing for impact", "Team science",
        "Inclusive classrooms", "Assessment design",
    ),
    "Patient Advocacy": (
        "Patients as partners", "Shared decision making", "Caregiver burden", "Access to trials",
        "Health literacy", "Patient-reported outcomes", "Living with chronic disease", "Rare disease voices",
        "Informed consent", "Community engagement",
    ),
    "Data Science & Technology": (
        "Machine learning in imaging", "Federated learning", "Clinical NLP", "Reproducible pipelines",
        "Wearable sensors", "Causal inference", "Data sharing platforms", "Privacy-preserving analytics",
        "Digital twins", "Open science infrastructure",
    ),
}  # fmt: skip
ANGLES = (
    "new evidence", "methods and pitfalls", "from bench to bedside", "lessons from large cohorts",
    "emerging approaches", "controversies and consensus", "early-career perspectives", "what's next",
)  # fmt: skip
DISTINGUISHED = (
    "Helena Marquez", "Kwame Asante", "Ingrid Solberg", "Rajesh Iyer", "Margaret O'Neill", "Tomasz Wiśniewski",
    "Aiko Matsuda", "Samuel Okonkwo", "Claire Fontaine", "Daniel Rosen", "Leila Farahani", "Pedro Alves",
    "Nora Lindgren", "Yaw Boateng", "Sofia Karlsson", "Marcus Chen",
)  # fmt: skip


def stable_id(*parts: object) -> uuid.UUID:
    return uuid.UUID(bytes=hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()[:16], version=4)


@dataclass
class Planned:
    title: str
    kind: str
    day: int
    start: tuple[int, int]
    end: tuple[int, int]
    room: str | None
    track: str | None = None
    abstract: str = ""
    speakers: list[str] = field(default_factory=list)
    chairs: list[str] = field(default_factory=list)
    capacity: int | None = None
    add_on: str | None = None
    credit_hours: Decimal = Decimal("0")


def pool_name(index: int) -> str:
    """The index-th generated person: first and last names walk at different strides, so all are distinct."""
    index %= SPEAKER_POOL
    return f"{FIRST[index % len(FIRST)]} {LAST[(index // len(FIRST) + index) % len(LAST)]}"


SLOTS = {"S1": ((8, 0), (9, 30)), "S2": ((10, 0), (11, 30)), "S3": ((13, 0), (14, 30)), "S4": ((15, 0), (16, 30))}
SLOTS["S5"] = ((16, 45), (18, 0))


def annual_program(rooms: list[tuple[str, int]], tracks: list[str], add_ons: dict[str, int]) -> list[Planned]:
    """The Annual Meeting's five days: keynote, plenaries, parallel symposia and scientific sessions, posters,
    workshops (tied to the workshop add-ons, at their seat counts), breaks and receptions."""
    capacity = dict(rooms)
    numbered = [name for name, _ in rooms if name.startswith("Room ")]
    workshop_codes = [code for code in add_ons if code.startswith("workshop-")]
    workshop_rooms: list[str] = []
    for code in workshop_codes:
        room = next((r for r in reversed(numbered) if capacity[r] >= add_ons[code] and r not in workshop_rooms), None)
        if room is not None:
            workshop_rooms.append(room)
    parallel_rooms: list[str] = [r for r in ("Ballroom B", "Ballroom C") if r in capacity]
    parallel_rooms += [r for r in numbered if r not in workshop_rooms]
    parallel_rooms = parallel_rooms[:PARALLEL]
    plenary = "Ballroom A" if "Ballroom A" in capacity else None
    hall = "Exhibit Hall D" if "Exhibit Hall D" in capacity else None
    posters = "Poster Hall E" if "Poster Hall E" in capacity else None
    guests = iter(DISTINGUISHED)
    plan: list[Planned] = [
        Planned(
            "State of the field",
            "keynote",
            0,
            (8, 0),
            (9, 15),
            plenary,
            abstract="The society's president on a year of discoveries, setbacks and the questions that matter next.",
            speakers=[next(guests)],
            chairs=[next(guests)],
            credit_hours=Decimal("1.25"),
        )
    ]
    day_slots = {0: ["S2", "S3", "S4", "S5"], 1: list(SLOTS), 2: list(SLOTS), 3: list(SLOTS), 4: ["S1", "S2"]}
    slot_number = 0
    for day, slots in day_slots.items():
        if day in (1, 2, 3):
            plan.append(
                Planned(
                    f"Plenary: {['Science in the open', 'Medicine for everyone', 'The next generation'][day - 1]}",
                    "plenary",
                    day,
                    (7, 0),
                    (7, 50),
                    plenary,
                    abstract="A morning plenary for the whole meeting before the parallel sessions start.",
                    speakers=[next(guests)],
                    credit_hours=Decimal("0.75"),
                )
            )
        for slot in slots:
            plan += _parallel_slot(day, slot, slot_number, parallel_rooms, tracks, first_number=_numbered(plan))
            slot_number += 1
        plan += _breaks_and_posters(day, hall, posters, tracks)
    plan += _workshops_and_closing(workshop_codes, workshop_rooms, add_ons, capacity, guests, plenary, hall)
    return plan


def _numbered(plan: list[Planned]) -> int:
    """How many parallel sessions (numbered "Symposium 12: …", "Session 13: …") the plan has so far."""
    return sum(1 for p in plan if p.kind in ("symposium", "scientific_session"))


def _parallel_slot(
    day: int, slot: str, slot_number: int, parallel_rooms: list[str], tracks: list[str], *, first_number: int
) -> list[Planned]:
    """One slot's parallel sessions, one per room, numbered on from ``first_number``."""
    start, end = SLOTS[slot]
    base = slot_number * PARALLEL * 6
    sessions = []
    for j, room in enumerate(parallel_rooms):
        counter = first_number + j
        track = tracks[j % len(tracks)] if tracks else None
        topics = TOPICS.get(track or "", TOPICS["Basic Science"])
        topic = topics[(counter // 8) % len(topics)]
        angle = ANGLES[counter % len(ANGLES)]
        symposium = j % 4 == 0
        people = [pool_name(base + j * 6 + m) for m in range(6)]
        sessions.append(
            Planned(
                f"{'Symposium' if symposium else 'Session'} {counter + 1}: {topic}: {angle}",
                "symposium" if symposium else "scientific_session",
                day,
                start,
                end,
                room,
                track,
                abstract=(
                    f"{topic} ({track or 'all tracks'}): {angle}. Talks of 15 minutes with discussion; "
                    "abstracts selected by the program committee."
                ),
                speakers=people[: 3 if symposium else 4],
                chairs=people[4:6] if symposium else people[4:5],
                credit_hours=Decimal((end[0] - start[0]) * 60 + end[1] - start[1]) / 60,
            )
        )
    return sessions


def _breaks_and_posters(day: int, hall: str | None, posters: str | None, tracks: list[str]) -> list[Planned]:
    extras = []
    if hall:
        for start, end in (((9, 30), (10, 0)), ((14, 30), (15, 0))):
            if day == 4 and start[0] > 12:
                continue
            extras.append(Planned("Coffee break and exhibits", "break", day, start, end, hall))
    if day < 4:
        extras.append(Planned("Lunch break", "break", day, (11, 30), (13, 0), None))
    if posters:
        for half, (start, end) in enumerate((((11, 30), (12, 15)), ((12, 15), (13, 0)))):
            group = tracks[(day * 2 + half) % len(tracks)] if tracks else None
            extras.append(
                Planned(
                    f"Poster session {day * 2 + half + 1}: {group or 'all tracks'}",
                    "poster_session",
                    day,
                    start,
                    end,
                    posters,
                    group,
                    abstract="Presenters stand by their posters; odd-numbered boards first, then even.",
                    credit_hours=Decimal("0.75"),
                )
            )
    return extras


def _workshops_and_closing(
    workshop_codes: list[str],
    workshop_rooms: list[str],
    add_ons: dict[str, int],
    capacity: dict[str, int],
    guests: Iterator[str],
    plenary: str | None,
    hall: str | None,
) -> list[Planned]:
    """The workshops (one per workshop add-on that found a room), the closing plenary and the receptions."""
    plan = []
    for code, room in zip(workshop_codes, workshop_rooms, strict=False):
        title = {
            "workshop-grant-writing": "Grant writing",
            "workshop-rigor": "Rigor and reproducibility",
            "workshop-dataviz": "Data visualization",
        }.get(code, code)
        plan.append(
            Planned(
                f"Workshop: {title}",
                "workshop",
                1,
                (13, 0),
                (16, 30),
                room,
                abstract="Hands-on; bring a laptop. Only for attendees who registered for this workshop.",
                speakers=[next(guests)],
                capacity=add_ons[code],
                add_on=code,
                credit_hours=Decimal("3"),
            )
        )
    if plenary:
        plan.append(
            Planned(
                "Closing plenary and awards",
                "plenary",
                4,
                (11, 45),
                (12, 45),
                plenary,
                speakers=[next(guests)],
                credit_hours=Decimal("1"),
            )
        )
    if hall:
        plan.append(Planned("Welcome reception", "social", 0, (18, 30), (20, 30), hall))
    if "members-reception" in add_ons and "Ballroom B" in capacity:
        plan.append(
            Planned(
                "Members' reception",
                "social",
                2,
                (19, 0),
                (21, 0),
                "Ballroom B",
                capacity=add_ons["members-reception"],
                add_on="members-reception",
            )
        )
    return plan


def summit_program(tracks: list[str]) -> list[Planned]:
    """Two days, two rooms: plenary mornings, parallel panels by track in the afternoons."""
    atrium, suite = "Atrium Hall", "Polaris Suite"
    panels = (
        ("Funding the next decade of research", "Research Funding"),
        ("Prices, patents and patients", "Access to Care"),
        ("Public-private partnerships that worked", "Research Funding"),
        ("Rural access and telehealth", "Access to Care"),
        ("Open data mandates", "Research Funding"),
        ("Coverage for rare diseases", "Access to Care"),
        ("Evaluating what we fund", "Research Funding"),
        ("The workforce we need", "Access to Care"),
    )
    guests = iter(DISTINGUISHED)
    plan: list[Planned] = []
    panel = iter(panels)
    for day in (0, 1):
        plan.append(
            Planned(
                "Welcome and the year in policy" if day == 0 else "Day two: from evidence to law",
                "keynote" if day == 0 else "plenary",
                day,
                (9, 0),
                (10, 0),
                atrium,
                speakers=[next(guests)],
                credit_hours=Decimal("1"),
            )
        )
        plan.append(Planned("Coffee break", "break", day, (10, 0), (10, 30), None))
        for start, end in (((10, 30), (12, 0)), ((13, 30), (15, 0))):
            for room in (atrium, suite):
                title, track = next(panel)
                people = [pool_name(7000 + len(plan) * 5 + m) for m in range(4)]
                plan.append(
                    Planned(
                        title,
                        "symposium",
                        day,
                        start,
                        end,
                        room,
                        track if track in tracks else None,
                        abstract=f"A panel on {title.lower()}, with time for questions from the floor.",
                        speakers=people[:3],
                        chairs=people[3:],
                        credit_hours=Decimal("1.5"),
                    )
                )
        plan.append(Planned("Lunch", "break", day, (12, 0), (13, 30), None))
    plan.append(Planned("Evening reception", "social", 0, (17, 30), (19, 0), atrium))
    return plan


async def seed_program(db_session: AsyncSession, event: Event) -> str:
    """Insert the event's program (published); returns a one-line summary."""
    rooms = (await db_session.scalars(select(Room).where(Room.event_id == event.id).order_by(Room.name))).all()
    tracks = (await db_session.scalars(select(Track).where(Track.event_id == event.id).order_by(Track.name))).all()
    add_on_rows = (await db_session.scalars(select(AddOn).where(AddOn.event_id == event.id))).all()
    seats: dict[str, int] = {}
    for add_on in add_on_rows:
        size = None
        if add_on.capacity_quota_id is not None:
            size = await db_session.scalar(select(Quota.size).where(Quota.id == add_on.capacity_quota_id))
        seats[add_on.code] = size or 0
    room_order = [(r.name, r.capacity) for r in sorted(rooms, key=_room_order)]
    track_names = [t.name for t in sorted(tracks, key=lambda t: t.created_at)]
    if event.kind == "annual_meeting":
        plan = annual_program(room_order, [t for t in TOPICS if t in track_names] or track_names, seats)
    elif event.kind == "policy_summit":
        plan = summit_program(track_names)
    else:
        room = room_order[0][0] if room_order else None
        plan = [
            Planned(
                event.name.split(": ", 1)[-1],
                "workshop",
                day,
                (9, 0),
                (17, 0),
                room,
                abstract=event.description,
                speakers=[DISTINGUISHED[(len(event.slug) + day) % len(DISTINGUISHED)]],
                credit_hours=Decimal("6"),
            )
            for day in range((event.end_date - event.start_date).days + 1)
        ]
    return await _insert(db_session, event, plan, rooms, tracks, add_on_rows)


def _room_order(room: Room) -> tuple[int, str]:
    """Named halls first, then numbered rooms in number order (not text order: 'Room 1001' after 'Room 201')."""
    name = room.name
    if name.startswith("Room ") and name[5:].isdigit():
        return 1, f"{int(name[5:]):08d}"
    return 0, name


async def _insert(
    db_session: AsyncSession,
    event: Event,
    plan: list[Planned],
    rooms: Sequence[Room],
    tracks: Sequence[Track],
    add_ons: Sequence[AddOn],
) -> str:
    tz = zoneinfo.ZoneInfo(event.timezone)
    room_ids = {r.name: r.id for r in rooms}
    track_ids = {t.name: t.id for t in tracks}
    add_on_ids = {a.code: a.id for a in add_ons}
    # Row timestamps are the seeding time, not a fixed date: caches compare them with later edits' "now".
    now = utcnow()
    stamp = {"created_at": now, "updated_at": now}
    speakers: dict[str, uuid.UUID] = {}
    speaker_rows: list[dict[str, object]] = []
    session_rows: list[dict[str, object]] = []
    link_rows: list[dict[str, object]] = []

    def person(name: str) -> uuid.UUID:
        if name not in speakers:
            speakers[name] = stable_id(event.slug, "speaker", name)
            n = len(speaker_rows)
            email = name.lower().replace(" ", ".").replace("'", "")
            speaker_rows.append(
                {
                    "id": speakers[name],
                    "event_id": event.id,
                    "name": name,
                    "affiliation": AFFILIATIONS[n % len(AFFILIATIONS)],
                    "bio": f"{name} works at {AFFILIATIONS[n % len(AFFILIATIONS)]}.",
                    "email": f"{email}@speakers.podium.example",
                    **stamp,
                }
            )
        return speakers[name]

    for index, item in enumerate(plan):
        day = event.start_date + dt.timedelta(days=item.day)
        session_id = stable_id(event.slug, "session", index)
        session_rows.append(
            {
                "id": session_id,
                "event_id": event.id,
                "kind": item.kind,
                "title": item.title,
                "abstract": item.abstract,
                "track_id": track_ids.get(item.track) if item.track else None,
                "room_id": room_ids.get(item.room) if item.room else None,
                "starts_at": dt.datetime.combine(day, dt.time(*item.start), tz).astimezone(dt.UTC),
                "ends_at": dt.datetime.combine(day, dt.time(*item.end), tz).astimezone(dt.UTC),
                "capacity": item.capacity,
                "seats_taken": 0,
                "required_add_on_id": add_on_ids.get(item.add_on) if item.add_on else None,
                "credit_hours": item.credit_hours,
                "status": "published",
                "sequence": 0,
                "changed_at": now,
                **stamp,
            }
        )
        for position, (name, role) in enumerate(
            [(n, "speaker") for n in item.speakers] + [(n, "chair") for n in item.chairs]
        ):
            link_rows.append(
                {
                    "id": stable_id(session_id, role, name),
                    "session_id": session_id,
                    "speaker_id": person(name),
                    "role": role,
                    "position": position,
                    **stamp,
                }
            )
    for model, rows in ((Speaker, speaker_rows), (ProgramSession, session_rows), (SessionSpeaker, link_rows)):
        for start in range(0, len(rows), 1000):
            await db_session.execute(insert(model), rows[start : start + 1000])
    return f"{len(session_rows)} sessions, {len(speaker_rows)} speakers"
