"""The organizers' exports of a call: JSON and CSV of every submitted abstract with authors, decision, place in
the program and mean review scores; spreadsheet-safe cells; organizers only."""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import update

from abstracts.models import (
    Abstract,
    Review,
    ReviewAssignment,
    Reviewer,
    ReviewScore,
    RubricCriterion,
)
from podium.auth.models import User
from podium.settings import Settings
from tests.abstracts.decision_factories import build_call
from tests.asgi_client import Client
from tests.registration.factories import db_session_for

NOW = dt.datetime(2026, 11, 5, tzinfo=dt.UTC)


async def test_exports_carry_authors_decisions_and_mean_scores(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    call = await build_call(settings, abstracts=3)
    first, second, third = call.abstracts
    async with db_session_for(settings) as db_session:
        await db_session.execute(update(Abstract).where(Abstract.id == third).values(status="draft", number=None))
        await db_session.execute(update(Abstract).where(Abstract.id == second).values(title="=HYPERLINK(1)"))
        novelty = RubricCriterion(call_id=call.call_id, name="Novelty", position=0)
        rigour = RubricCriterion(call_id=call.call_id, name="Rigour", position=1)
        users = [
            User(email=f"rev-{i}-{call.slug}@podium.test", display_name="R", password_hash="!", role="staff")
            for i in range(3)
        ]
        db_session.add_all([novelty, rigour, *users])
        await db_session.flush()
        marks = [(4, 3, True), (5, 2, True), (1, 1, False)]  # the third review is a draft: not counted
        for user, (novel, rigorous, done) in zip(users, marks, strict=True):
            reviewer = Reviewer(call_id=call.call_id, user_id=user.id, invited_at=NOW)
            db_session.add(reviewer)
            await db_session.flush()
            assignment = ReviewAssignment(abstract_id=first, reviewer_id=reviewer.id, assigned_at=NOW)
            db_session.add(assignment)
            await db_session.flush()
            review = Review(assignment_id=assignment.id, submitted_at=NOW if done else None)
            db_session.add(review)
            await db_session.flush()
            db_session.add_all(
                [
                    ReviewScore(review_id=review.id, criterion_id=novelty.id, score=novel),
                    ReviewScore(review_id=review.id, criterion_id=rigour.id, score=rigorous),
                ]
            )
        await db_session.commit()
    await client.post(
        f"/api/organizer/events/{call.slug}/abstracts/decisions",
        json={"abstract_ids": [str(first)], "outcome": "accepted_oral"},
        headers=organizer,
    )

    as_json = await client.get(f"/api/organizer/events/{call.slug}/abstracts/export.json", headers=organizer)
    as_csv = await client.get(f"/api/organizer/events/{call.slug}/abstracts/export.csv", headers=organizer)

    assert as_json.status_code == 200, as_json.text
    rows = as_json.json()
    assert [r["number"] for r in rows] == [1, 2]  # the draft is not exported
    assert rows[0]["status"] == "accepted_oral" and rows[0]["decision"]["mailed_outcome"] is None
    assert rows[0]["reviews_submitted"] == 2
    assert rows[0]["mean_scores"] == {"Novelty": 4.5, "Rigour": 2.5}
    assert [a["full_name"] for a in rows[0]["authors"]] == ["First Author 1", "Presenting Author 1"]
    assert rows[1]["decision"] is None and rows[1]["mean_scores"] == {}
    assert as_csv.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [t["number"] for t in table] == ["1", "2"]
    assert table[0]["authors"] == "First Author 1; Presenting Author 1"
    assert table[0]["institutions"] == "University of Tests; Institute of Examples"
    assert table[0]["presenting_email"] == call.presenters[0]
    assert (table[0]["mean: Novelty"], table[0]["mean: Rigour"], table[1]["mean: Novelty"]) == ("4.5", "2.5", "")
    assert table[1]["title"] == "'=HYPERLINK(1)"


async def test_exports_are_for_organizers_only(client: Client, staff: dict[str, str], settings: Settings) -> None:
    call = await build_call(settings, abstracts=1)

    anonymous = await client.get(f"/api/organizer/events/{call.slug}/abstracts/export.json")
    as_staff = await client.get(f"/api/organizer/events/{call.slug}/abstracts/export.csv", headers=staff)

    assert (anonymous.status_code, as_staff.status_code) == (401, 403)
