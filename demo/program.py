"""The demo events' programs: 600+ sessions over the Annual Meeting's five days, the Policy Summit's two days,
one session per pre-meeting workshop or training.

Deterministic like the rest of the demo: titles, people and times come from fixed tables and the session's
index; ids are derived from the event's slug, so a re-seed gives the same URLs. The schedule is built to be
conflict-free (every person in one place at a time, every room booked once per slot, every session inside
the event's days and its room's capacity), and everything is published. Rows go in with bulk inserts.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

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
    plan = _workshops(workshop_codes, workshop_rooms, add_ons, guests)
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


def _workshops(
    workshop_codes: list[str], workshop_rooms: list[str], add_ons: dict[str, int], guests: Iterator[str]
) -> list[Planned]:
    """One workshop per workshop add-on that found a room, on day two, seated at the add-on's seat count."""
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
