"""The Annual Meeting's call for abstracts at real size: submitted abstracts with their authors, the reviewers
(members who sign in by mailed link), the assignment the organizers' "assign" button makes, and most of the
reviews, so the review pages, the ranked lists and the decisions can be tried with thousands of rows.

Bulk-inserted and deterministic (a seeded generator, fixed stamps): the same knobs give the same rows. The
assignment is not generated here but made by ``abstracts.review_assignments.auto_assign``, the service the
organizers' API calls, so the demo shows what that rule does.
"""

# ruff: noqa: RUF001 - en dashes and Greek letters are what scientific text is made of
from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from abstracts.models import (
    Abstract,
    AbstractAuthor,
    AbstractStatus,
    CallForAbstracts,
    Disclosure,
    DisclosureRelationship,
    Review,
    ReviewAssignment,
    Reviewer,
    ReviewScore,
    RubricCriterion,
    SubmissionKind,
    SubmissionType,
    Topic,
    reviewer_topic,
)
from abstracts.review_assignments import auto_assign
from demo.program import stable_id
from events.models import Event
from podium.auth.models import Role, User

STAMP = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
REVIEWED_SHARE = 0.8  # of the assignments, how many have a submitted review: the rest are "late reviewers"
BATCH = 2000

TOPICS = (
    "Basic Science",
    "Clinical Research",
    "Translational Medicine",
    "Epidemiology & Prevention",
    "Health Policy",
    "Education & Training",
    "Patient Advocacy",
    "Data Science & Technology",
)
# (key, name, body word limit, late-breaking, symposium, share of the abstracts)
TYPES = (
    (SubmissionKind.ORAL, "Oral presentation", 300, False, False, 0.45),
    (SubmissionKind.POSTER, "Poster", 300, False, False, 0.45),
    (SubmissionKind.LATE_BREAKING, "Late-breaking abstract", 250, True, False, 0.07),
    (SubmissionKind.SYMPOSIUM, "Symposium proposal", 500, False, True, 0.03),
)
RUBRIC = (("Originality", 2), ("Scientific rigor", 3), ("Clarity", 1), ("Relevance to the meeting", 1))
INSTITUTIONS = (
    ("Massachusetts General Hospital", "US"),
    ("Johns Hopkins University", "US"),
    ("University of California, San Francisco", "US"),
    ("Mayo Clinic", "US"),
    ("University of Michigan", "US"),
    ("Emory University", "US"),
    ("University of Washington", "US"),
    ("Baylor College of Medicine", "US"),
    ("University of Toronto", "CA"),
    ("McGill University", "CA"),
    ("Karolinska Institutet", "SE"),
    ("Charité – Universitätsmedizin Berlin", "DE"),
    ("Université Paris Cité", "FR"),
    ("University College London", "GB"),
    ("University of Oxford", "GB"),
    ("Universidade de São Paulo", "BR"),
    ("Universidad Nacional Autónoma de México", "MX"),
    ("Universidad de Chile", "CL"),
    ("Makerere University", "UG"),
    ("University of Cape Town", "ZA"),
    ("University of Ibadan", "NG"),
    ("All India Institute of Medical Sciences", "IN"),
    ("Aga Khan University", "PK"),
    ("Peking University", "CN"),
    ("Fudan University", "CN"),
    ("The University of Tokyo", "JP"),
    ("Seoul National University", "KR"),
    ("National University of Singapore", "SG"),
    ("University of Melbourne", "AU"),
    ("Universidad de Buenos Aires", "AR"),
)
GIVEN = (
    "Amara", "Wei", "Sofía", "Jonas", "Priya", "Mateus", "Chloé", "Kwame", "Yuki", "Fatima", "Lucas", "Ingrid",
    "Ravi", "Ana", "Tomás", "Mei", "Olumide", "Hannah", "Diego", "Sara", "Hiroshi", "Leila", "Noah", "Zanele",
)  # fmt: skip
FAMILY = (
    "Okafor", "Zhang", "García", "Lindqvist", "Raman", "Silva", "Dubois", "Mensah", "Tanaka", "Haddad", "Martin",
    "Nilsen", "Iyer", "Costa", "Fernández", "Chen", "Adeyemi", "Schmidt", "López", "Cohen", "Sato", "Karimi",
    "Walker", "Dlamini", "Novak", "Park",
)  # fmt: skip
SUBJECTS = (
    "IL-6 signalling", "β-cell function", "TNF-α blockade", "gut microbiome diversity", "polygenic risk scores",
    "community health workers", "telemedicine follow-up", "CRISPR screening", "single-cell RNA-seq atlases",
    "antimicrobial stewardship", "wearable ECG monitoring", "mRNA vaccine uptake", "air pollution (PM2.5)",
    "sleep duration", "medication adherence", "resident burnout", "open-access data sharing", "HbA1c variability",
)  # fmt: skip
SETTINGS = (
    "in older adults", "in low- and middle-income countries", "after myocardial infarction", "in rural clinics",
    "during pregnancy", "in adolescents", "in a multi-centre cohort", "across 12 hospitals", "in primary care",
)  # fmt: skip
STUDIES = (
    "a randomised controlled trial", "a prospective cohort study", "a systematic review and meta-analysis",
    "a cross-sectional survey", "a mixed-methods evaluation", "a retrospective registry analysis",
)  # fmt: skip


def _person(rng: random.Random) -> str:
    return f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"


def _email(name: str, number: int) -> str:
    ascii_name = name.lower().encode("ascii", "ignore").decode().replace(" ", ".")
    return f"{ascii_name}.{number}@members.podium.example"


def _body(rng: random.Random, subject: str, setting: str, study: str, words: int) -> str:
    """Background, methods, results and conclusions in about ``words`` words, with the units and Greek
    letters abstracts are full of."""
    n = rng.randint(120, 4000)
    effect = rng.uniform(0.05, 0.6)
    sentences = [
        f"Background: The role of {subject} {setting} remains uncertain despite growing interest.",
        f"Methods: We conducted {study} of {n} participants between 2021 and 2025, with outcomes assessed "
        "by investigators blinded to allocation and adjusted for age, sex and baseline risk.",
        f"Results: The primary outcome differed by {effect:.2f} standard deviations (95% CI "
        f"{effect / 2:.2f}–{effect * 1.5:.2f}; p < 0.01); μ = {rng.uniform(1, 9):.1f} ± "
        f"{rng.uniform(0.1, 2):.1f} mg/dL in the intervention group.",
        "Secondary outcomes, including quality of life and cost, moved in the same direction and were "
        "consistent across the prespecified subgroups.",
        f"Conclusions: {subject.capitalize()} {setting} merits evaluation in larger and more diverse "
        "populations, with attention to implementation and equity.",
    ]
    text = " ".join(sentences)
    return " ".join(text.split()[:words])


def _reviewer_rows(rng: random.Random, count: int) -> list[tuple[dict[str, Any], list[int], str]]:
    """(user row, topic indexes, institution) per reviewer."""
    rows = []
    for number in range(1, count + 1):
        name = _person(rng)
        institution = INSTITUTIONS[rng.randrange(len(INSTITUTIONS))][0]
        topics = sorted(rng.sample(range(len(TOPICS)), rng.randint(1, 3)))
        user = {
            "id": stable_id("demo-reviewer-user", number),
            "email": f"reviewer{number:03d}@members.podium.example",
            "display_name": f"{name} (reviewer)",
            "password_hash": None,
            "role": Role.MEMBER.value,
            "is_active": True,
            "created_at": STAMP,
            "updated_at": STAMP,
        }
        rows.append((user, topics, institution))
    return rows


async def _insert(db_session: AsyncSession, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        await db_session.execute(insert(table), rows[start : start + BATCH])


async def _missing_users(db_session: AsyncSession, users: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Users stay when ``seed-demo --reset`` deletes the events: insert only the ones not there yet."""
    wanted = {user["email"]: user for user in users}
    there: set[str] = set()
    emails = list(wanted)
    for start in range(0, len(emails), BATCH):
        found = await db_session.scalars(select(User.email).where(User.email.in_(emails[start : start + BATCH])))
        there.update(found.all())
    return [user for email, user in wanted.items() if email not in there]


async def _existing_user_ids(db_session: AsyncSession, emails: Sequence[str]) -> dict[str, uuid.UUID]:
    ids: dict[str, uuid.UUID] = {}
    for start in range(0, len(emails), BATCH):
        rows = await db_session.execute(
            select(User.email, User.id).where(User.email.in_(emails[start : start + BATCH]))
        )
        ids.update({email: user_id for email, user_id in rows.all()})
    return ids


def _call(event: Event) -> CallForAbstracts:
    """Closed for regular abstracts (under review now), the late-breaking window open around the demo's
    dates, and the embargo a few days before the meeting."""
    tz = ZoneInfo(event.timezone)
    at = lambda day, hour: dt.datetime.combine(day, dt.time(hour), tz).astimezone(dt.UTC)  # noqa: E731
    return CallForAbstracts(
        id=stable_id("demo-call", event.slug),
        event_id=event.id,
        opens_at=at(dt.date(2026, 8, 1), 9),
        closes_at=at(dt.date(2026, 11, 15), 23),
        late_breaking_opens_at=at(dt.date(2026, 11, 16), 9),
        late_breaking_closes_at=at(dt.date(2027, 2, 15), 23),
        embargo_until=at(event.start_date - dt.timedelta(days=7), 9),
        reviews_per_abstract=3,
        blind=True,
        disclosure_required=True,
    )


async def seed_abstracts(db_session: AsyncSession, event: Event, abstracts: int, reviewers: int) -> str:
    """The call with ``abstracts`` submitted abstracts and ``reviewers`` reviewers, assigned and mostly
    reviewed; returns a line for the demo's report. Abstracts' submitters and reviewers are member accounts
    (no password: they sign in by mailed link)."""
    rng = random.Random(f"abstracts:{event.slug}")  # noqa: S311 - demo text, not secrets
    call = _call(event)
    db_session.add(call)
    types = [
        SubmissionType(
            id=stable_id("demo-type", event.slug, key),
            call_id=call.id,
            key=key.value,
            name=name,
            body_word_limit=limit,
            is_late_breaking=late,
            is_symposium=symposium,
            position=position,
        )
        for position, (key, name, limit, late, symposium, _) in enumerate(TYPES)
    ]
    topics = [
        Topic(id=stable_id("demo-topic", event.slug, name), call_id=call.id, name=name, position=position)
        for position, name in enumerate(TOPICS)
    ]
    criteria = [
        RubricCriterion(
            id=stable_id("demo-criterion", event.slug, name),
            call_id=call.id,
            name=name,
            weight=weight,
            min_score=1,
            max_score=5,
            position=i,
        )
        for i, (name, weight) in enumerate(RUBRIC)
    ]
    db_session.add_all([*types, *topics, *criteria])
    await db_session.flush()

    reviewer_rows = _reviewer_rows(rng, reviewers)
    submitters: dict[str, dict[str, Any]] = {}
    abstract_rows: list[dict[str, Any]] = []
    author_rows: list[dict[str, Any]] = []
    disclosure_rows: list[dict[str, Any]] = []
    weights = [share for *_, share in TYPES]
    for number in range(1, abstracts + 1):
        kind = rng.choices(range(len(TYPES)), weights)[0]
        subject, setting, study = rng.choice(SUBJECTS), rng.choice(SETTINGS), rng.choice(STUDIES)
        abstract_id = stable_id("demo-abstract", event.slug, number)
        authors = []
        for position in range(rng.randint(1, 6)):
            name = _person(rng)
            institution, country = INSTITUTIONS[rng.randrange(len(INSTITUTIONS))]
            authors.append((name, _email(name, number * 10 + position), institution, country))
        first_name, first_email = authors[0][0], authors[0][1]
        submitters.setdefault(
            first_email,
            {
                "id": stable_id("demo-submitter", first_email),
                "email": first_email,
                "display_name": first_name,
                "password_hash": None,
                "role": Role.MEMBER.value,
                "is_active": True,
                "created_at": STAMP,
                "updated_at": STAMP,
            },
        )
        submitted_at = STAMP - dt.timedelta(minutes=abstracts - number)
        abstract_rows.append(
            {
                "id": abstract_id,
                "call_id": call.id,
                "submitter_email": first_email,
                "submission_type_id": types[kind].id,
                "topic_id": topics[TOPICS.index(rng.choice(TOPICS))].id,
                "title": f"{subject.capitalize()} {setting}: {study}",
                "body": _body(rng, subject, setting, study, TYPES[kind][2]),
                "keywords": [subject, study.split(" ", 1)[1]],
                "answers": {},
                "status": AbstractStatus.SUBMITTED.value,
                "number": number,
                "submitted_at": submitted_at,
                "created_at": submitted_at,
                "updated_at": submitted_at,
            }
        )
        for position, (name, email, institution, country) in enumerate(authors):
            author_id = stable_id("demo-author", abstract_id, position)
            author_rows.append(
                {
                    "id": author_id,
                    "abstract_id": abstract_id,
                    "position": position,
                    "full_name": name,
                    "email": email,
                    "institution": institution,
                    "country": country,
                    "is_presenting": position == 0,
                    "created_at": submitted_at,
                    "updated_at": submitted_at,
                }
            )
            grant = rng.random() < 0.15
            disclosure_rows.append(
                {
                    "id": stable_id("demo-disclosure", author_id),
                    "author_id": author_id,
                    "company": "Acme Biosciences" if grant else "",
                    "relationship": (DisclosureRelationship.GRANT if grant else DisclosureRelationship.NONE).value,
                    "created_at": submitted_at,
                    "updated_at": submitted_at,
                }
            )

    await _insert(db_session, User, await _missing_users(db_session, [user for user, _, _ in reviewer_rows]))
    await _insert(db_session, User, await _missing_users(db_session, submitters.values()))
    user_ids = await _existing_user_ids(db_session, [*(user["email"] for user, _, _ in reviewer_rows), *submitters])
    for row in abstract_rows:
        row["submitter_user_id"] = user_ids[row.pop("submitter_email")]
    await _insert(db_session, Abstract, abstract_rows)
    await _insert(db_session, AbstractAuthor, author_rows)
    await _insert(db_session, Disclosure, disclosure_rows)
    call.numbers_given = abstracts

    reviewer_ids = [stable_id("demo-reviewer", event.slug, n) for n in range(1, reviewers + 1)]
    await _insert(
        db_session,
        Reviewer,
        [
            {
                "id": reviewer_id,
                "call_id": call.id,
                "user_id": user_ids[user["email"]],
                "institutions": [institution],
                "invited_at": STAMP - dt.timedelta(days=30),
                "accepted_at": STAMP - dt.timedelta(days=29),
                "created_at": STAMP,
                "updated_at": STAMP,
            }
            for reviewer_id, (user, _, institution) in zip(reviewer_ids, reviewer_rows, strict=True)
        ],
    )
    await _insert(
        db_session,
        reviewer_topic,
        [
            {"reviewer_id": reviewer_id, "topic_id": topics[topic].id}
            for reviewer_id, (_, chosen, _) in zip(reviewer_ids, reviewer_rows, strict=True)
            for topic in chosen
        ],
    )
    result = await auto_assign(db_session, event.slug)
    reviews = await _seed_reviews(db_session, rng, call.id, criteria)
    return (
        f"call for abstracts: {abstracts} abstracts, {reviewers} reviewers, "
        f"{result.added} assignments, {reviews} reviews"
    )


async def _seed_reviews(
    db_session: AsyncSession, rng: random.Random, call_id: uuid.UUID, criteria: Sequence[RubricCriterion]
) -> int:
    """Reviews for most assignments, each reviewer a little harsher or kinder than the next (what the
    per-reviewer normalization is for)."""
    assignments = (
        await db_session.execute(
            select(ReviewAssignment.id, ReviewAssignment.reviewer_id, ReviewAssignment.abstract_id)
            .join(Reviewer, Reviewer.id == ReviewAssignment.reviewer_id)
            .where(Reviewer.call_id == call_id)
            .order_by(ReviewAssignment.abstract_id, ReviewAssignment.reviewer_id)
        )
    ).all()
    bias: dict[uuid.UUID, float] = {}
    quality: dict[uuid.UUID, float] = {}
    reviews, scores = [], []
    for assignment_id, reviewer_id, abstract_id in assignments:
        if rng.random() >= REVIEWED_SHARE:
            continue
        leaning = bias.setdefault(reviewer_id, rng.uniform(-1.0, 1.0))
        merit = quality.setdefault(abstract_id, rng.uniform(1.5, 4.5))
        review_id = stable_id("demo-review", assignment_id)
        reviews.append(
            {
                "id": review_id,
                "assignment_id": assignment_id,
                "submitted_at": STAMP + dt.timedelta(days=2),
                "comments_to_authors": "Clear question and design; please report the effect sizes with units.",
                "comments_to_committee": "",
                "created_at": STAMP,
                "updated_at": STAMP,
            }
        )
        for criterion in criteria:
            score = round(merit + leaning + rng.uniform(-0.7, 0.7))
            scores.append(
                {
                    "id": stable_id("demo-score", review_id, criterion.id),
                    "review_id": review_id,
                    "criterion_id": criterion.id,
                    "score": min(criterion.max_score, max(criterion.min_score, score)),
                    "created_at": STAMP,
                    "updated_at": STAMP,
                }
            )
    await _insert(db_session, Review, reviews)
    await _insert(db_session, ReviewScore, scores)
    return len(reviews)
