"""An event with a call for abstracts, written through the organizer's API, and submitters who sign in.

Submitters are accounts of the lowest role the kernel has today (staff); the submitter routes accept any signed-in
account, so nothing here depends on a role's name.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from events.models import Event
from podium.auth import services as auth_services
from podium.auth.schemas import UserCreate
from podium.settings import Settings
from tests.asgi_client import Client
from tests.registration.factories import db_session_for

ZONE = "Europe/Berlin"


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    headers: dict[str, str]


async def make_submitter(settings: Settings, name: str = "Ada Lovelace") -> Person:
    async with db_session_for(settings) as db_session:
        email = f"submitter-{secrets.token_hex(4)}@podium.test"
        user = await auth_services.create_user(
            db_session, UserCreate(email=email, display_name=name, password="submitter-password-1", role="staff")
        )
        token, _ = await auth_services.issue_token(db_session, user, settings)
        await db_session.commit()
    return Person(email=email, name=name, headers={"Authorization": f"Bearer {token}"})


async def make_event(settings: Settings, *, status: str = "published") -> tuple[str, UUID]:
    async with db_session_for(settings) as db_session:
        slug = f"meeting-{secrets.token_hex(4)}"
        event = Event(
            slug=slug,
            name="Annual Meeting 2027",
            kind="annual_meeting",
            timezone=ZONE,
            venue="Messe",
            city="Berlin",
            currency="EUR",
            start_date=dt.date(2027, 6, 7),
            end_date=dt.date(2027, 6, 11),
            status=status,
        )
        db_session.add(event)
        await db_session.commit()
        return slug, event.id


def local(delta: dt.timedelta) -> str:
    """Now plus ``delta`` as the event's wall-clock time, to the minute (how the organizer's form writes it)."""
    from zoneinfo import ZoneInfo

    return (dt.datetime.now(ZoneInfo(ZONE)) + delta).replace(tzinfo=None, second=0, microsecond=0).isoformat()


def call_body(**overrides: Any) -> dict[str, Any]:
    """An open call: opened a day ago, closes in ten days, a late-breaking window after it."""
    body: dict[str, Any] = {
        "opens_at": local(dt.timedelta(days=-1)),
        "closes_at": local(dt.timedelta(days=10)),
        "late_breaking_opens_at": local(dt.timedelta(days=20)),
        "late_breaking_closes_at": local(dt.timedelta(days=30)),
        "embargo_until": local(dt.timedelta(days=60)),
        "disclosure_required": True,
        "submission_types": [
            {"key": "oral", "name": "Oral", "body_word_limit": 20, "title_max_chars": 60},
            {"key": "poster", "name": "Poster"},
            {"key": "late_breaking", "name": "Late-breaking", "is_late_breaking": True},
        ],
        "topics": [{"name": "Cardiology"}, {"name": "Oncology"}],
        "questions": [{"label": "Is this work funded?", "required": True, "max_chars": 40}],
        "rubric": [{"name": "Novelty", "weight": 2}, {"name": "Methods"}],
    }
    body.update(overrides)
    return body


async def open_call(client: Client, organizer: dict[str, str], slug: str, **overrides: Any) -> dict[str, Any]:
    path = f"/api/events/{slug}/call-for-abstracts"
    response = await client.put(path, json=call_body(**overrides), headers=organizer)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def type_id(call: dict[str, Any], key: str) -> str:
    return str(next(t["id"] for t in call["submission_types"] if t["key"] == key))


def author(name: str, email: str | None, *, presenting: bool = False, institution: str = "Charité") -> dict[str, Any]:
    return {
        "full_name": name,
        "email": email,
        "institution": institution,
        "country": "DE",
        "is_presenting": presenting,
        "disclosures": [{"relationship": "none"}],
    }


def complete_abstract(call: dict[str, Any], submitter: Person, **overrides: Any) -> dict[str, Any]:
    """A draft that passes every rule of ``call_body``'s oral type."""
    body: dict[str, Any] = {
        "submission_type_id": type_id(call, "oral"),
        "topic_id": call["topics"][0]["id"],
        "title": "β-blockers and Ca²⁺ handling in heart failure",
        "body": "We measured **Ca²⁺** transients (±5 µM, p ≥ 0.05) in H~2~O buffer at 37 °C.",
        "keywords": ["heart failure", "calcium"],
        "answers": {call["questions"][0]["id"]: "Yes, by the DFG"},
        "authors": [
            author(submitter.name, submitter.email, presenting=True),
            author("Grace Hopper", "grace@example.org", institution="Yale"),
            author("Alan Turing", "alan@example.org", institution="Manchester"),
        ],
    }
    body.update(overrides)
    return body
