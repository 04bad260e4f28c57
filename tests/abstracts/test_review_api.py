"""The review over HTTP: inviting reviewers (mail once), automatic and manual assignment with conflicts of
interest, blind reading, reviews with range-checked scores, progress and the ranked lists."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import UUID

from sqlalchemy import func, select

from abstracts.review_conflicts import ConflictRule
from podium.auth.models import User
from podium.mail import render_mail
from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from tests.abstracts.review_factories import Person, ReviewCall, add_abstract, build_review_call, make_person
from tests.asgi_client import Client
from tests.registration.factories import db_session_for


def organizer_api(built: ReviewCall) -> str:
    return f"/api/organizer/events/{built.slug}/review"


def reviewer_api(built: ReviewCall) -> str:
    return f"/api/review/events/{built.slug}"


async def mails(settings: Settings, prefix: str) -> int:
    async with db_session_for(settings) as db_session:
        query = select(func.count()).where(OutboxMessage.dedupe_key.like(f"{prefix}%"))
        return int(await db_session.scalar(query) or 0)


async def invite(client: Client, organizer: dict[str, str], built: ReviewCall, person: Person) -> UUID:
    response = await client.post(f"{organizer_api(built)}/reviewers", json={"email": person.email}, headers=organizer)
    assert response.status_code == 200, response.text
    return UUID(response.json()["id"])


async def declare(client: Client, built: ReviewCall, person: Person, **profile: Any) -> dict[str, Any]:
    response = await client.put(f"{reviewer_api(built)}/me", json=profile, headers=person.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_inviting_a_reviewer_mails_them_once(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings)
    person = await make_person(settings, "Rita Reviewer")

    reviewer_id = await invite(client, organizer, built, person)
    assert await invite(client, organizer, built, person) == reviewer_id

    assert await mails(settings, f"review-invitation:{reviewer_id}") == 1
    async with db_session_for(settings) as db_session:
        sent = await db_session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == f"review-invitation:{reviewer_id}")
        )
        assert sent is not None and sent.to_address == person.email
        assert sent.context["review_link"] == f"{{base_url}}/sign-in?next=/review/events/{built.slug}"
    listed = (await client.get(f"{organizer_api(built)}/reviewers", headers=organizer)).json()
    assert [r["email"] for r in listed] == [person.email]


async def test_inviting_a_new_address_makes_one_member_account_and_one_mail_in_the_chosen_language(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings)
    body = {"email": "New.Reviewer@Review.TEST", "display_name": "Nina  Neu", "locale": "fr"}

    first = await client.post(f"{organizer_api(built)}/reviewers", json=body, headers=organizer)
    again = await client.post(f"{organizer_api(built)}/reviewers", json=body | {"locale": "es"}, headers=organizer)

    assert first.status_code == 200, first.text
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert (first.json()["email"], first.json()["display_name"]) == ("new.reviewer@review.test", "Nina Neu")
    async with db_session_for(settings) as db_session:
        accounts = (await db_session.scalars(select(User).where(User.email == "new.reviewer@review.test"))).all()
        assert [(a.role, a.password_hash, a.is_active) for a in accounts] == [("member", None, True)]
        to_new = OutboxMessage.to_address == "new.reviewer@review.test"
        sent = (await db_session.scalars(select(OutboxMessage).where(to_new))).all()
    assert [(m.template, m.context["locale"]) for m in sent] == [("review_invitation", "fr")]
    rendered = render_mail("review_invitation", dict(sent[0].context))
    assert rendered.subject.startswith("Invitation à évaluer des résumés")
    assert f"/sign-in?next=/review/events/{built.slug}" in rendered.text


async def test_inviting_with_an_unknown_language_is_refused_naming_it(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings)

    refused = await client.post(
        f"{organizer_api(built)}/reviewers", json={"email": "x@review.test", "locale": "xx"}, headers=organizer
    )

    assert refused.status_code in (400, 422) and "locale" in refused.text
    async with db_session_for(settings) as db_session:
        assert await db_session.scalar(select(User.id).where(User.email == "x@review.test")) is None


async def test_guards_refuse_strangers_and_reviewers_on_organizer_routes(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings)
    person = await make_person(settings, "Sam Stranger")

    assert (await client.get(f"{reviewer_api(built)}/assignments")).status_code == 401
    assert (await client.get(f"{reviewer_api(built)}/assignments", headers=person.headers)).status_code == 404
    await invite(client, organizer, built, person)
    assert (await client.get(f"{reviewer_api(built)}/assignments", headers=person.headers)).status_code == 200
    assert (await client.get(f"{organizer_api(built)}/progress", headers=person.headers)).status_code == 403
    assert (await client.post(f"{organizer_api(built)}/assignments/auto", headers=person.headers)).status_code == 403


async def test_automatic_assignment_avoids_every_conflict_and_a_second_run_adds_nothing(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings, reviews_per_abstract=2)
    submitter = await make_person(settings, "Sue Submitter")
    colleague, declarer, author, plain = [
        await make_person(settings, name) for name in ("Cole League", "Dee Clarer", "Otto Author", "Pat Plain")
    ]
    first = await add_abstract(settings, built, submitter, number=1)
    second = await add_abstract(settings, built, submitter, number=2, topic=1)
    third = await add_abstract(
        settings, built, submitter, number=3, authors=[("Otto Author", author.email.upper(), "Somewhere Else")]
    )
    for person in (colleague, declarer, author, plain):
        await invite(client, organizer, built, person)
    await declare(client, built, colleague, topic_ids=[str(built.topics[0])], institutions=["  university   1 "])
    await declare(
        client, built, declarer, topic_ids=[str(built.topics[0])], conflicts=[{"author_email": "author2@uni2.test"}]
    )
    await declare(client, built, author, topic_ids=[str(built.topics[1])])

    run = await client.post(f"{organizer_api(built)}/assignments/auto", headers=organizer)

    assert run.status_code == 200, run.text
    assert run.json()["added"] == 6 and run.json()["shortfalls"] == []
    assigned = await assignments_by_abstract(client, built, [colleague, declarer, author, plain])
    assert colleague.email not in assigned[first]
    assert declarer.email not in assigned[second]
    assert author.email not in assigned[third]
    assert all(len(emails) == 2 for emails in assigned.values())
    again = await client.post(f"{organizer_api(built)}/assignments/auto", headers=organizer)
    assert again.json() == {"added": 0, "outside_topic": 0, "shortfalls": []}


async def assignments_by_abstract(client: Client, built: ReviewCall, people: list[Person]) -> dict[UUID, set[str]]:
    found: dict[UUID, set[str]] = {abstract_id: set() for abstract_id in built.abstracts}
    for person in people:
        for item in (await client.get(f"{reviewer_api(built)}/assignments", headers=person.headers)).json():
            found[UUID(item["abstract_id"])].add(person.email)
    return found


async def test_shortfalls_are_reported_when_too_few_reviewers_are_free(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings, reviews_per_abstract=3)
    submitter = await make_person(settings, "Sue Submitter")
    only = await make_person(settings, "Olga Only")
    await add_abstract(settings, built, submitter, number=7)
    await invite(client, organizer, built, only)

    run = (await client.post(f"{organizer_api(built)}/assignments/auto", headers=organizer)).json()

    assert run["added"] == 1
    assert [(s["number"], s["wanted"], s["assigned"]) for s in run["shortfalls"]] == [(7, 3, 1)]


async def test_assigning_by_hand_refuses_a_conflict_naming_the_rule_unless_overridden(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings)
    submitter = await make_person(settings, "Sue Submitter")
    abstract_id = await add_abstract(settings, built, submitter, number=1)
    colleague = await make_person(settings, "Cole League")
    reviewer_id = await invite(client, organizer, built, colleague)
    await declare(client, built, colleague, institutions=["University 1"])
    body = {"abstract_id": str(abstract_id), "reviewer_id": str(reviewer_id)}
    url = f"{organizer_api(built)}/assignments"

    refused = await client.post(url, json=body, headers=organizer)
    assert refused.status_code == 409
    assert refused.json()["code"] == "conflict_of_interest" and refused.json()["field"] == "reviewer_id"
    assert ConflictRule.SHARED_INSTITUTION.value in refused.json()["detail"]

    made = await client.post(url, json={**body, "override": True}, headers=organizer)
    assert made.status_code == 201, made.text
    assert made.json()["assigned_by"] == "manual"
    twice = await client.post(url, json={**body, "override": True}, headers=organizer)
    assert twice.status_code == 409 and twice.json()["code"] == "already_assigned"
    missing = await client.post(url, json={**body, "abstract_id": str(reviewer_id)}, headers=organizer)
    assert missing.status_code == 404 and missing.json()["field"] == "abstract_id"

    removed = await client.delete(f"{url}/{made.json()['id']}", headers=organizer)
    assert removed.status_code == 204
    assert (await client.get(f"{reviewer_api(built)}/assignments", headers=colleague.headers)).json() == []


async def test_a_reviewer_reads_assigned_abstracts_blind_and_nothing_else(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings, reviews_per_abstract=1)
    submitter = await make_person(settings, "Sue Submitter")
    reviewer = await make_person(settings, "Rita Reviewer")
    other = await make_person(settings, "Oscar Other")
    authors = [("Grace Hopper", "grace@navy.test", "Naval Research Lab"), ("Alan Turing", "alan@npl.test", "NPL")]
    mine = await add_abstract(settings, built, submitter, number=1, authors=authors)
    reviewer_id = await invite(client, organizer, built, reviewer)
    other_id = await invite(client, organizer, built, other)
    theirs = await add_abstract(settings, built, submitter, number=2)
    url = f"{organizer_api(built)}/assignments"
    for abstract_id, rid in ((mine, reviewer_id), (theirs, other_id)):
        made = await client.post(
            url, json={"abstract_id": str(abstract_id), "reviewer_id": str(rid)}, headers=organizer
        )
        assert made.status_code == 201

    bodies = [
        await client.get(f"{reviewer_api(built)}/me", headers=reviewer.headers),
        await client.get(f"{reviewer_api(built)}/assignments", headers=reviewer.headers),
        await client.get(f"{reviewer_api(built)}/abstracts/{mine}", headers=reviewer.headers),
        await client.put(
            f"{reviewer_api(built)}/abstracts/{mine}/review",
            json={"scores": {str(c): 4 for c in built.criteria}, "comments_to_authors": "Clear."},
            headers=reviewer.headers,
        ),
        await client.get(f"{reviewer_api(built)}/abstracts/{mine}", headers=reviewer.headers),
    ]

    assert [b.status_code for b in bodies] == [200] * 5
    seen = "\n".join(b.text for b in bodies)
    assert "β-blockers" in seen and "µ-opioid" in seen
    assert (
        bodies[2].json()["body_html"]
        == "<p>We measured µ-opioid receptors ≥ 3 times in H<sub>2</sub>O &lt;b&gt;unsafe&lt;/b&gt;.</p>"
    )
    leaked = sorted(s for s in built.author_strings if s.lower() in seen.lower())
    assert leaked == []
    assert (await client.get(f"{reviewer_api(built)}/abstracts/{theirs}", headers=reviewer.headers)).status_code == 404
    write_theirs = await client.put(
        f"{reviewer_api(built)}/abstracts/{theirs}/review",
        json={"scores": {str(c): 4 for c in built.criteria}},
        headers=reviewer.headers,
    )
    assert write_theirs.status_code == 404
    other_view = (await client.get(f"{reviewer_api(built)}/abstracts/{theirs}", headers=other.headers)).json()
    assert other_view["my_review"] is None  # never someone else's review


async def test_scores_are_range_checked_naming_the_criterion(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings, reviews_per_abstract=1)
    submitter = await make_person(settings, "Sue Submitter")
    reviewer = await make_person(settings, "Rita Reviewer")
    abstract_id = await add_abstract(settings, built, submitter, number=1)
    await invite(client, organizer, built, reviewer)
    await client.post(f"{organizer_api(built)}/assignments/auto", headers=organizer)
    url = f"{reviewer_api(built)}/abstracts/{abstract_id}/review"
    originality, clarity = (str(c) for c in built.criteria)

    too_high = await client.put(url, json={"scores": {originality: 6, clarity: 0}}, headers=reviewer.headers)
    assert too_high.status_code == 422
    errors = {e["field"]: e["message"] for e in too_high.json()["errors"]}
    assert errors == {
        f"scores.{originality}": "Originality: between 1 and 5",
        f"scores.{clarity}": "Clarity: between 1 and 5",
    }
    missing = await client.put(url, json={"scores": {originality: 3}}, headers=reviewer.headers)
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == [f"scores.{clarity}"]
    unknown = await client.put(url, json={"scores": {"nonsense": 3}, "submit": False}, headers=reviewer.headers)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "scores.nonsense"

    draft = await client.put(url, json={"scores": {originality: 3}, "submit": False}, headers=reviewer.headers)
    assert draft.status_code == 200 and draft.json()["submitted_at"] is None
    listed = (await client.get(f"{reviewer_api(built)}/assignments", headers=reviewer.headers)).json()
    assert listed[0]["review"] == "draft"
    done = await client.put(
        url,
        json={"scores": {originality: 5, clarity: 2}, "comments_to_committee": "Strong.", "submit": True},
        headers=reviewer.headers,
    )
    assert done.status_code == 200 and done.json()["submitted_at"] is not None
    assert done.json()["scores"] == {originality: 5, clarity: 2}
    listed = (await client.get(f"{reviewer_api(built)}/assignments", headers=reviewer.headers)).json()
    assert listed[0]["review"] == "submitted"
    assignment = listed[0]["assignment_id"]
    kept = await client.delete(f"{organizer_api(built)}/assignments/{assignment}", headers=organizer)
    assert kept.status_code == 409 and kept.json()["code"] == "review_submitted"


async def test_declaring_a_profile_checks_every_field_at_once(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings)
    reviewer = await make_person(settings, "Rita Reviewer")
    await invite(client, organizer, built, reviewer)
    stranger_topic = "00000000-0000-4000-8000-000000000001"

    response = await client.put(
        f"{reviewer_api(built)}/me",
        json={
            "topic_ids": [str(built.topics[0]), stranger_topic],
            "institutions": ["   "],
            "conflicts": [{}, {"abstract_id": stranger_topic}, {"institution": "MIT", "author_email": "a@b.test"}],
        },
        headers=reviewer.headers,
    )

    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == [
        "conflicts[0]",
        "conflicts[1].abstract_id",
        "conflicts[2]",
        "institutions[0]",
        "topic_ids[1]",
    ]
    profile = await declare(
        client,
        built,
        reviewer,
        topic_ids=[str(built.topics[1])],
        institutions=["Karolinska  Institutet"],
        conflicts=[{"institution": "MIT", "reason": "former employer"}],
    )
    assert profile["institutions"] == ["Karolinska Institutet"]
    assert profile["conflicts"][0]["institution"] == "MIT"


async def test_declaring_a_conflict_drops_the_unreviewed_assignment_it_breaks(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings, reviews_per_abstract=1)
    submitter = await make_person(settings, "Sue Submitter")
    reviewer = await make_person(settings, "Rita Reviewer")
    abstract_id = await add_abstract(settings, built, submitter, number=1)
    await invite(client, organizer, built, reviewer)
    await client.post(f"{organizer_api(built)}/assignments/auto", headers=organizer)
    assert len((await client.get(f"{reviewer_api(built)}/assignments", headers=reviewer.headers)).json()) == 1

    await declare(client, built, reviewer, conflicts=[{"abstract_id": str(abstract_id), "reason": "my student"}])

    assert (await client.get(f"{reviewer_api(built)}/assignments", headers=reviewer.headers)).json() == []
    run = (await client.post(f"{organizer_api(built)}/assignments/auto", headers=organizer)).json()
    assert run["added"] == 0 and run["shortfalls"][0]["assigned"] == 0


async def test_progress_and_the_ranked_list_per_topic_and_type(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings, reviews_per_abstract=2)
    submitter = await make_person(settings, "Sue Submitter")
    harsh, generous = await make_person(settings, "Harsh Reviewer"), await make_person(settings, "Kind Reviewer")
    first = await add_abstract(settings, built, submitter, number=1)
    second = await add_abstract(settings, built, submitter, number=2)
    poster = await add_abstract(settings, built, submitter, number=3, kind=1)
    for person in (harsh, generous):
        await invite(client, organizer, built, person)
    await client.post(f"{organizer_api(built)}/assignments/auto", headers=organizer)
    originality, clarity = (str(c) for c in built.criteria)

    async def score(person: Person, abstract_id: UUID, value: int) -> None:
        url = f"{reviewer_api(built)}/abstracts/{abstract_id}/review"
        response = await client.put(url, json={"scores": {originality: value, clarity: value}}, headers=person.headers)
        assert response.status_code == 200, response.text

    await score(harsh, first, 2)
    await score(harsh, second, 1)
    await score(generous, first, 5)
    await score(generous, second, 4)

    ranking = (await client.get(f"{organizer_api(built)}/ranking", headers=organizer)).json()
    assert [(g["topic"], g["submission_type"]) for g in ranking] == [("Cardio", "Oral"), ("Cardio", "Poster")]
    oral = ranking[0]["abstracts"]
    assert [(a["number"], a["position"], a["reviews"]) for a in oral] == [(1, 1, 2), (2, 2, 2)]
    assert oral[0]["raw_mean"] == 3.5 and oral[0]["normalized_mean"] == 1.0
    assert oral[1]["normalized_mean"] == -1.0
    assert ranking[1]["abstracts"][0]["abstract_id"] == str(poster) and ranking[1]["abstracts"][0]["reviews"] == 0
    only_posters = await client.get(
        f"{organizer_api(built)}/ranking", params={"type": str(built.types[1])}, headers=organizer
    )
    assert [g["submission_type"] for g in only_posters.json()] == ["Poster"]

    progress = (await client.get(f"{organizer_api(built)}/progress", headers=organizer)).json()
    assert sorted((r["display_name"], r["assigned"], r["submitted"]) for r in progress["reviewers"]) == [
        ("Harsh Reviewer", 3, 2),
        ("Kind Reviewer", 3, 2),
    ]
    cardio = next(t for t in progress["topics"] if t["topic"] == "Cardio")
    assert (cardio["abstracts"], cardio["assigned"], cardio["submitted"]) == (3, 6, 4)
    assert json.dumps(progress)  # plain JSON all through


async def test_one_topics_ranked_list_normalizes_against_the_reviewers_other_topics_too(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings, reviews_per_abstract=1)
    submitter, reviewer = await make_person(settings, "Sue Submitter"), await make_person(settings, "Rae Reviewer")
    cardio = await add_abstract(settings, built, submitter, number=1, topic=0)
    other = await add_abstract(settings, built, submitter, number=2, topic=1)
    await invite(client, organizer, built, reviewer)
    await client.post(f"{organizer_api(built)}/assignments/auto", headers=organizer)
    for abstract_id, value in ((cardio, 2), (other, 4)):
        scores = {str(c): value for c in built.criteria}
        url = f"{reviewer_api(built)}/abstracts/{abstract_id}/review"
        response = await client.put(url, json={"scores": scores}, headers=reviewer.headers)
        assert response.status_code == 200, response.text

    response = await client.get(
        f"{organizer_api(built)}/ranking", params={"topic": str(built.topics[0])}, headers=organizer
    )

    assert [[(a["number"], a["raw_mean"], a["normalized_mean"]) for a in g["abstracts"]] for g in response.json()] == [
        [(1, 2.0, -1.0)]
    ]


async def test_racing_assignment_runs_and_review_saves_never_fail_or_double(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    built = await build_review_call(settings, reviews_per_abstract=2)
    submitter = await make_person(settings, "Sue Submitter")
    people = [await make_person(settings, f"Racer {n}") for n in range(3)]
    for number in range(1, 5):
        await add_abstract(settings, built, submitter, number=number)
    for person in people:
        await invite(client, organizer, built, person)

    runs = await asyncio.gather(
        *(client.post(f"{organizer_api(built)}/assignments/auto", headers=organizer) for _ in range(4))
    )

    assert [r.status_code for r in runs] == [200] * 4
    assert sum(r.json()["added"] for r in runs) == 8
    mine = (await client.get(f"{reviewer_api(built)}/assignments", headers=people[0].headers)).json()
    url = f"{reviewer_api(built)}/abstracts/{mine[0]['abstract_id']}/review"
    scores = {str(c): 3 for c in built.criteria}
    saves = await asyncio.gather(
        *(client.put(url, json={"scores": scores, "submit": n % 2 == 0}, headers=people[0].headers) for n in range(4))
    )
    assert [s.status_code for s in saves] == [200] * 4
    progress = (await client.get(f"{organizer_api(built)}/progress", headers=organizer)).json()
    assert sum(r["assigned"] for r in progress["reviewers"]) == 8
    assert sum(r["submitted"] for r in progress["reviewers"]) == 1
