"""Submitting abstracts through the API: drafts, submit with every rule at once, edits, withdrawal, deadlines,
co-author mail, and nobody touching another's abstract."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import select

from podium.outbox_models import OutboxMessage
from podium.settings import Settings
from tests.abstracts.factories import (
    Person,
    author,
    complete_abstract,
    local,
    make_event,
    make_submitter,
    open_call,
    type_id,
)
from tests.asgi_client import Client
from tests.registration.factories import db_session_for


async def _setup(client: Client, organizer: dict[str, str], settings: Settings) -> tuple[str, dict[str, Any], Person]:
    slug, _ = await make_event(settings)
    call = await open_call(client, organizer, slug)
    return slug, call, await make_submitter(settings)


async def _draft(client: Client, slug: str, person: Person, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/events/{slug}/abstracts", json=body, headers=person.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _coauthor_mails(settings: Settings, abstract_id: str) -> list[str]:
    async with db_session_for(settings) as db_session:
        rows = await db_session.scalars(
            select(OutboxMessage.to_address)
            .where(OutboxMessage.dedupe_key.like(f"abstract-coauthor:{abstract_id}:%"))
            .order_by(OutboxMessage.to_address)
        )
        return list(rows.all())


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


async def test_submit_numbers_the_abstract_and_keeps_unicode(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call, ada = await _setup(client, organizer, settings)
    body = complete_abstract(call, ada)
    draft = await _draft(client, slug, ada, body)

    response = await client.post(f"/api/abstracts/{draft['id']}/submit", headers=ada.headers)

    assert response.status_code == 200, response.text
    submitted = response.json()
    assert submitted["status"] == "submitted"
    assert submitted["number"] == 1
    assert submitted["title"] == body["title"]
    assert submitted["body"] == body["body"]
    assert submitted["body_html"] == (
        "<p>We measured <strong>Ca²⁺</strong> transients (±5 µM, p ≥ 0.05) in H<sub>2</sub>O buffer at 37 °C.</p>"
    )
    assert submitted["word_count"] == 15
    assert [a["full_name"] for a in submitted["authors"]] == ["Ada Lovelace", "Grace Hopper", "Alan Turing"]
    assert submitted["warnings"] == []
    assert submitted["editable"] is True
    mine = await client.get(f"/api/events/{slug}/abstracts", headers=ada.headers)
    assert [(a["id"], a["number"], a["status"]) for a in mine.json()] == [(draft["id"], 1, "submitted")]


async def test_submit_numbers_abstracts_in_order(client: Client, organizer: dict[str, str], settings: Settings) -> None:
    slug, call, ada = await _setup(client, organizer, settings)
    first = await _draft(client, slug, ada, complete_abstract(call, ada))
    second = await _draft(client, slug, ada, complete_abstract(call, ada))

    numbers = [
        (await client.post(f"/api/abstracts/{a['id']}/submit", headers=ada.headers)).json()["number"]
        for a in (second, first)
    ]
    again = await client.post(f"/api/abstracts/{second['id']}/submit", headers=ada.headers)

    assert numbers == [1, 2]
    assert again.json()["number"] == 1


async def test_coauthors_are_told_once_each(client: Client, organizer: dict[str, str], settings: Settings) -> None:
    slug, call, ada = await _setup(client, organizer, settings)
    draft = await _draft(client, slug, ada, complete_abstract(call, ada))
    before = await _coauthor_mails(settings, draft["id"])

    await client.post(f"/api/abstracts/{draft['id']}/submit", headers=ada.headers)
    for title in ("A first new title", "A second new title"):
        edited = await client.patch(f"/api/abstracts/{draft['id']}", json={"title": title}, headers=ada.headers)
        assert edited.status_code == 200, edited.text
    await client.post(f"/api/abstracts/{draft['id']}/submit", headers=ada.headers)
    after_edits = await _coauthor_mails(settings, draft["id"])
    authors = [*complete_abstract(call, ada)["authors"], author("Emmy Noether", "emmy@example.org")]
    await client.patch(f"/api/abstracts/{draft['id']}", json={"authors": authors}, headers=ada.headers)

    assert before == []
    assert after_edits == ["alan@example.org", "grace@example.org"]
    assert await _coauthor_mails(settings, draft["id"]) == ["alan@example.org", "emmy@example.org", "grace@example.org"]


async def test_submit_reports_every_missing_field_at_once(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call, ada = await _setup(client, organizer, settings)
    draft = await _draft(
        client,
        slug,
        ada,
        {
            "submission_type_id": type_id(call, "oral"),
            "authors": [{"full_name": "Ada Lovelace", "institution": "", "is_presenting": False}],
        },
    )

    response = await client.post(f"/api/abstracts/{draft['id']}/submit", headers=ada.headers)

    assert response.status_code == 422
    assert _fields(response) == [
        "title",
        "body",
        "topic_id",
        f"answers.{call['questions'][0]['id']}",
        "authors",
        "authors[0].institution",
        "authors[0].country",
        "authors[0].disclosures",
    ]
    unchanged = await client.get(f"/api/abstracts/{draft['id']}", headers=ada.headers)
    assert (unchanged.json()["status"], unchanged.json()["number"]) == ("draft", None)


async def test_submit_counts_words_and_title_characters(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call, ada = await _setup(client, organizer, settings)
    words = " ".join(["word"] * 21)
    draft = await _draft(client, slug, ada, complete_abstract(call, ada, body=words, title="T" * 61))

    response = await client.post(f"/api/abstracts/{draft['id']}/submit", headers=ada.headers)
    fits = await client.patch(
        f"/api/abstracts/{draft['id']}", json={"body": " ".join(["word"] * 20), "title": "T" * 60}, headers=ada.headers
    )
    submitted = await client.post(f"/api/abstracts/{draft['id']}/submit", headers=ada.headers)

    assert response.status_code == 422
    assert {e["field"]: e["message"] for e in response.json()["errors"]} == {
        "title": "61 characters; Oral titles have at most 60",
        "body": "21 words; Oral abstracts have at most 20",
    }
    assert fits.json()["word_count"] == 20
    assert submitted.status_code == 200


async def test_edit_of_a_submitted_abstract_must_stay_submittable(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call, ada = await _setup(client, organizer, settings)
    draft = await _draft(client, slug, ada, complete_abstract(call, ada))
    await client.post(f"/api/abstracts/{draft['id']}/submit", headers=ada.headers)

    response = await client.patch(f"/api/abstracts/{draft['id']}", json={"title": " "}, headers=ada.headers)

    assert response.status_code == 422
    assert response.json()["field"] == "title"
    kept = await client.get(f"/api/abstracts/{draft['id']}", headers=ada.headers)
    assert kept.json()["title"] == complete_abstract(call, ada)["title"]


async def test_draft_shape_rules_hold_for_drafts_too(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call, ada = await _setup(client, organizer, settings)
    other_slug, _ = await make_event(settings)
    other_call = await open_call(client, organizer, other_slug)
    two_presenting = [author("A One", None, presenting=True), author("B Two", None, presenting=True)]
    mixed = author("C Three", None)
    mixed["disclosures"] = [{"relationship": "none"}, {"relationship": "grant", "company": ""}]

    presenting = await client.post(
        f"/api/events/{slug}/abstracts", json=complete_abstract(call, ada, authors=two_presenting), headers=ada.headers
    )
    disclosures = await client.post(
        f"/api/events/{slug}/abstracts", json=complete_abstract(call, ada, authors=[mixed]), headers=ada.headers
    )
    foreign = await client.post(
        f"/api/events/{slug}/abstracts",
        json=complete_abstract(call, ada, topic_id=other_call["topics"][0]["id"], answers={"nope": "x"}),
        headers=ada.headers,
    )
    wrong_type = await client.post(
        f"/api/events/{slug}/abstracts",
        json={"submission_type_id": type_id(other_call, "oral")},
        headers=ada.headers,
    )
    bad_shape = await client.post(
        f"/api/events/{slug}/abstracts",
        json=complete_abstract(call, ada, authors=[{**author("D", None), "country": "Germany"}]),
        headers=ada.headers,
    )

    assert presenting.status_code == 422
    assert _fields(presenting) == ["authors[1].is_presenting"]
    assert _fields(disclosures) == ["authors[0].disclosures", "authors[0].disclosures[1].company"]
    assert _fields(foreign) == ["topic_id", "answers.nope"]
    assert wrong_type.status_code == 422
    assert wrong_type.json()["field"] == "submission_type_id"
    assert bad_shape.status_code == 422
    assert bad_shape.json()["field"] == "authors[0].country"
    mine = await client.get(f"/api/events/{slug}/abstracts", headers=ada.headers)
    assert mine.json() == []


async def test_blind_check_warns_when_the_body_names_an_author(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call, ada = await _setup(client, organizer, settings)
    body = "As Hopper et al. showed at yale, calcium matters."
    draft = await _draft(client, slug, ada, complete_abstract(call, ada, body=body))

    response = await client.post(f"/api/abstracts/{draft['id']}/submit", headers=ada.headers)

    assert response.status_code == 200
    assert [(w["code"], w["field"], w["message"]) for w in response.json()["warnings"]] == [
        ("author_named", "body", "names 'Hopper': reviewers should not learn who wrote it"),
        ("author_named", "body", "names 'Yale': reviewers should not learn who wrote it"),
    ]


async def test_another_submitter_gets_404_for_everything(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call, ada = await _setup(client, organizer, settings)
    mallory = await make_submitter(settings, "Mallory")
    draft = await _draft(client, slug, ada, complete_abstract(call, ada))
    path = f"/api/abstracts/{draft['id']}"

    answers = [
        await client.get(path, headers=mallory.headers),
        await client.patch(path, json={"title": "Mine now"}, headers=mallory.headers),
        await client.post(f"{path}/submit", headers=mallory.headers),
        await client.post(f"{path}/withdraw", headers=mallory.headers),
    ]
    listed = await client.get(f"/api/events/{slug}/abstracts", headers=mallory.headers)
    anonymous = await client.get(path)

    assert [a.status_code for a in answers] == [404, 404, 404, 404]
    assert listed.json() == []
    assert anonymous.status_code == 401
    kept = await client.get(path, headers=ada.headers)
    assert (kept.json()["title"], kept.json()["status"]) == (draft["title"], "draft")


async def test_withdrawn_abstract_can_no_longer_change(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call, ada = await _setup(client, organizer, settings)
    draft = await _draft(client, slug, ada, complete_abstract(call, ada))
    await client.post(f"/api/abstracts/{draft['id']}/submit", headers=ada.headers)

    withdrawn = await client.post(f"/api/abstracts/{draft['id']}/withdraw", headers=ada.headers)
    edit = await client.patch(f"/api/abstracts/{draft['id']}", json={"title": "Back"}, headers=ada.headers)

    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["editable"] is False
    assert edit.status_code == 409
    assert edit.json()["code"] == "not_editable"


async def test_after_the_deadline_nothing_changes(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call, ada = await _setup(client, organizer, settings)
    draft = await _draft(client, slug, ada, complete_abstract(call, ada))
    await open_call(
        client,
        organizer,
        slug,
        opens_at=local(dt.timedelta(days=-3)),
        closes_at=local(dt.timedelta(minutes=-2)),
        submission_types=[{**t, "id": t["id"]} for t in _type_writes(call)],
        topics=[{"id": t["id"], "name": t["name"]} for t in call["topics"]],
        questions=[{"id": q["id"], "label": q["label"], "required": True, "max_chars": 40} for q in call["questions"]],
    )

    answers = [
        await client.patch(f"/api/abstracts/{draft['id']}", json={"title": "Late"}, headers=ada.headers),
        await client.post(f"/api/abstracts/{draft['id']}/submit", headers=ada.headers),
        await client.post(f"/api/abstracts/{draft['id']}/withdraw", headers=ada.headers),
        await client.post(f"/api/events/{slug}/abstracts", json=complete_abstract(call, ada), headers=ada.headers),
    ]
    late = await client.post(
        f"/api/events/{slug}/abstracts",
        json={"submission_type_id": type_id(call, "late_breaking")},
        headers=ada.headers,
    )

    assert [(a.status_code, a.json()["code"]) for a in answers] == [(409, "deadline_passed")] * 4
    assert (late.status_code, late.json()["code"]) == (409, "call_not_open")
    kept = await client.get(f"/api/abstracts/{draft['id']}", headers=ada.headers)
    assert (kept.json()["status"], kept.json()["editable"]) == ("draft", False)


def _type_writes(call: dict[str, Any]) -> list[dict[str, Any]]:
    keep = ("id", "key", "name", "body_word_limit", "title_max_chars", "is_late_breaking", "is_symposium")
    return [{k: t[k] for k in keep} for t in call["submission_types"]]


async def test_racing_submits_of_one_abstract_take_one_number(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call, ada = await _setup(client, organizer, settings)
    racing = await _draft(client, slug, ada, complete_abstract(call, ada))
    later = await _draft(client, slug, ada, complete_abstract(call, ada))

    answers = await asyncio.gather(
        *(client.post(f"/api/abstracts/{racing['id']}/submit", headers=ada.headers) for _ in range(6))
    )
    next_one = await client.post(f"/api/abstracts/{later['id']}/submit", headers=ada.headers)

    assert [a.status_code for a in answers] == [200] * 6
    assert {a.json()["number"] for a in answers} == {1}
    assert next_one.json()["number"] == 2
    assert await _coauthor_mails(settings, racing["id"]) == ["alan@example.org", "grace@example.org"]


async def test_word_and_title_limits_are_refused_in_french_with_the_type_as_named(
    client: Client, organizer: dict[str, str], settings: Settings
) -> None:
    slug, call, ada = await _setup(client, organizer, settings)
    words = " ".join(["word"] * 21)
    draft = await _draft(client, slug, ada, complete_abstract(call, ada, body=words, title="T" * 61))

    response = await client.post(
        f"/api/abstracts/{draft['id']}/submit", headers={**ada.headers, "Accept-Language": "fr"}
    )

    title = "61 caractères ; les titres de type Oral en ont au plus 60"
    assert (response.status_code, response.json()["detail"]) == (422, title)
    assert {e["field"]: e["message"] for e in response.json()["errors"]} == {
        "title": title,
        "body": "21 mots ; les résumés de type Oral en ont au plus 20",
    }
